"""The language server: one SpecloopServer owns all state; handlers stay thin.

Each handler reads: get the document -> call the domain -> convert -> return.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from specloop import __version__
from specloop.analysis.documents import Document, DocumentStore, UnknownDocumentError
from specloop.analysis.findings import SOURCE, Finding, find_specs
from specloop.analysis.quick import quick_findings
from specloop.analysis.selection import reported
from specloop.analysis.specs import may_contain_specs
from specloop.analysis.symbols import module_symbols
from specloop.analysis.text import LineIndex, encode
from specloop.config import (
    SETTINGS_SECTION,
    DiagnosticsSettings,
    Settings,
    format_problems,
    load_settings,
)
from specloop.lsp import convert
from specloop.lsp.commands import (
    CHECK_PART_COMMAND,
    CLARIFY_COMMAND,
    IMPLEMENT_COMMAND,
    LAST_RUN_COMMAND,
    CommandTarget,
    PartTarget,
)
from specloop.lsp.ignore_action import ignore_actions
from specloop.lsp.project_feature import ProjectFeature, is_pyproject
from specloop.lsp.protocol import SpecloopProtocol

if TYPE_CHECKING:
    from specloop.lsp.loop_feature import LoopFeature

log = logging.getLogger(__name__)

# Typing publishes at once (analysis takes about a millisecond); a burst of changes
# (a paste, an editor's bulk edit, a script) is folded into one analysis: a change that
# follows the previous one within BURST_SECONDS waits until the burst goes quiet.
BURST_SECONDS = 0.02
# Past this size the analysis moves off the event loop so requests keep being answered.
LARGE_DOCUMENT_BYTES = 1_000_000


@dataclass(frozen=True)
class _Quick:
    """A document's text before it is parsed: enough to place diagnostics."""

    source: bytes
    lines: LineIndex


