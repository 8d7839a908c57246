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

from specloop.analysis.parsing import parse
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
    lines: LineIndex

    @property
    def text(self) -> str:
        return decode(self.source)


class UnknownDocumentError(KeyError):
    """A change arrived for a URI that was never opened."""


class DocumentStore:
    """Per-URI snapshots; positions in changes are counted in ``unit``."""

    def __init__(self, unit: ColumnUnit = ColumnUnit.UTF16) -> None:
        self.unit = unit
        self._documents: dict[str, Document] = {}

    def open(self, uri: str, text: str, version: int | None = None) -> Document:
        source = encode(text)
        document = Document(uri, version, source, parse(source), LineIndex.of(source))
        self._documents[uri] = document
        return document

    def change(self, uri: str, version: int | None, changes: Iterable[ContentChange]) -> Document:
        current = self._documents.get(uri)
        if current is None:
            raise UnknownDocumentError(uri)
        source, lines = current.source, current.lines
        tree: Tree | None = current.tree.copy()
        for change in changes:
            if change.start is None or change.end is None:
                source = encode(change.text)
                lines = LineIndex.of(source)
                tree = None
                continue
            source, lines = _apply(source, lines, tree, change, self.unit)
        document = Document(uri, version, source, parse(source, tree), lines)
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
