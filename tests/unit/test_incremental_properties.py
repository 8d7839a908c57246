"""Random incremental edits, in each position encoding, agree with starting afresh.

After every edit of a random sequence (inserts, deletes, replacements, across lines,
with non-ASCII and non-BMP characters), the document's text is the edited text, its
incrementally re-parsed tree is the tree of a fresh parse, its specs are those a fresh
analysis finds, and positions convert to offsets and back unchanged. Positions count a
CRLF's "\\r" as a character of its line, as Neovim does where it shows it as ^M: one
just past it is between the "\\r" and the "\\n".
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tree_sitter import Node

from specloop.analysis.documents import ContentChange, DocumentStore
from specloop.analysis.findings import find_specs
from specloop.analysis.text import ColumnUnit, TextPoint, encode, units_in

START = '''\
MARK = "😀"  # TODO: handle errors
class Caf\u00e9:
    def 𐌰𐌱(self, amount):
        """Doc: maybe cache this?"""
        # FIXME: fix it
        return amount  # XXX: order matters
'''
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "60"))
"""Per encoding; PROPERTY_EXAMPLES=10000 for a longer search (about 2 minutes)."""
PIECES = st.sampled_from(
    ["", "x", "é", "😀", "𐌰", "\n", "    ", "# TODO: handle errors\n", "def f():\n    pass\n",
     '"""', "(", ")", ":", "\r\n", "# TODO", " maybe?"]
)  # fmt: skip


def point(text: str, index: int, unit: ColumnUnit) -> TextPoint:
    """Code-point ``index`` of ``text`` as an LSP position counted in ``unit``."""
    line = text.count("\n", 0, index)
    line_start = text.rfind("\n", 0, index) + 1
    return TextPoint(line, units_in(text[line_start:index], unit))


def shape(node: Node) -> tuple[object, ...]:
    return (node.type, node.start_byte, node.end_byte, tuple(shape(c) for c in node.children))


def specs_of(document) -> list[tuple[int, int, str]]:
    found = find_specs(document.source, document.tree, document.lines)
    return [(f.spec.start, f.spec.end, f.message) for f in found]


@pytest.mark.parametrize("unit", list(ColumnUnit))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_edits_agree_with_a_fresh_start(unit: ColumnUnit, data: st.DataObject) -> None:
    store = DocumentStore(unit)
    text = START
    document = store.open("file:///m.py", text, 1)
    for version in range(2, data.draw(st.integers(2, 8))):
        start = data.draw(st.integers(0, len(text)), label="start")
        end = data.draw(st.integers(start, min(len(text), start + 40)), label="end")
        inserted = "".join(data.draw(st.lists(PIECES, max_size=3), label="inserted"))
        change = ContentChange(inserted, point(text, start, unit), point(text, end, unit))
        document = store.change("file:///m.py", version, [change])
        text = text[:start] + inserted + text[end:]
        assert document.text == text
        fresh = DocumentStore(unit).open("file:///fresh.py", text)
        assert shape(document.tree.root_node) == shape(fresh.tree.root_node)
        assert specs_of(document) == specs_of(fresh)
        for index in data.draw(st.lists(st.integers(0, len(text)), max_size=5), label="probes"):
            offset = len(encode(text[:index]))
            there = document.lines.point_of(document.source, offset, unit)
            assert there == point(text, index, unit)
            assert document.lines.offset_of(document.source, there, unit) == offset
