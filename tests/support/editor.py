"""What a real editor does around specloop, played over a pytest-lsp client.

`Editor` keeps the open documents (text and version), answers the server's
`window/showMessageRequest` with a policy, applies `workspace/applyEdit` the way an
editor does (checking the version of a versioned edit, in the negotiated position
encoding) and tells the server about the result with an incremental `didChange`, as
VS Code and Neovim do after applying an edit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pytest_lsp import LanguageClient

Answer = Callable[[types.ShowMessageRequestParams], str | None]
"""Picks an action title for a message request; None dismisses it."""
Review = Callable[
    [types.ApplyWorkspaceEditParams], Awaitable[types.ApplyWorkspaceEditResult | None]
]
"""Looks at an edit before it is applied, as an editor's review does: its answer, or None
to apply the edit as it is."""


def first_option(params: types.ShowMessageRequestParams) -> str | None:
    return params.actions[0].title if params.actions else None


def accept_registrations(client: LanguageClient) -> list[types.Registration]:
    """Answer ``client/registerCapability`` as editors do (the server registers a
    pyproject.toml watcher where the profile allows it); the registrations, as they come."""
    registrations: list[types.Registration] = []

    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    client.protocol.fm.features[types.CLIENT_REGISTER_CAPABILITY] = register
    client.registrations = registrations  # type: ignore[attr-defined]
    return registrations


class PublishedDiagnostics:
    """Every ``textDocument/publishDiagnostics``, in order, read one at a time.

    pytest-lsp's ``wait_for_notification`` drops a notification that arrives while
    nothing waits (two publications in one read of the pipe lose the second), so tests
    read publications from this record instead."""

    def __init__(self, client: LanguageClient) -> None:
        self.seen: list[types.PublishDiagnosticsParams] = []
        self._read = 0
        self._arrived = asyncio.Event()

        def publish(params: types.PublishDiagnosticsParams) -> None:
            client.diagnostics[params.uri] = params.diagnostics
            self.seen.append(params)
            self._arrived.set()

        client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish

    async def next(self, within_s: float) -> types.PublishDiagnosticsParams:
        """The first publication not read yet, waiting up to ``within_s`` for it."""
        while self._read == len(self.seen):
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), within_s)
        self._read += 1
        return self.seen[self._read - 1]


def record_published(client: LanguageClient) -> PublishedDiagnostics:
    """Keep every publication for ``client`` (as ``client.published``)."""
    client.published = PublishedDiagnostics(client)  # type: ignore[attr-defined]
    return client.published  # type: ignore[attr-defined,no-any-return]


def published(client: LanguageClient) -> PublishedDiagnostics:
    recorder: PublishedDiagnostics = client.published  # type: ignore[attr-defined]
    return recorder


@dataclass
class OpenDocument:
    version: int
    text: str


@dataclass
class Editor:
    client: LanguageClient
    encoding: str = "utf-16"
    answer: Answer = first_option
    accept_edits: bool = True
    never_answer: bool = False
    dismiss_unanswered: asyncio.Event = field(default_factory=asyncio.Event)
    """With ``never_answer``: set it to dismiss the questions left open (before shutdown)."""
    documents: dict[str, OpenDocument] = field(default_factory=dict)
    requests: list[types.ShowMessageRequestParams] = field(default_factory=list)
    edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    edit_applied: asyncio.Event = field(default_factory=asyncio.Event)
    review: Review | None = None

    def __post_init__(self) -> None:
        # pygls marks handlers with attributes, which bound methods cannot carry.
        async def on_message_request(
            params: types.ShowMessageRequestParams,
        ) -> types.MessageActionItem | None:
            if self.never_answer:  # a notification hidden in the editor's notification centre
                self.requests.append(params)
                await self.dismiss_unanswered.wait()
                return None
            return self._on_message_request(params)

        def on_apply_edit(params: types.ApplyWorkspaceEditParams) -> Any:
            return self._on_apply_edit(params)

        async def on_reviewed_edit(params: types.ApplyWorkspaceEditParams) -> Any:
            assert self.review is not None
            decided = await self.review(params)
            if decided is None:
                return self._on_apply_edit(params)
            self.edits.append(params)
            return decided

        self.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(on_message_request)
        reviewed = self.review is not None
        self.client.feature(types.WORKSPACE_APPLY_EDIT)(
            on_reviewed_edit if reviewed else on_apply_edit
        )
        _read_code_actions_as_editors_do(self.client)

    @classmethod
    async def start(
        cls,
        client: LanguageClient,
        profile: types.ClientCapabilities,
        root: Path,
        settings: dict[str, Any] | None = None,
        **options: Any,
    ) -> Editor:
        accept_registrations(client)
        result = await client.initialize_session(
            types.InitializeParams(
                capabilities=profile,
                initialization_options=settings,
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            )
        )
        encoding = result.capabilities.position_encoding or "utf-16"
        return cls(client, encoding=str(getattr(encoding, "value", encoding)), **options)

    # ------------------------------------------------------------------ documents

    def open(self, path: Path) -> str:
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        self.documents[uri] = OpenDocument(1, text)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri

    def text(self, uri: str) -> str:
        return self.documents[uri].text

    def type(self, uri: str, line: int, text: str) -> None:
        """Insert ``text`` at the start of 0-based ``line`` and tell the server."""
        self._change(uri, [types.TextEdit(range=_range(line, 0, line, 0), new_text=text)])

    def replace(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """Replace what lies between two (line, character) positions and tell the server."""
        self._change(uri, [types.TextEdit(range=_range(*start, *end), new_text=text)])

    def position_of(self, uri: str, index: int) -> tuple[int, int]:
        """(line, character) of code point ``index`` of the buffer, in the negotiated encoding."""
        text = self.documents[uri].text
        line_start = text.rfind("\n", 0, index) + 1
        character = sum(_width(char, self.encoding) for char in text[line_start:index])
        return text.count("\n", 0, index), character

    def close(self, uri: str) -> None:
        del self.documents[uri]
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def _change(self, uri: str, edits: list[types.TextEdit]) -> None:
        document = self.documents[uri]
        changes = []
        # Edits of one WorkspaceEdit refer to the original text: apply the last first.
        for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[
            ::-1
        ]:
            start = self._offset(document.text, edit.range.start)
            end = self._offset(document.text, edit.range.end)
            document.text = document.text[:start] + edit.new_text + document.text[end:]
            changes.append(
                types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
            )
        document.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=document.version
                ),
                content_changes=changes,
            )
        )

    def _offset(self, text: str, position: types.Position) -> int:
        lines = text.split("\n")
        if position.line >= len(lines):
            return len(text)
        start = sum(len(line) + 1 for line in lines[: position.line])
        line = lines[position.line]
        counted = 0
        for index, char in enumerate(line):
            if counted >= position.character:
                return start + index
            counted += _width(char, self.encoding)
        return start + len(line)

    # ------------------------------------------------------------------ requests

    async def code_actions(self, uri: str, line: int, character: int = 0) -> list[types.CodeAction]:
        found = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=_range(line, character, line, character),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        return [action for action in found or [] if isinstance(action, types.CodeAction)]

    async def execute(self, action: types.CodeAction, within_s: float = 120) -> Any:
        """Run the action's command and wait (at most ``within_s``) for its answer."""
        assert action.command is not None
        async with asyncio.timeout(within_s):
            return await self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command=action.command.command, arguments=action.command.arguments
                )
            )

    def _on_message_request(
        self, params: types.ShowMessageRequestParams
    ) -> types.MessageActionItem | None:
        self.requests.append(params)
        title = self.answer(params)
        return None if title is None else types.MessageActionItem(title=title)

    def _on_apply_edit(
        self, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        self.edits.append(params)
        if not self.accept_edits:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="declined")
        edit = params.edit
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            document = self.documents[change.text_document.uri]
            if change.text_document.version not in (None, document.version):
                return types.ApplyWorkspaceEditResult(
                    applied=False, failure_reason="the document version changed"
                )
            self._change(change.text_document.uri, list(change.edits))
        for uri, edits in (edit.changes or {}).items():
            self._change(uri, list(edits))
        self.edit_applied.set()
        return types.ApplyWorkspaceEditResult(applied=True)


def _read_code_actions_as_editors_do(client: LanguageClient) -> None:
    """Tell a CodeAction with a command from a bare Command, as the LSP spec does.

    lsprotocol 2025.0.0 reads every `Command | CodeAction` holding a "command" key as a
    Command (its `_code_action_hook`), so a CodeAction whose command is an object came
    back as a Command with that object as its name. A Command's "command" is a string.
    """
    converter = client.protocol._converter

    def structure(value: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(value.get("command"), str):
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, structure)
    converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)  # noqa: UP007


def _range(line: int, character: int, end_line: int, end_character: int) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=character),
        end=types.Position(line=end_line, character=end_character),
    )


def _width(char: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(char.encode("utf-8"))
    if encoding == "utf-32":
        return 1
    return 2 if ord(char) > 0xFFFF else 1
