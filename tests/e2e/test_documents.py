"""End to end over stdio: initialize, open/change documents, documentSymbol."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import column, start_session
from tests.e2e.test_diagnostics import diagnostics_for_version

URI = "file:///tmp/specloop-e2e/billing.py"
SOURCE = """\
MARK = "😀"; import math


class Account:
    def charge(self, amount):
        def rounded():
            return math.ceil(amount)
        return rounded()


async def refund(amount): ...
"""


def open_document(client: LanguageClient, text: str = SOURCE, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=version, text=text
            )
        )
    )


def replace_on_first_line(client: LanguageClient, start: int, end: int, text: str) -> None:
    """Version 2: ``text`` in place of columns ``start:end`` of line 0."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=0, character=start),
                        end=types.Position(line=0, character=end),
                    ),
                    text=text,
                )
            ],
        )
    )


async def symbols(client: LanguageClient):
    return await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )


def names(found) -> list:
    return [(s.name, s.kind, names(s.children or [])) for s in found]


async def test_initialize_advertises_incremental_sync_and_document_symbols(
    bare_client: LanguageClient,
):
    result = await start_session(bare_client, "visual-studio-code")
    capabilities = result.capabilities
    assert capabilities.document_symbol_provider
    sync = capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.open_close
    assert capabilities.position_encoding == types.PositionEncodingKind.Utf16
    assert result.server_info is not None and result.server_info.name == "specloop"


async def test_document_symbols_are_nested_with_utf16_positions(client: LanguageClient):
    open_document(client)
    found = await symbols(client)
    assert names(found) == [
        (
            "Account",
            types.SymbolKind.Class,
            [("charge", types.SymbolKind.Method, [("rounded", types.SymbolKind.Function, [])])],
        ),
        ("refund", types.SymbolKind.Function, []),
    ]
    account = found[0]
    assert account.selection_range.start == types.Position(line=3, character=6)
    assert account.range.end == types.Position(line=7, character=24)


async def test_incremental_changes_land_where_the_negotiated_encoding_says(
    client: LanguageClient,
):
    encoding = client.encoding  # type: ignore[attr-defined]
    open_document(client)
    first_line = SOURCE.splitlines()[0]
    # Replace "import math" (after the emoji: the three encodings count it 4, 2 and 1)
    # with a TODO and a function; a column counted in the wrong unit corrupts the line.
    start = column(first_line, "import", encoding)
    added = "pass  # TODO: handle errors\ndef added(x):\n    return x\n"
    replace_on_first_line(client, start, start + len("import math"), added)
    [diagnostic] = await diagnostics_for_version(client, 2)
    found = await symbols(client)
    assert [s.name for s in found] == ["added", "Account", "refund"]
    assert found[0].selection_range.start == types.Position(line=1, character=4)
    expected_line = 'MARK = "😀"; pass  # TODO: handle errors'
    todo = column(expected_line, "# TODO", encoding)
    assert diagnostic.range.start == types.Position(line=0, character=todo)
    assert diagnostic.range.end == types.Position(
        line=0, character=todo + len("# TODO: handle errors")
    )


async def test_a_whole_document_change_replaces_the_text(client: LanguageClient):
    open_document(client)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(text="def only(): ...\n")
            ],
        )
    )
    assert [s.name for s in await symbols(client)] == ["only"]


async def test_symbols_of_a_document_that_is_not_open_are_null(client: LanguageClient):
    assert await symbols(client) is None
    open_document(client)
    assert len(await symbols(client)) == 2


async def test_clients_without_hierarchy_get_flat_symbols_with_containers(
    bare_client: LanguageClient,
):
    await bare_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities())
    )
    open_document(bare_client)
    found = await symbols(bare_client)
    assert [(s.name, s.container_name) for s in found] == [
        ("Account", None),
        ("charge", "Account"),
        ("rounded", "charge"),
        ("refund", None),
    ]


async def test_a_rename_after_non_bmp_letters_lands_on_the_name(client: LanguageClient):
    """Columns after 𐌰𐌱 count 8 (UTF-8), 4 (UTF-16) or 2 (UTF-32): one unit for another
    replaces the wrong characters, and the symbol's name shows it."""
    encoding = client.encoding  # type: ignore[attr-defined]
    line = "def 𐌰𐌱_total(): return 1"
    open_document(client, line + "\n")
    start = column(line, "_total", encoding)
    replace_on_first_line(client, start, start + len("_total"), "_sum")
    [found] = await symbols(client)
    assert found.name == "𐌰𐌱_sum"
    name_start = column(line, "𐌰𐌱", encoding)
    assert found.selection_range.start == types.Position(line=0, character=name_start)
    end = column("def 𐌰𐌱_sum(): return 1", "(", encoding)
    assert found.selection_range.end == types.Position(line=0, character=end)
