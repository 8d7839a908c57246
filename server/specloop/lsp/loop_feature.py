"""The loop as a language feature: code actions, the commands behind them, and their runs.

`LoopFeature` owns everything the loop needs in the server (as esbonio's features
do): the running loops (one per symbol; others run alongside), their progress
tokens, the model provider that keeps the embedded model warm for the server's
lifetime, and the start of the model client's process (litellm's import) once the user
first asks for code actions. Handlers in `server.py` stay one line each.

- Listing code actions is cheap: the document's own tree, no model, no import.
- **Implement** runs `loop.orchestrate.run` with an `EditorFrontEnd`, inside the
  `workspace/executeCommand` request (so cancelling the request, or the progress,
  stops the model call and the sandbox), and tells the user how it ended.
- While an Implement run's change is reviewed, **checkPart** runs the run's checks on
  the part of it the reviewer kept (`EditorFrontEnd.check_part`).
- **Clarify this TODO** needs no model: the detector's facets become questions
  (`loop.todo_clarify`); with a model configured, the clarify stage asks first.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import uuid
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from specloop.analysis.documents import Document
from specloop.analysis.findings import CODE
from specloop.analysis.index import ModuleIndex, index_module
from specloop.analysis.targets import ParsedModule, TargetAt, target_at
from specloop.defaults import SOURCE
from specloop.loop import records, todo_clarify
from specloop.loop.models import LoopSpec, LoopStatus, RunRecord
from specloop.loop.provisioning import ModelProvider
from specloop.loop.rendering import render_record
from specloop.loop.snapshot import Project, SourceSnapshot, relative_path
from specloop.loop.summary import FAILED_PHRASES, summarize
from specloop.lsp.commands import CLARIFY_COMMAND, IMPLEMENT_COMMAND, CommandTarget, PartTarget
from specloop.lsp.editor_front_end import EditorFrontEnd
from specloop.validate.project_copy import remove_stores
from specloop.validate.sandbox import finish_removals

if TYPE_CHECKING:
    from specloop.loop import orchestrate
    from specloop.lsp.server import SpecloopServer

log = logging.getLogger(__name__)

CLARIFY_TITLE = "Clarify this TODO"
RUN_AGAIN = "Run again"
_SHUTDOWN_GRACE_S = 10.0


class LoopFeature:
    def __init__(self, server: SpecloopServer) -> None:
        self.server = server
        self.provider = ModelProvider()
        self._running: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self._by_token: dict[str, asyncio.Task[Any]] = {}
        self._front_ends: set[EditorFrontEnd] = set()
        """The front ends of the Implement runs going on: one may be offering its change."""
        self._background: set[asyncio.Task[Any]] = set()
        self._loading: asyncio.Task[object] | None = None
        self._terminating: asyncio.Task[None] | None = None
        self._shutting_down = False
        self._indexes: dict[str, tuple[int | None, ModuleIndex]] = {}

    # ------------------------------------------------------------------ code actions

    def code_actions(
        self, document: Document, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        """Clarify (on an ambiguous TODO) and Implement (in a function or class)."""
        self._warm_up()
        line = min(max(params.range.start.line, 0), document.lines.line_count - 1)
        target = CommandTarget(document.uri, document.version, params.range.start)
        arguments = [_arguments(target)]
        found = self._target_at(document, line + 1)
        actions: list[types.CodeAction] = []
        # The same rule as the Clarify run's (`orchestrate.clarify`): offered where it works.
        if found.spec_at_line is not None and todo_clarify.is_clarifiable(found.spec_at_line):
            actions.append(
                types.CodeAction(
                    title=CLARIFY_TITLE,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=_diagnostics_on(params.context.diagnostics, line) or None,
                    command=types.Command(
                        title=CLARIFY_TITLE, command=CLARIFY_COMMAND, arguments=arguments
                    ),
                )
            )
        definition = found.definition
        if definition is not None:
            title = f"Implement `{definition.qualified_name}` with specloop"
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.RefactorRewrite,
                    command=types.Command(
                        title=title, command=IMPLEMENT_COMMAND, arguments=arguments
                    ),
                )
            )
        return [action for action in actions if _wanted(action, params.context.only)]

    def forget(self, uri: str) -> None:
        self._indexes.pop(uri, None)

    def _target_at(self, document: Document, line: int) -> TargetAt:
        """What 1-based ``line`` is about: the definition the run would work on."""
        cached = self._indexes.get(document.uri)
        if cached is None or cached[0] != document.version:
            # Code actions come with every cursor move: index each version once.
            index = index_module(Path(document.uri), document.source, document.tree)
            cached = self._indexes[document.uri] = (document.version, index)
        parsed = ParsedModule(document.source, document.tree, document.lines, cached[1])
        markers = self.server.projects.diagnostics_settings(document.uri).markers
        return target_at(parsed, line, markers)

    def _warm_up(self) -> None:
        """Once: start the model client's process (litellm's import happens there, not
        here), and import the loop's modules off the event loop, so the first Implement
        waits for neither and other requests are answered meanwhile."""
        if self._loading is None:
            from specloop.loop.llm import start_model_process

            start_model_process()
            loading = asyncio.to_thread(importlib.import_module, "specloop.loop.orchestrate")
            self._loading = asyncio.get_running_loop().create_task(loading)

    async def _loaded(self) -> None:
        """The loop's modules are imported (off the event loop, by `_warm_up`)."""
        self._warm_up()
        assert self._loading is not None
        await asyncio.shield(self._loading)

    # ------------------------------------------------------------------ commands

    async def run_command(self, work: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
        """Run a command's work so that cancelling it always ends with an answer.

        Two workarounds for pygls 2.1.1, whose ``workspace/executeCommand`` runs the
        command as a separate task behind a generator (``lsp_workspace__execute_command``):
        a command task that ends cancelled is never answered (``_run_generator`` catches
        only ``Exception``), so a cancelled run returns ``{"status": "cancelled"}``; and
        ``$/cancelRequest`` cancels only the outer request future, so that cancellation
        is passed on to the task doing the work.
        """
        task = asyncio.current_task()
        protocol = self.server.protocol
        request = protocol._request_futures.get(protocol.msg_id) if protocol.msg_id else None
        if task is not None and request is not None:
            request.add_done_callback(lambda future: future.cancelled() and task.cancel())
        try:
            return await work
        except asyncio.CancelledError:
            return {"status": LoopStatus.CANCELLED.value}

    # ------------------------------------------------------------------ implement

    async def implement(self, target: CommandTarget) -> dict[str, Any]:
        # The loop's modules (LibCST, the validators) load on first use, not at start-up.
        await self._loaded()
        from specloop.loop import orchestrate

        document = self._document_for(target)
        if document is None:
            return {"status": "refused"}
        if not self.server.client_supports("workspace.apply_edit"):
            return self._refuse(
                "Your editor cannot apply edits sent by a language server "
                "(workspace/applyEdit), so specloop cannot offer its changes there; "
                "use `specloop implement FILE:LINE` in a terminal instead."
            )
        settings = await self.server.settings_for(document.uri)
        project, snapshot = self._snapshot(document)
        request = orchestrate.RunRequest(project, snapshot, target.position.line + 1, settings)
        spec = await orchestrate.resolve(request)
        if isinstance(spec, orchestrate.Refused):
            return self._refuse(spec.reason)
        key = (document.uri, spec.symbol)
        if key in self._running:
            return self._refuse(
                f"specloop is already working on `{spec.symbol}`; wait for it to finish, "
                "or cancel it (from its progress notification in VS Code, with "
                ":SpecloopCancel in Neovim)."
            )
        task = asyncio.current_task()
        assert task is not None
        self._running[key] = task
        token = await self._begin_progress(f"specloop: implementing `{spec.symbol}`", task)
        front_end = EditorFrontEnd(
            self.server, self.server.documents, document.uri, token, settings.question_timeout
        )
        self._front_ends.add(front_end)
        summary = "Stopped"
        try:
            try:
                result = await orchestrate.run(request, self.provider, front_end, spec)
            except asyncio.CancelledError:
                summary = "Cancelled"
                if not self._shutting_down:
                    self._show(types.MessageType.Info, _cancelled(spec.symbol, front_end))
                raise
            if isinstance(result, orchestrate.Refused):
                summary = result.reason
                return self._refuse(result.reason)
            summary = await self._tell(result, spec, front_end)
            return {
                "status": result.record.status.value,
                "runId": result.record.id,
                "applied": bool(result.offered and result.offered.applied),
                "caught": _caught(result.record),
            }
        finally:
            self._front_ends.discard(front_end)
            self._running.pop(key, None)
            self._end_progress(token, summary)

    async def _tell(
        self, result: orchestrate.Finished, spec: LoopSpec, front_end: EditorFrontEnd
    ) -> str:
        """Say how the run ended; the one-line summary for the progress notification."""
        record, symbol = result.record, spec.symbol
        if result.proposal is not None and result.offered is not None:
            if result.offered.applied and result.offered.part is not None:
                self._show(
                    types.MessageType.Info,
                    f"specloop applied the part of its change to `{symbol}` that you kept; "
                    f"on its own it passed the run's checks — {result.offered.part}.",
                )
                return "Applied in part"
            if result.offered.applied:
                self._show(
                    types.MessageType.Info,
                    f"specloop applied its change to `{symbol}` — {result.proposal.description}.",
                )
                return "Applied"
            reason = result.offered.reason or "It was not applied."
            if result.offered.conflict:
                self._spawn(self._offer_rerun(front_end.uri, spec.symbol, reason))
            elif result.offered.declined:
                self._show(types.MessageType.Info, reason)
            else:
                self._show(types.MessageType.Warning, reason)
            return "Not applied"
        where = await front_end.show_document(
            record.id, ".md", render_record(record), result.redactor
        )
        self._show(types.MessageType.Warning, f"{_ending(record)} {where}")
        return record.status.value.replace("_", " ").capitalize()

    async def _offer_rerun(self, uri: str, symbol: str, reason: str) -> None:
        picked = await self.server.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=f"{reason} Run it again on the current code?",
                actions=[types.MessageActionItem(title=RUN_AGAIN)],
            )
        )
        document = self.server.documents.get(uri)
        if picked is None or picked.title != RUN_AGAIN or document is None:
            return
        module = index_module(Path(uri), document.source, document.tree)
        found = module.named(symbol)
        if not found:
            self._show(types.MessageType.Warning, f"`{symbol}` is no longer defined.")
            return
        position = types.Position(line=found[0].line - 1, character=0)
        await self.implement(CommandTarget(uri, document.version, position))

    async def check_part(self, target: PartTarget) -> dict[str, Any]:
        """The run's checks on part of the change it offers for ``target.uri``.

        Answers ``{"validated": bool, "evidence": sentence}``; not validated when no run
        offers a change of that document now, or the document moved on since.
        """
        document = self.server.documents.get(target.uri)
        offering = [front for front in self._front_ends if front.uri == target.uri]
        front_end = next((front for front in offering if front.offering is not None), None)
        if front_end is None or document is None:
            why = "specloop is not offering a change of this file now"
            return {"validated": False, "evidence": f"not validated: {why}"}
        if target.version is not None and document.version != target.version:
            why = "the file changed since the change was offered"
            return {"validated": False, "evidence": f"not validated: {why}"}
        checked = await front_end.check_part(target.text)
        return {"validated": checked.validated, "evidence": checked.evidence}

    # ------------------------------------------------------------------ clarify

    async def clarify(self, target: CommandTarget) -> dict[str, Any]:
        """Clarify the ambiguous TODO at the cursor: questions, then a versioned edit."""
        await self._loaded()
        from specloop.loop import orchestrate

        document = self._document_for(target)
        if document is None:
            return {"status": "refused"}
        project, snapshot = self._snapshot(document)
        settings = await self.server.settings_for(document.uri)
        request = orchestrate.RunRequest(project, snapshot, target.position.line + 1, settings)
        front_end = EditorFrontEnd(
            self.server, self.server.documents, document.uri, None, settings.question_timeout
        )
        result = await orchestrate.clarify(request, self.provider, front_end)
        if isinstance(result, orchestrate.Refused):
            return self._refuse(result.reason)
        if result.offered is None:
            self._show(types.MessageType.Info, "specloop left the TODO as it was.")
            return {"status": "dismissed", "run_id": result.record.id}
        if not result.offered.applied:
            self._show(types.MessageType.Warning, result.offered.reason or "")
            return {"status": "not applied", "run_id": result.record.id}
        return {"status": "applied", "run_id": result.record.id}

    # ------------------------------------------------------------------ run records

    async def last_run_report(self) -> dict[str, Any]:
        """The newest run record rendered as a Markdown report, saved beside the record.

        Answers with the report's ``uri`` (the client chooses how to show it), or with
        ``status: none`` and a sentence when there is no run yet.
        """
        found = await asyncio.to_thread(records.list_records, 1)
        if not found:
            return {
                "status": "none",
                "message": f"specloop has no runs yet (records live in {records.runs_dir()}).",
            }
        record = found[0]
        path = await asyncio.to_thread(
            records.save_document, record.id, ".md", render_record(record)
        )
        return {"status": "ok", "runId": record.id, "uri": path.as_uri()}

    # ------------------------------------------------------------------ lifetime

    def cancel_progress(self, token: str) -> None:
        """The user cancelled a run from its progress notification."""
        task = self._by_token.get(token)
        if task is not None:
            task.cancel()

    def terminate(self) -> None:
        """SIGTERM: stop every loop (records saved, sandboxes gone), stop the model, exit.

        The process exits from here: pygls would otherwise wait for its stdin reader
        thread, which only a closed pipe ends.
        """

        async def stop() -> None:
            await self.shutdown()
            logging.shutdown()
            os._exit(128 + signal.SIGTERM)

        # Not one of the tasks `shutdown` cancels: this one must see it through.
        self._terminating = asyncio.get_running_loop().create_task(stop())

    async def shutdown(self) -> None:
        """Cancel every running loop (their sandboxes die with them) and stop the model."""
        self._shutting_down = True
        tasks = [*self._running.values(), *self._background]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=_SHUTDOWN_GRACE_S)
        await self.provider.close()
        # SIGTERM ends with os._exit: no atexit, so the folders go here.
        await asyncio.to_thread(finish_removals)
        await asyncio.to_thread(remove_stores)

    # ------------------------------------------------------------------ helpers

    def _document_for(self, target: CommandTarget) -> Document | None:
        document = self.server.documents.get(target.uri)
        if document is None:
            self._refuse(f"{target.uri} is not open in the editor; open it and try again.")
        return document

    def _snapshot(self, document: Document) -> tuple[Project, SourceSnapshot]:
        """The project the document belongs to, its open buffers, and the document itself."""
        path = Path(to_fs_path(document.uri) or document.uri)
        root = self._root_for(path)
        buffers = {}
        for uri in self.server.documents.uris():
            other = self.server.documents.get(uri)
            other_path = to_fs_path(uri)
            relative = relative_path(root, Path(other_path)) if other_path else None
            if other is not None and relative is not None:
                buffers[relative] = other.text
        relative = relative_path(root, path) or path.name
        snapshot = SourceSnapshot(relative, document.text, document.version)
        buffers.pop(relative, None)
        return Project(root, buffers), snapshot

    def _root_for(self, path: Path) -> Path:
        """The workspace folder holding ``path`` (the innermost), else the file's folder."""
        workspace = self.server.workspace
        candidates = [folder.uri for folder in workspace.folders.values()]
        if workspace.root_uri:
            candidates.append(workspace.root_uri)
        roots = [Path(root) for uri in candidates if (root := to_fs_path(uri))]
        inside = [root for root in roots if relative_path(root, path) is not None]
        return max(inside, key=lambda root: len(root.parts)) if inside else path.parent

    async def _begin_progress(self, title: str, task: asyncio.Task[Any]) -> str | None:
        if not self.server.client_supports("window.work_done_progress"):
            return None  # Progress degrades to nothing where the client cannot show it.
        token = f"specloop-{uuid.uuid4()}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception as error:  # the client refused the token: go on without progress
            log.warning("The client refused a progress token: %s", error)
            return None
        self._by_token[token] = task
        self.server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=True, message="Starting")
        )
        return token

    def _end_progress(self, token: str | None, message: str) -> None:
        if token is None:
            return
        self._by_token.pop(token, None)
        with contextlib.suppress(Exception):  # the connection may be closing
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(token, None)

    def _spawn(self, work: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _refuse(self, reason: str) -> dict[str, Any]:
        self._show(types.MessageType.Warning, reason)
        return {"status": "refused", "reason": reason}

    def _show(self, kind: types.MessageType, message: str) -> None:
        """Editors name the server beside its messages: they do not repeat "specloop:"."""
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _cancelled(symbol: str, front_end: EditorFrontEnd) -> str:
    if front_end.edit_offered:  # the editor's review may still apply it: say where it is
        return (
            f"specloop cancelled the run on `{symbol}`; the change it offered is still in "
            "your editor's review, where you can discard it."
        )
    return f"specloop cancelled the run on `{symbol}`; nothing was changed."


def _arguments(target: CommandTarget) -> dict[str, Any]:
    return {
        "uri": target.uri,
        "version": target.version,
        "position": {"line": target.position.line, "character": target.position.character},
    }


def _diagnostics_on(diagnostics: Sequence[types.Diagnostic], line: int) -> list[types.Diagnostic]:
    """The client's own ambiguous-TODO diagnostics on ``line`` (the ones the fix resolves)."""
    return [
        diagnostic
        for diagnostic in diagnostics
        if diagnostic.source == SOURCE
        and diagnostic.code == CODE
        and diagnostic.range.start.line <= line <= diagnostic.range.end.line
    ]


def _wanted(action: types.CodeAction, only: Sequence[types.CodeActionKind | str] | None) -> bool:
    """Whether the client asked for this kind of action (``only`` lists kinds or their bases)."""
    if not only or action.kind is None:
        return True
    kind = _kind(action.kind)
    return any(kind == _kind(wanted) or kind.startswith(f"{_kind(wanted)}.") for wanted in only)


def _kind(kind: types.CodeActionKind | str) -> str:
    return kind.value if isinstance(kind, types.CodeActionKind) else str(kind)


def _caught(record: RunRecord) -> list[str]:
    """The attempts validation turned down, one phrase each: ``attempt 1: pytest failed``.

    Clients that show no report by themselves (Neovim) name them after the run.
    """
    caught = []
    for attempt in summarize(record).attempts:
        failing = attempt.failing_check
        if failing is not None:
            caught.append(
                f"attempt {attempt.number}: {failing.name} {FAILED_PHRASES[failing.verdict]}"
            )
        elif attempt.error is not None:
            caught.append(f"attempt {attempt.number}: {attempt.error}")
    return caught


def _ending(record: RunRecord) -> str:
    """How a run that offered nothing ended, naming the failing check when there is one."""
    summary = summarize(record)
    symbol = summary.symbol or "the target"
    failure = summary.last_failure
    if record.status is LoopStatus.UNVALIDATED and failure is not None:
        return (
            f"specloop could not validate `{symbol}`: {failure.name} "
            f"{FAILED_PHRASES[failure.verdict]} after {len(summary.attempts)} attempt(s); "
            "nothing was applied."
        )
    if record.status is LoopStatus.UNVALIDATED:
        return f"specloop could not validate `{symbol}`: {record.error or 'no check passed'}"
    detail = f" {record.error}" if record.error else ""
    return f"specloop stopped on `{symbol}` ({summary.outcome}); nothing was applied.{detail}"
