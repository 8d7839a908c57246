"""Open documents as (bytes, tree-sitter Tree) snapshots, re-parsed incrementally.

The store applies each editor content change to its own bytes, tells the old
tree what moved (``Tree.edit``) and lets tree-sitter re-parse only what
changed. Snapshots are immutable: a background task holding one keeps a
consistent (source, tree, lines) triple while newer versions arrive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Point, Tree

from specloop.analysis.parsing import parse, parse_checked
from specloop.analysis.text import ColumnUnit, LineIndex, TextPoint, decode, encode


@dataclass(frozen=True, slots=True)
class ContentChange:
    """Replace ``start``..``end`` with ``text``; no range means replace the whole document."""

    text: str
    start: TextPoint | None = None
    end: TextPoint | None = None


@dataclass(frozen=True, slots=True)
class Document:
    uri: str
    version: int | None
    source: bytes
    tree: Tree
    """The tree of an empty module when the document is not analysed (``skipped``)."""
    lines: LineIndex
    skipped: str | None = None
    """Why the document is tracked but not analysed: too large, or nested too deeply."""

    @property
    def text(self) -> str:
        return decode(self.source)


class UnknownDocumentError(KeyError):
    """A change arrived for a URI that was never opened."""


class DocumentStore:
    """Per-URI snapshots; positions in changes are counted in ``unit``.

    Documents larger than ``max_bytes`` are tracked (their text follows every change)
    but not parsed, nor are documents nested too deeply to parse safely.
    """

    def __init__(self, unit: ColumnUnit = ColumnUnit.UTF16, max_bytes: int = 5_000_000) -> None:
        self.unit = unit
        self.max_bytes = max_bytes
        self._documents: dict[str, Document] = {}

    def open(self, uri: str, text: str, version: int | None = None) -> Document:
        source = encode(text)
        tree, skipped = self._parse(source, None)
        document = Document(uri, version, source, tree, LineIndex.of(source), skipped)
        self._documents[uri] = document
        return document

    def _parse(self, source: bytes, old_tree: Tree | None) -> tuple[Tree, str | None]:
        if len(source) > self.max_bytes:
            size, limit = len(source) / 1e6, self.max_bytes / 1e6
            reason = f"it is {size:.1f} MB, over the {limit:g} MB limit (maxDocumentMegabytes)"
            return parse(b""), reason
        return parse_checked(source, old_tree)

    def change(self, uri: str, version: int | None, changes: Iterable[ContentChange]) -> Document:
        current = self._documents.get(uri)
        if current is None:
            raise UnknownDocumentError(uri)
        source, lines = current.source, current.lines
        # A skipped document's tree is not its text's: nothing of it can be reused.
        tree: Tree | None = current.tree.copy() if current.skipped is None else None
        for change in changes:
            if change.start is None or change.end is None:
                source = encode(change.text)
                lines = LineIndex.of(source)
                tree = None
                continue
            source, lines = _apply(source, lines, tree, change, self.unit)
        new_tree, skipped = self._parse(source, tree)
        document = Document(uri, version, source, new_tree, lines, skipped)
        self._documents[uri] = document
        return document

    def close(self, uri: str) -> None:
        self._documents.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._documents.get(uri)

    def uris(self) -> list[str]:
        return list(self._documents)

    def __contains__(self, uri: object) -> bool:
        return uri in self._documents


def _apply(
    source: bytes,
    lines: LineIndex,
    tree: Tree | None,
    change: ContentChange,
    unit: ColumnUnit,
) -> tuple[bytes, LineIndex]:
    assert change.start is not None and change.end is not None
    start = lines.offset_of(source, change.start, unit)
    end = max(start, lines.offset_of(source, change.end, unit))
    inserted = encode(change.text)
    new_source = source[:start] + inserted + source[end:]
    new_lines = lines.replaced(start, end, inserted)
    if tree is not None:
        new_end = start + len(inserted)
        tree.edit(
            start_byte=start,
            old_end_byte=end,
            new_end_byte=new_end,
            start_point=_byte_point(lines, start),
            old_end_point=_byte_point(lines, end),
            new_end_point=_byte_point(new_lines, new_end),
        )
    return new_source, new_lines


def _byte_point(lines: LineIndex, offset: int) -> Point:
    line = lines.line_of(offset)
    return Point(line, offset - lines.starts[line])
