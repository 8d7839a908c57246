"""specloop under a real Neovim (0.7+) client: outline, incremental sync, settings, roots.

The sample holds non-BMP characters where columns matter: LSP columns are UTF-16
code units by default, so each of those characters counts 2 (4 bytes, 1 code point).
Python allows nothing but indentation before ``def`` on a line, so the name whose
column is checked starts after non-BMP letters (``𐌰𐌱_total``), and a range ends
after an emoji (``greet``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import NeovimSession

pytestmark = pytest.mark.neovim

CLASS, METHOD, FUNCTION = 5, 6, 12  # LSP SymbolKind values
WARNING = 2  # LSP MessageType.Warning

SAMPLE = '''\
"""A sample module for the Neovim tests."""


class Greeter:
    def greet(self, face="😀"): return face

    def 𐌰𐌱_total(self):
        def helper():
            return 1

        return helper()


def main():
    Greeter().greet()
'''
LINES = SAMPLE.splitlines()


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def name_span(line: int, name: str) -> tuple[int, int, int, int]:
    """Where ``name`` is on ``line`` of SAMPLE, in LSP (UTF-16) columns."""
    start = utf16_len(LINES[line][: LINES[line].index(name)])
    return (line, start, line, start + utf16_len(name))


def span(lsp_range: dict[str, Any]) -> tuple[int, int, int, int]:
    start, end = lsp_range["start"], lsp_range["end"]
    return (start["line"], start["character"], end["line"], end["character"])


def outline(symbols: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(name, kind, selection range, children) for each symbol, nested."""
    return [
        (s["name"], s["kind"], span(s["selectionRange"]), outline(s.get("children") or []))
        for s in symbols
    ]


def names(symbols: list[dict[str, Any]]) -> list[Any]:
    return [(s["name"], names(s.get("children") or [])) for s in symbols]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_document_symbols_nest_with_utf16_columns(neovim: NeovimSession, project: Path) -> None:
    bufnr = neovim.open(write(project / "sample.py", SAMPLE))

    symbols = neovim.document_symbols(bufnr)

    assert outline(symbols) == [
        (
            "Greeter",
            CLASS,
            name_span(3, "Greeter"),
            [
                ("greet", METHOD, name_span(4, "greet"), []),
                (
                    "𐌰𐌱_total",
                    METHOD,
                    name_span(6, "𐌰𐌱_total"),
                    [("helper", FUNCTION, name_span(7, "helper"), [])],
                ),
            ],
        ),
        ("main", FUNCTION, name_span(13, "main"), []),
    ]
    # Spelled out: UTF-16 gives 18; code points would give 16, UTF-8 bytes 22.
    assert name_span(6, "𐌰𐌱_total")[3] == 18
    greet = symbols[0]["children"][0]
    assert span(greet["range"]) == (4, 4, 4, utf16_len(LINES[4])), "range end after the emoji"


def test_incremental_edits_match_a_fresh_open(neovim: NeovimSession, project: Path) -> None:
    bufnr = neovim.open(write(project / "sample.py", SAMPLE))
    neovim.document_symbols(bufnr)
    api = neovim.nvim.api

    # Rename after the non-BMP letters: the change's columns are UTF-16 and the server must agree.
    row, line = 6, LINES[6]
    start = len(line[: line.index("_total")].encode())  # Neovim's API takes byte columns
    api.buf_set_text(bufnr, row, start, row, start + len("_total"), ["_sum"])
    # Delete the nested helper (a multi-line deletion), then add lines in the middle and at the end.
    api.buf_set_lines(bufnr, 7, 10, True, [])
    api.buf_set_lines(bufnr, 5, 5, True, ["    def wave(self):", "        return '👋'", ""])
    api.buf_set_lines(bufnr, -1, -1, True, ["", "", "def added(x):", "    return x"])
    symbols = neovim.document_symbols(bufnr)

    changes = [c for params in neovim.sent_changes() for c in params["contentChanges"]]
    assert changes, "Neovim sent no didChange"
    assert all("range" in c for c in changes), f"expected incremental changes, got {changes}"
    assert names(symbols) == [
        ("Greeter", [("greet", []), ("wave", []), ("𐌰𐌱_sum", [])]),
        ("main", []),
        ("added", []),
    ]
    # The same text opened fresh (full didOpen) must give exactly the same symbols and ranges.
    edited = "\n".join(api.buf_get_lines(bufnr, 0, -1, True)) + "\n"
    fresh = neovim.open(write(project / "fresh.py", edited))
    assert neovim.document_symbols(fresh) == symbols


