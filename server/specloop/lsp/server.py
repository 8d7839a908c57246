"""The language server: one SpecloopServer owns all state; handlers stay thin.

Each handler reads: get the document -> call the domain -> convert -> return.

Nothing on the way to ``initialize`` imports the analysis, the settings model (pydantic)
or the loop: they take longer to import than pygls itself. Settings and the analysis
load at ``initialized``, before the first document arrives (`load_features`); the loop
after that, off the event loop (`preload_loop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import signal
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from specloop import __version__
from specloop.analysis.documents import Document, DocumentStore, UnknownDocumentError
from specloop.analysis.symbols import module_symbols
from specloop.defaults import SETTINGS_SECTION, SOURCE
from specloop.lsp import convert
from specloop.lsp.commands import (
    CHECK_PART_COMMAND,
    CLARIFY_COMMAND,
    IMPLEMENT_COMMAND,
    LAST_RUN_COMMAND,
    CommandTarget,
    PartTarget,
)
from specloop.lsp.protocol import SpecloopProtocol

if TYPE_CHECKING:
    from specloop.config import Settings
    from specloop.lsp.diagnostics_feature import DiagnosticsFeature
    from specloop.lsp.loop_feature import LoopFeature
    from specloop.lsp.project_feature import ProjectFeature

log = logging.getLogger(__name__)


class SpecloopServer(LanguageServer):
    """Holds the open documents and the current settings; its features load on first use."""

    def __init__(self) -> None:
        super().__init__(
            "specloop",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=SpecloopProtocol,
        )
        self.documents = DocumentStore()
        self.initialization_options: object = None
        self._settings: Settings | None = None
        self._projects: ProjectFeature | None = None
        self._diagnostics: DiagnosticsFeature | None = None
        self._loop: LoopFeature | None = None
        self._background: set[asyncio.Task[None]] = set()

    @property
    def settings(self) -> Settings:
        """The editor's settings; those of ``initializationOptions`` until others arrive."""
        if self._settings is None:
            self.apply_settings(self.initialization_options)
        assert self._settings is not None
        return self._settings

    @property
    def projects(self) -> ProjectFeature:
        """``[tool.specloop]`` of each project, and the pyproject.toml files open."""
        if self._projects is None:
            from specloop.lsp.project_feature import ProjectFeature

            self._projects = ProjectFeature(self)
        return self._projects

    @property
    def diagnostics(self) -> DiagnosticsFeature:
        """What each open document's diagnostics show, and publishing them."""
        if self._diagnostics is None:
            from specloop.lsp.diagnostics_feature import DiagnosticsFeature

            self._diagnostics = DiagnosticsFeature(self)
        return self._diagnostics

    @property
    def loop(self) -> LoopFeature:
        """The loop's feature, loaded on first use: not on the way to ``initialize``."""
        if self._loop is None:
            from specloop.lsp.loop_feature import LoopFeature

            self._loop = LoopFeature(self)
        return self._loop

    def load_features(self) -> None:
        """At ``initialized``: the settings and the analysis, before any document arrives and
        before the loop's preload competes with them for the interpreter."""
        self.apply_settings(self.initialization_options)
        _ = self.projects, self.diagnostics

    async def after_initialized(self) -> None:
        await self.projects.register_watcher()
        await self.preload_loop()

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine on the event loop without waiting for it (kept until it ends)."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
        from specloop.config import format_problems, load_settings

        loaded = load_settings(_unwrap_section(raw))
        self._settings = loaded.settings
        self.documents.max_bytes = int(loaded.settings.max_document_megabytes * 1_000_000)
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
        from specloop.config import load_settings

        loaded = load_settings(raw)
        return loaded.settings if not loaded.problems else self.settings

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A message that is not JSON is answered (ParseError); the rest as pygls does."""
        if isinstance(error, json.JSONDecodeError) and isinstance(self.protocol, SpecloopProtocol):
            self.protocol.answer_unparseable(error)
            return
        super().report_server_error(error, source)

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

    def document(self, uri: str) -> Document | None:
        document = self.documents.get(uri)
        if document is None:
            log.warning("Request for %s, which is not open; ignoring it.", uri)
        return document


server = SpecloopServer()


@server.feature(types.INITIALIZE)
def initialize(ls: SpecloopServer, params: types.InitializeParams) -> None:
    ls.documents.unit = convert.column_unit(ls.workspace.position_encoding)
    ls.initialization_options = params.initialization_options
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals: not Unix
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, ls.terminate)


@server.feature(types.INITIALIZED)
def initialized(ls: SpecloopServer, params: types.InitializedParams) -> None:
    # Not a coroutine: the settings must be in place before the next message is handled.
    ls.load_features()
    ls.in_background(ls.after_initialized())


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
    ls.diagnostics.refresh_all()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SpecloopServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    if ls.projects.owns(item.uri):
        ls.projects.opened(item.uri, item.text, item.version)
        return
    ls.diagnostics.opened(item.uri, item.text, item.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: SpecloopServer, params: types.DidChangeTextDocumentParams) -> None:
    uri, version = params.text_document.uri, params.text_document.version
    changes = [convert.content_change(change) for change in params.content_changes]
    if ls.projects.owns(uri):
        ls.projects.changed(uri, version, changes)
        return
    try:
        ls.diagnostics.tell_if_skipped(ls.documents.change(uri, version, changes))
    except UnknownDocumentError:
        log.warning("didChange for %s, which was never opened; ignoring it.", uri)
        return
    ls.diagnostics.changed(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SpecloopServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.projects.owns(uri):
        ls.projects.closed(uri)
        return
    ls.documents.close(uri)
    ls.diagnostics.closed(uri)
    if ls.started_loop is not None:
        ls.started_loop.forget(uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: SpecloopServer, params: types.DidSaveTextDocumentParams) -> None:
    if ls.projects.owns(params.text_document.uri):
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
    diagnostics = await ls.diagnostics.for_document(document)
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
    from specloop.lsp.ignore_action import ignore_actions  # the analysis: not before `initialized`

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
