"""End to end in the server: suppressions, the "Ignore this TODO" quick fix, and
[tool.specloop] per workspace folder, read again when pyproject.toml changes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.support.editor import published

TODO = "def charge(amount):\n    # TODO: handle errors\n    return amount\n"
STUB = 'def refund(amount):\n    """Handle it somehow."""\n    ...\n'
PROFILES = ["visual-studio-code", "neovim"]


async def start(client: LanguageClient, profile: str, root: Path, options: Any = None) -> None:
    """Initialise with ``root`` as the one workspace folder (``options``: the editor's
    initialization options)."""
    client.profile = profile  # type: ignore[attr-defined]
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(profile),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
        )
    )


def open_file(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )
    return uri


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def pulls(client: LanguageClient) -> bool:
    capabilities = client_capabilities(client.profile)  # type: ignore[attr-defined]
    return bool(capabilities.text_document and capabilities.text_document.diagnostic)


async def diagnostics(
    client: LanguageClient, uri: str, version: int | None = None, after: int = 0
) -> list[types.Diagnostic]:
    """The diagnostics the editor shows for ``uri``: pulled, or the last ones pushed (after
    the ``after``-th publication), once publishing goes quiet: the server may publish a
    document's TODOs before its full analysis adds its docstrings."""
    if pulls(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    seen = published(client).seen

    def matching() -> list[types.PublishDiagnosticsParams]:
        return [
            params
            for params in seen[after:]
            if params.uri == uri and (version is None or params.version == version)
        ]

    for _ in range(200):
        if matching():
            break
        await asyncio.sleep(0.05)
    assert matching(), f"no diagnostics published for {uri}"
    await asyncio.sleep(0.5)
    return list(matching()[-1].diagnostics)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


# ---------------------------------------------------------------- suppressions


@pytest.mark.parametrize("profile", PROFILES)
async def test_suppressed_findings_get_no_diagnostic(
    bare_client: LanguageClient, project: Path, profile: str
):
    await start(bare_client, profile, project)
    text = (
        TODO.replace("errors\n", "errors  # specloop: ignore\n")
        + STUB
        + TODO.replace("charge", "pay")
    )
    uri = open_file(bare_client, project / "a.py", text)
    found = await diagnostics(bare_client, uri, 1)
    # The stub (line 4) and the TODO in `pay` (line 7) are flagged; the ignored TODO is not.
    assert sorted(d.range.start.line for d in found) == [4, 7]
    ignored = open_file(bare_client, project / "b.py", "# specloop: ignore-file\n" + TODO)
    assert await diagnostics(bare_client, ignored, 1) == []


# ---------------------------------------------------------------- the quick fix


def apply_edit(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                       reverse=True):  # fmt: skip
        start, end = edit.range.start, edit.range.end
        before = "".join(lines[: start.line]) + lines[start.line][: start.character]
        after = lines[end.line][end.character :] + "".join(lines[end.line + 1 :])
        text = before + edit.new_text + after
        lines = text.splitlines(keepends=True)
    return text


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("text", "line", "title"), [
    (TODO, 1, "Ignore this TODO"),
    ("@staticmethod\n" + STUB, 2, "Ignore this docstring spec"),
])  # fmt: skip
async def test_the_ignore_quick_fix_adds_the_comment_as_a_versioned_edit(
    bare_client: LanguageClient, project: Path, profile: str, text: str, line: int, title: str
):
    await start(bare_client, profile, project)
    uri = open_file(bare_client, project / "a.py", text, version=3)
    [diagnostic] = await diagnostics(bare_client, uri, 3)
    position = types.Position(line=line, character=6)
    actions = await bare_client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    [action] = [a for a in actions or [] if isinstance(a, types.CodeAction) and title in a.title]
    assert action.kind == types.CodeActionKind.QuickFix
    assert list(action.diagnostics or []) == [diagnostic]
    edit = action.edit
    assert edit is not None
    if edit.document_changes:  # versioned: refused if the user typed since
        [change] = edit.document_changes
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.version == 3
        edits = [types.TextEdit(range=e.range, new_text=e.new_text) for e in change.edits]
    else:
        assert edit.changes is not None
        edits = edit.changes[uri]
    fixed = apply_edit(text, edits)
    assert "# specloop: ignore" in fixed and fixed.count("\n") >= text.count("\n")
    replace_all(bare_client, uri, 4, fixed)
    assert await diagnostics(bare_client, uri, 4) == []


# ---------------------------------------------------------------- project configuration