class SpecloopServer(LanguageServer):
    """Holds the open documents and the current settings."""

    def __init__(self) -> None:
        super().__init__(
            "specloop",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=SpecloopProtocol,
        )
        self.documents = DocumentStore()
        self.settings = Settings()
        self._loop: LoopFeature | None = None
        self.projects = ProjectFeature(self)
        self._pending_diagnostics: dict[str, asyncio.Task[None]] = {}
        self._told_skipped: set[str] = set()
        self._last_change: dict[str, float] = {}
        self._published: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}
        self._analysing: dict[str, asyncio.Lock] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        # The last reported findings of each document: code actions come with every cursor
        # move, and a document's findings change only with its version or its settings.
        self._reported: dict[str, tuple[int | None, DiagnosticsSettings, list[Finding]]] = {}

    @property
    def loop(self) -> LoopFeature:
        """The loop's feature, loaded on first use: not on the way to ``initialize``."""
        if self._loop is None:
            from specloop.lsp.loop_feature import LoopFeature

            self._loop = LoopFeature(self)
        return self._loop

    async def preload_loop(self) -> None:
        """Import the loop's feature off the event loop once the client is initialized, so
        the first code action does not wait for it (the loop itself loads at that first
        code action, `LoopFeature._warm_up`)."""
        for module in ("specloop.lsp.loop_feature", "specloop.loop.llm"):
            await asyncio.to_thread(importlib.import_module, module)

    @property
    def started_loop(self) -> LoopFeature | None:
        """The loop's feature if it was ever used (nothing to stop or cancel otherwise)."""
        return self._loop

    def terminate(self) -> None:
        """SIGTERM: stop the loops, if any ever ran, and exit."""
        if self._loop is not None:
            self._loop.terminate()
            return
        logging.shutdown()
        os._exit(128 + signal.SIGTERM)

    def apply_settings(self, raw: object) -> None:
        """Validate and take new settings; tell the user which keys were ignored."""
        loaded = load_settings(_unwrap_section(raw))
        self.settings = loaded.settings
        self.documents.max_bytes = int(self.settings.max_document_megabytes * 1_000_000)
        if loaded.problems:
            message = format_problems(loaded.problems)
            log.warning(message)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )

    async def settings_for(self, uri: str) -> Settings:
        """The settings for one document: resource-scoped where the client has them.

        VS Code answers a ``workspace/configuration`` item scoped to the file with that
        workspace folder's values (``specloop.python``: the folder's interpreter, which
        the extension fills from the Python extension). Other clients: the settings the
        server already has.
        """
        if not self.client_supports("workspace.configuration"):
            return self.settings
        request = types.ConfigurationParams(
            items=[types.ConfigurationItem(scope_uri=uri, section=SETTINGS_SECTION)]
        )
        try:
            values = await self.workspace_configuration_async(request)
        except Exception:  # an editor that cannot answer: the settings it gave before
            log.warning("The editor did not answer a settings request for %s.", uri)
            return self.settings
        raw = _unwrap_section(values[0] if values else None)
        if not isinstance(raw, dict) or not raw:
            return self.settings
        loaded = load_settings(raw)
        return loaded.settings if not loaded.problems else self.settings

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A message that is not JSON is answered (ParseError); the rest as pygls does."""
        if isinstance(error, json.JSONDecodeError) and isinstance(self.protocol, SpecloopProtocol):
            self.protocol.answer_unparseable(error)
            return
        super().report_server_error(error, source)

    def tell_if_skipped(self, document: Document) -> None:
        """Say once per document that it is not analysed, and why."""
        if document.skipped is None:
            self._told_skipped.discard(document.uri)
            return
        if document.uri in self._told_skipped:
            return
        self._told_skipped.add(document.uri)
        name = document.uri.rsplit("/", 1)[-1]
        message = f"specloop does not analyse {name}: {document.skipped}."
        log.warning(message)
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=message)
        )

    def forget(self, uri: str) -> None:
        """A closed document leaves nothing behind."""
        self._told_skipped.discard(uri)
        self._last_change.pop(uri, None)
        self._analysing.pop(uri, None)
        self._published.pop(uri, None)
        self._reported.pop(uri, None)
        if self._loop is not None:
            self._loop.forget(uri)

    def client_supports(self, path: str) -> bool:
        """Whether a dotted client capability (``workspace.configuration``) is truthy."""
        value: Any = self.client_capabilities
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return False
        return bool(value)

    @property
    def pulls_diagnostics(self) -> bool:
        """Clients that pull diagnostics would show pushed ones twice, so they only pull."""
        return self.client_supports("text_document.diagnostic")

    def reported_findings(
        self, document: Document, options: DiagnosticsSettings | None = None
    ) -> list[Finding]:
        """The findings the document's diagnostics show (settings, excludes, suppressions)."""
        options = options or self.projects.diagnostics_settings(document.uri)
        if not options.enabled or document.skipped or self.projects.excludes(document.uri):
            return []
        key = (document.version, options)
        cached = self._reported.get(document.uri)
        if cached is not None and document.version is not None and cached[:2] == key:
            return cached[2]
        path = self.projects.relative_path(document.uri)
        findings = find_specs(
            document.source, document.tree, document.lines, options.markers, path=path
        )
        shown = reported(
            findings,
            document.source,
            document.lines,
            document.tree,
            docstrings=options.docstrings,
            tiers=options.tiers,
        )
        self._reported[document.uri] = (document.version, options, shown)
        return shown

    def diagnostics_for(
        self, document: Document, options: DiagnosticsSettings | None = None
    ) -> list[types.Diagnostic]:
        options = options or self.projects.diagnostics_settings(document.uri)
        findings = self.reported_findings(document, options)
        return self._lsp_diagnostics(document, findings, options)

    def publish_before_parsing(self, uri: str, source: bytes, version: int | None) -> None:
        """Diagnostics of the TODOs of a document just opened, before its full parse."""
        options = self.projects.diagnostics_settings(uri)
        too_large = len(source) > self.documents.max_bytes
        if (
            self.pulls_diagnostics
            or not options.enabled
            or too_large
            or self.projects.excludes(uri)
        ):
            return
        quick = _Quick(source, LineIndex.of(source))
        path = self.projects.relative_path(uri)
        found = quick_findings(quick.source, quick.lines, options.markers, path)
        findings = reported(
            found, quick.source, quick.lines, docstrings=options.docstrings, tiers=options.tiers
        )
        self._publish(uri, version, self._lsp_diagnostics(quick, findings, options))

    def _lsp_diagnostics(
        self, text: convert.Text, findings: list[Finding], options: DiagnosticsSettings
    ) -> list[types.Diagnostic]:
        unit = self.documents.unit
        return [convert.lsp_diagnostic(text, f, options.severity, unit) for f in findings]

    def _publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        """Publish, unless exactly these diagnostics were just published for this version."""
        if self._published.get(uri) == (version, diagnostics):
            return
        self._published[uri] = (version, diagnostics)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def diagnostics_after_change(self, uri: str) -> None:
        """Schedule the publish a change calls for: now, or when its burst goes quiet."""
        now = asyncio.get_running_loop().time()
        last = self._last_change.get(uri)
        self._last_change[uri] = now
        in_burst = last is not None and now - last < BURST_SECONDS
        self.schedule_diagnostics(uri, BURST_SECONDS if in_burst else 0)

    def schedule_diagnostics(self, uri: str, delay: float) -> None:
        """Publish diagnostics for ``uri`` after ``delay``, replacing any pending run."""
        if self.pulls_diagnostics:
            return
        pending = self._pending_diagnostics.pop(uri, None)
        if pending is not None and pending not in self._in_flight:
            pending.cancel()  # not started: the new run replaces it
        task = asyncio.get_running_loop().create_task(self._publish_later(uri, delay))
        self._pending_diagnostics[uri] = task
        task.add_done_callback(lambda done: self._forget_task(uri, done))

    def publish_if_nothing_to_report(self, uri: str, source: bytes, version: int | None) -> bool:
        """Publish empty diagnostics at once when no spec can be in ``source``; whether it did."""
        if self.pulls_diagnostics:
            return False
        options = self.projects.diagnostics_settings(uri)
        if options.enabled and may_contain_specs(source, options.markers):
            return False
        self._publish(uri, version, [])
        return True

    def refresh_all_diagnostics(self) -> None:
        if self.pulls_diagnostics:
            if self.client_supports("workspace.diagnostics.refresh_support"):
                self.workspace_diagnostic_refresh(None)
            return
        for uri in self.documents.uris():
            self.schedule_diagnostics(uri, 0)

    def clear_diagnostics(self, uri: str) -> None:
        pending = self._pending_diagnostics.pop(uri, None)
        if pending is not None:
            pending.cancel()
        if not self.pulls_diagnostics:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    async def _publish_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        # One analysis of a document at a time: one moved to a thread cannot be cancelled,
        # so a newer run waits for it rather than running beside it.
        async with self._analysing.setdefault(uri, asyncio.Lock()):
            document = self.documents.get(uri)
            if document is None:
                return
            # Started: a newer change no longer cancels this run; its result is dropped
            # below if the document moved on, and the newer run follows.
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                diagnostics = await self.diagnostics_off_loop_if_large(document)
            finally:
                self._in_flight.discard(task)
        latest = self.documents.get(uri)
        if latest is None or latest.version != document.version:
            return  # A newer version is on its way; never publish results for an old one.
        self._publish(uri, document.version, diagnostics)

    async def diagnostics_off_loop_if_large(self, document: Document) -> list[types.Diagnostic]:
        # Settings are looked up here, on the event loop: a bad pyproject.toml is told from here.
        options = self.projects.diagnostics_settings(document.uri)
        if len(document.source) < LARGE_DOCUMENT_BYTES:
            return self.diagnostics_for(document, options)
        return await asyncio.to_thread(self.diagnostics_for, document, options)

    def _forget_task(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._pending_diagnostics.get(uri) is task:
            del self._pending_diagnostics[uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("Diagnostics for %s failed", uri, exc_info=task.exception())

    def document(self, uri: str) -> Document | None:
        document = self.documents.get(uri)
        if document is None:
            log.warning("Request for %s, which is not open; ignoring it.", uri)
        return document


server = SpecloopServer()


@server.feature(types.INITIALIZE)
def initialize(ls: SpecloopServer, params: types.InitializeParams) -> None:
    ls.documents.unit = convert.column_unit(ls.workspace.position_encoding)
    ls.apply_settings(params.initialization_options)
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals: not Unix
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, ls.terminate)


@server.feature(types.INITIALIZED)
async def initialized(ls: SpecloopServer, params: types.InitializedParams) -> None:
    await ls.projects.register_watcher()
    await ls.preload_loop()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: SpecloopServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.projects.files_changed([change.uri for change in params.changes])


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: SpecloopServer, params: types.DidChangeConfigurationParams
) -> None:
    if ls.client_supports("workspace.configuration"):
        request = types.ConfigurationParams(
            items=[types.ConfigurationItem(section=SETTINGS_SECTION)]
        )
        values = await ls.workspace_configuration_async(request)
        ls.apply_settings(values[0] if values else None)
    else:
        ls.apply_settings(params.settings)
    ls.refresh_all_diagnostics()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SpecloopServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    if is_pyproject(item.uri):
        ls.projects.opened(item.uri, item.text, item.version)
        return
    # Most files hold no spec at all; say so before parsing, and skip the analysis.
    source = encode(item.text)
    nothing_to_report = ls.publish_if_nothing_to_report(item.uri, source, item.version)
    if not nothing_to_report:
        ls.publish_before_parsing(item.uri, source, item.version)
    ls.tell_if_skipped(ls.documents.open(item.uri, item.text, item.version))
    if not nothing_to_report:
        ls.schedule_diagnostics(item.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: SpecloopServer, params: types.DidChangeTextDocumentParams) -> None:
    uri, version = params.text_document.uri, params.text_document.version
    changes = [convert.content_change(change) for change in params.content_changes]
    if is_pyproject(uri):
        ls.projects.changed(uri, version, changes)
        return
    try:
        ls.tell_if_skipped(ls.documents.change(uri, version, changes))
    except UnknownDocumentError:
        log.warning("didChange for %s, which was never opened; ignoring it.", uri)
        return
    ls.diagnostics_after_change(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SpecloopServer, params: types.DidCloseTextDocumentParams) -> None:
    if is_pyproject(params.text_document.uri):
        ls.projects.closed(params.text_document.uri)
        return
    ls.documents.close(params.text_document.uri)
    ls.forget(params.text_document.uri)
    ls.clear_diagnostics(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: SpecloopServer, params: types.DidSaveTextDocumentParams) -> None:
    if is_pyproject(params.text_document.uri):
        ls.projects.saved(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(
    ls: SpecloopServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
    document = ls.document(params.text_document.uri)
    if document is None:
        return None
    symbols = module_symbols(document.tree)
    unit = ls.documents.unit
    hierarchical = "text_document.document_symbol.hierarchical_document_symbol_support"
    if ls.client_supports(hierarchical):
        return convert.lsp_document_symbols(document, symbols, unit)
    return convert.lsp_symbol_information(document, symbols, unit)


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
    ),
)
async def pull_diagnostics(
    ls: SpecloopServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    document = ls.document(params.text_document.uri)
    if document is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    diagnostics = await ls.diagnostics_off_loop_if_large(document)
    return types.RelatedFullDocumentDiagnosticReport(items=diagnostics)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]
    ),
)
def code_action(ls: SpecloopServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    document = ls.document(params.text_document.uri)
    if document is None or document.skipped:
        return []
    return ls.loop.code_actions(document, params) + ignore_actions(ls, document, params)


@server.command(IMPLEMENT_COMMAND)
async def implement(ls: SpecloopServer, target: CommandTarget) -> dict[str, Any]:
    return await ls.loop.run_command(ls.loop.implement(target))


@server.command(CLARIFY_COMMAND)
async def clarify_todo(ls: SpecloopServer, target: CommandTarget) -> dict[str, Any]:
    return await ls.loop.run_command(ls.loop.clarify(target))


@server.command(CHECK_PART_COMMAND)
async def check_part(ls: SpecloopServer, target: PartTarget) -> dict[str, Any]:
    return await ls.loop.run_command(ls.loop.check_part(target))


@server.command(LAST_RUN_COMMAND)
async def last_run_report(ls: SpecloopServer, *_: object) -> dict[str, Any]:
    return await ls.loop.last_run_report()


@server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
def cancel_progress(ls: SpecloopServer, params: types.WorkDoneProgressCancelParams) -> None:
    if ls.started_loop is not None:
        ls.started_loop.cancel_progress(str(params.token))


@server.feature(types.SHUTDOWN)
async def shutdown(ls: SpecloopServer, params: None) -> None:
    if ls.started_loop is not None:
        await ls.started_loop.shutdown()


def _unwrap_section(raw: object) -> object:
    """Accept both ``{...settings}`` and ``{"specloop": {...settings}, ...}``."""
    if isinstance(raw, dict) and isinstance(raw.get(SETTINGS_SECTION), dict):
        return raw[SETTINGS_SECTION]
    return raw
