"""The language server: one SpecloopServer owns all state; handlers stay thin.

Each handler reads: get the document -> call the domain -> convert -> return.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from specloop import __version__
from specloop.analysis.documents import Document, DocumentStore, UnknownDocumentError
from specloop.analysis.symbols import module_symbols
from specloop.config import SETTINGS_SECTION, Settings, format_problems, load_settings
from specloop.lsp import convert

log = logging.getLogger(__name__)


class SpecloopServer(LanguageServer):
    """Holds the open documents and the current settings."""

    def __init__(self) -> None:
        super().__init__(
            "specloop",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.documents = DocumentStore()
        self.settings = Settings()

    def apply_settings(self, raw: object) -> None:
        """Validate and take new settings; tell the user which keys were ignored."""
        loaded = load_settings(_unwrap_section(raw))
        self.settings = loaded.settings
        if loaded.problems:
            message = format_problems(loaded.problems)
            log.warning(message)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )

    def client_supports(self, path: str) -> bool:
        """Whether a dotted client capability (``workspace.configuration``) is truthy."""
        value: Any = self.client_capabilities
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return False
        return bool(value)

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


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SpecloopServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.documents.open(item.uri, item.text, item.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: SpecloopServer, params: types.DidChangeTextDocumentParams) -> None:
    uri, version = params.text_document.uri, params.text_document.version
    changes = [convert.content_change(change) for change in params.content_changes]
    try:
        ls.documents.change(uri, version, changes)
    except UnknownDocumentError:
        log.warning("didChange for %s, which was never opened; re-reading it.", uri)
        _resynchronise(ls, uri, version)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SpecloopServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.close(params.text_document.uri)


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


def _resynchronise(ls: SpecloopServer, uri: str, version: int | None) -> None:
    """Rebuild our snapshot from pygls's copy, which has already applied the changes."""
    text_document = ls.workspace.get_text_document(uri)
    ls.documents.open(uri, text_document.source, version)


def _unwrap_section(raw: object) -> object:
    """Accept both ``{...settings}`` and ``{"specloop": {...settings}, ...}``."""
    if isinstance(raw, dict) and isinstance(raw.get(SETTINGS_SECTION), dict):
        return raw[SETTINGS_SECTION]
    return raw