async def next_message(client: LanguageClient) -> str:
    await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), timeout=10)
    return client.messages[-1].message


async def test_pyproject_configures_the_server_and_is_read_again_when_it_changes(
    bare_client: LanguageClient, project: Path
):
    pyproject = project / "pyproject.toml"
    pyproject.write_text("[tool.specloop]\nseverity = 'warning'\ndocstrings = false\n")
    # VS Code's profile: pushed diagnostics, and a watcher the server registers.
    await start(bare_client, "visual-studio-code", project)
    uri = open_file(bare_client, project / "a.py", TODO + STUB)
    [diagnostic] = await diagnostics(bare_client, uri, 1)
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    pyproject.write_text("[tool.specloop]\nseverity = 'error'\n")
    before = len(published(bare_client).seen)
    bare_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    republished = await diagnostics(bare_client, uri, 1, after=before)
    assert [d.severity for d in republished] == [types.DiagnosticSeverity.Error] * 2
    assert bare_client.messages == []


async def test_an_open_pyproject_buffer_is_read_as_it_is_typed(
    bare_client: LanguageClient, project: Path
):
    pyproject = project / "pyproject.toml"
    pyproject.write_text("[tool.specloop]\nmarkers = ['FIXME']\n")
    await start(bare_client, "neovim", project)
    uri = open_file(bare_client, project / "a.py", TODO)
    assert await diagnostics(bare_client, uri, 1) == []
    config_uri = open_file(bare_client, pyproject, pyproject.read_text())
    before = len(published(bare_client).seen)
    replace_all(bare_client, config_uri, 2, "[tool.specloop]\nmarkers = ['TODO']\n")
    [diagnostic] = await diagnostics(bare_client, uri, 1, after=before)
    assert "handle errors" in diagnostic.message


async def test_the_server_registers_a_pyproject_watcher_where_the_client_can(
    bare_client: LanguageClient, project: Path
):
    registrations = bare_client.registrations  # type: ignore[attr-defined]
    await start(bare_client, "visual-studio-code", project)
    for _ in range(50):
        if registrations:
            break
        await asyncio.sleep(0.1)
    [registration] = registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    options = registration.register_options
    assert isinstance(options, dict) or options is not None
    watchers = options["watchers"] if isinstance(options, dict) else options.watchers
    globs = [w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in watchers]
    assert globs == ["**/pyproject.toml"]


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_bad_key_is_one_message_naming_the_key_and_the_file(
    bare_client: LanguageClient, project: Path, profile: str
):
    pyproject = project / "pyproject.toml"
    pyproject.write_text("[tool.specloop]\nseverity = 'loud'\nmarkrs = ['X']\n")
    await start(bare_client, profile, project)
    uri = open_file(bare_client, project / "a.py", TODO)
    message = await next_message(bare_client)
    assert str(pyproject) in message
    assert "tool.specloop.severity" in message and "tool.specloop.markrs: unknown key" in message
    # The good defaults still apply: the TODO is flagged at the default severity.
    [diagnostic] = await diagnostics(bare_client, uri, 1)
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    # ... and the file itself shows where (pushed: the editor shows it in its problems).
    for _ in range(100):
        if bare_client.diagnostics.get(pyproject.as_uri()):
            break
        await asyncio.sleep(0.05)
    config_diagnostics = bare_client.diagnostics.get(pyproject.as_uri()) or []
    assert sorted(d.range.start.line for d in config_diagnostics) == [1, 2]
    # Said once: a second document does not repeat it.
    open_file(bare_client, project / "b.py", TODO)
    await diagnostics(bare_client, (project / "b.py").as_uri(), 1)
    await asyncio.sleep(0.3)
    assert len(bare_client.messages) == 1


async def test_broken_toml_is_a_message_and_never_a_crash(
    bare_client: LanguageClient, project: Path
):
    pyproject = project / "pyproject.toml"
    pyproject.write_text("[tool.specloop]\nseverity = \n")
    await start(bare_client, "neovim", project)
    uri = open_file(bare_client, project / "a.py", TODO)
    message = await next_message(bare_client)
    assert "not valid TOML" in message and str(pyproject) in message
    for _ in range(100):
        if bare_client.diagnostics.get(pyproject.as_uri()):
            break
        await asyncio.sleep(0.05)
    [where] = bare_client.diagnostics.get(pyproject.as_uri()) or []
    assert where.range.start.line == 1  # where the TOML stops parsing
    [diagnostic] = await diagnostics(bare_client, uri, 1)
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    symbols = await bare_client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols
