"""Line index over a UTF-8 buffer: byte offsets <-> (line, column) in any column unit.

tree-sitter and LibCST count bytes or code points; editors count UTF-16 code
units by default. Everything here works on bytes and converts columns on
demand, one line at a time, with a fast path for ASCII lines.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum

ENCODING = "utf-8"
# Lone surrogates can arrive in JSON text; keep them round-trippable instead of failing.
ENCODING_ERRORS = "surrogatepass"

_NEWLINE = re.compile(b"\n")


class ColumnUnit(StrEnum):
    """What one step of a column counts."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


@dataclass(frozen=True, slots=True)
class TextPoint:
    """A zero-based line and a column counted in some ColumnUnit."""

    line: int
    column: int


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ENCODING_ERRORS)


def decode(data: bytes) -> str:
    return data.decode(ENCODING, ENCODING_ERRORS)


def units_in(text: str, unit: ColumnUnit) -> int:
    """How many columns ``text`` spans when counted in ``unit``."""
    if unit is ColumnUnit.UTF32:
        return len(text)
    if unit is ColumnUnit.UTF8:
        return len(encode(text))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


class LineIndex:
    """Start offsets of every line of a byte buffer (lines end at b"\\n")."""

    __slots__ = ("starts",)

    def __init__(self, starts: list[int]) -> None:
        self.starts = starts

    @classmethod
    def of(cls, source: bytes) -> LineIndex:
        return cls([0, *(match.end() for match in _NEWLINE.finditer(source))])

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def line_bytes(self, source: bytes, line: int) -> bytes:
        """The line's content without its line ending."""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(source)
        content = source[start:end]
        if content.endswith(b"\n"):
            content = content[:-1]
        if content.endswith(b"\r"):
            content = content[:-1]
        return content

    def offset_of(self, source: bytes, point: TextPoint, unit: ColumnUnit) -> int:
        """Byte offset of ``point``; past-the-end lines and columns clamp as LSP requires."""
        if point.line < 0:
            return 0
        if point.line >= len(self.starts):
            return len(source)
        start = self.starts[point.line]
        content = self.line_bytes(source, point.line)
        column = max(point.column, 0)
        if source.startswith(b"\r\n", start + len(content)):
            # A client that keeps a CRLF's "\r" in the line (Neovim, where a file with
            # mixed line endings shows it as ^M) counts it as one more character: the
            # column just past the line's text is after the "\r", not clamped before it.
            ascii_only = unit is ColumnUnit.UTF8 or content.isascii()
            width = len(content) if ascii_only else units_in(decode(content), unit)
            if column == width + 1:
                return start + len(content) + 1
        return start + _byte_column(content, column, unit)

    def point_of(self, source: bytes, offset: int, unit: ColumnUnit) -> TextPoint:
        offset = min(max(offset, 0), len(source))
        line = self.line_of(offset)
        prefix = source[self.starts[line] : offset]
        if unit is ColumnUnit.UTF8 or prefix.isascii():
            return TextPoint(line, len(prefix))
        return TextPoint(line, units_in(decode(prefix), unit))

    def column_in(self, source: bytes, line: int, byte_column: int, unit: ColumnUnit) -> int:
        """Convert a byte column on ``line`` (as tree-sitter reports it) to ``unit``."""
        if unit is ColumnUnit.UTF8 or byte_column == 0:
            return byte_column
        start = self.starts[line] if line < len(self.starts) else len(source)
        prefix = source[start : start + byte_column]
        if prefix.isascii():
            return byte_column
        return units_in(decode(prefix), unit)

    def replaced(self, start: int, end: int, inserted: bytes) -> LineIndex:
        """The index after bytes ``start:end`` were replaced by ``inserted``."""
        first = self.line_of(start)
        last = self.line_of(end)
        delta = len(inserted) - (end - start)
        new_starts = self.starts[: first + 1]
        new_starts.extend(start + match.end() for match in _NEWLINE.finditer(inserted))
        new_starts.extend(offset + delta for offset in self.starts[last + 1 :])
        return LineIndex(new_starts)


def _byte_column(content: bytes, column: int, unit: ColumnUnit) -> int:
    if unit is ColumnUnit.UTF8 or content.isascii():
        return min(column, len(content))
    counted = 0
    offset = 0
    for char in decode(content):
        width = units_in(char, unit)
        if counted + width > column:
            break
        counted += width
        offset += len(encode(char))
    return offset