def test_an_edit_after_a_carriage_return_lands_where_neovim_put_it(
    neovim: NeovimSession, project: Path
) -> None:
    """In a file with mixed line endings Neovim keeps a CRLF's "\\r" in its line (^M) and
    counts it as a column: typing after it must land after it in the server's text too."""
    bufnr = neovim.open(
        write(project / "mixed.py", "def a():\n    pass\r\n\n\ndef b():\n    pass\n")
    )
    neovim.document_symbols(bufnr)
    api = neovim.nvim.api
    assert api.buf_get_lines(bufnr, 1, 2, True) == ["    pass\r"]
    api.buf_set_text(bufnr, 1, 9, 1, 9, ["  # TODO: handle errors"])

    def todo_at(buffer: int) -> list[tuple[int, int, int]]:
        neovim.wait_for(f"#vim.diagnostic.get({buffer}) > 0", what="the TODO's diagnostic")
        return [(d["lnum"], d["col"], d["end_col"]) for d in neovim.diagnostics(buffer)]

    # The same text opened fresh (full didOpen) must show the TODO at the same place.
    edited = "\n".join(api.buf_get_lines(bufnr, 0, -1, True)) + "\n"
    fresh = neovim.open(write(project / "fresh.py", edited))
    assert todo_at(bufnr) == todo_at(fresh)
    assert todo_at(bufnr)[0][:2] == (1, 11)  # after "    pass\r  "


def test_invalid_settings_are_reported_by_key(start_neovim: Any, project: Path) -> None:
    neovim = start_neovim({"diagnostics": {"severity": "loud"}})
    bufnr = neovim.open(write(project / "sample.py", SAMPLE))

    neovim.wait_for("#specloop_test.all_messages() > 0", what="a window/showMessage from specloop")
    [message] = neovim.messages()
    assert message["type"] == WARNING
    assert "specloop.diagnostics.severity" in message["message"]
    assert names(neovim.document_symbols(bufnr))[1] == ("main", []), "server kept working"


def test_default_settings_raise_no_warning(neovim: NeovimSession, project: Path) -> None:
    # An empty Lua table travels as a JSON array; specloop.lua must send an object instead.
    bufnr = neovim.open(write(project / "sample.py", SAMPLE))
    neovim.document_symbols(bufnr)
    assert neovim.messages() == []


def test_changed_settings_are_applied(neovim: NeovimSession, project: Path) -> None:
    bufnr = neovim.open(write(project / "sample.py", SAMPLE))

    # Neovim 0.7 does not advertise workspace.configuration, so the server takes the
    # pushed settings; newer versions do, and the server pulls client.config.settings.
    neovim.lua(
        """
        local client = specloop_test.client(...)
        client.config.settings.specloop = { diagnostics = { severity = "loud" } }
        client.notify("workspace/didChangeConfiguration", { settings = client.config.settings })
        """,
        bufnr,
    )

    neovim.wait_for("#specloop_test.all_messages() > 0", what="a window/showMessage from specloop")
    [message] = neovim.messages()
    assert "specloop.diagnostics.severity" in message["message"]


def test_one_client_per_project_root(neovim: NeovimSession, project: Path, tmp_path: Path) -> None:
    first = neovim.open(write(project / "a.py", SAMPLE))
    nested = neovim.open(write(project / "pkg" / "b.py", SAMPLE))
    elsewhere = neovim.open(write(tmp_path / "elsewhere" / "c.py", SAMPLE))

    assert neovim.client_id(first) == neovim.client_id(nested)
    assert neovim.client_id(first) != neovim.client_id(elsewhere)
    roots = [
        neovim.lua("return specloop_test.client(...).config.root_dir", bufnr)
        for bufnr in (first, elsewhere)
    ]
    assert roots == [str(project), str(tmp_path / "elsewhere")]
