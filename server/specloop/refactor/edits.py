"""Turn a new version of a file into the fewest whole-line edits, and into a unified diff.

Lines end at "\\n" (so a CRLF line keeps its "\\r"), the same rule as the line index
in `specloop.analysis.text`. Positions are 0-based lines and columns counted in
Unicode code points; `lsp/` converts them to the client's position encoding.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass(frozen=True)
class LineEdit:
    """Replace the text from (start_line, start_column) to (end_line, end_column) with new_text."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    new_text: str


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, each keeping its line ending; no empty line after a final one."""
    lines = text.split("\n")
    kept = [line + "\n" for line in lines[:-1]]
    return [*kept, lines[-1]] if lines[-1] else kept


def minimal_edits(old: str, new: str) -> list[LineEdit]:
    """The fewest line-range replacements that turn ``old`` into ``new``, in document order."""
    old_lines, new_lines = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    return [
        _line_edit(old_lines, start, end, "".join(new_lines[new_start:new_end]))
        for start, end, new_start, new_end in _changed_ranges(matcher.get_opcodes())
    ]


def rebase(
    base: str, current: str, edits: Sequence[LineEdit], protected: tuple[int, int]
) -> list[LineEdit] | None:
    """``edits`` (made against ``base``) moved onto ``current``, where the user went on typing.

    None when a change from ``base`` to ``current`` overlaps an edited line or a line of
    ``protected`` (0-based first and last line, inclusive: the definition being replaced):
    applying the edits then would overwrite what the user typed. A change elsewhere,
    including lines inserted right above or below, only shifts the edits below it.
    """
    if base == current:
        return list(edits)
    matcher = difflib.SequenceMatcher(None, split_lines(base), split_lines(current), autojunk=False)
    typed = [
        (start, end, new_end - new_start)
        for start, end, new_start, new_end in _changed_ranges(matcher.get_opcodes())
    ]
    guarded = [(edit.start_line, edit.end_line) for edit in edits]
    guarded.append((protected[0], protected[1] + 1))
    if any(_overlap(start, end, guard) for start, end, _ in typed for guard in guarded):
        return None
    moved = []
    for edit in edits:
        shift = sum(size - (end - start) for start, end, size in typed if end <= edit.start_line)
        moved.append(
            LineEdit(
                edit.start_line + shift,
                edit.start_column,
                edit.end_line + shift,
                edit.end_column,
                edit.new_text,
            )
        )
    return moved


def _overlap(start: int, end: int, guard: tuple[int, int]) -> bool:
    """Whether lines ``start:end`` of the base (an insertion when equal) touch ``guard``."""
    guard_start, guard_end = guard
    if start == end:  # lines inserted before line ``start``
        inside = guard_start < start < guard_end
        return inside or guard_start == guard_end == start
    if guard_start == guard_end:  # an edit that inserts before line ``guard_start``
        return start <= guard_start < end
    return start < guard_end and guard_start < end


def _changed_ranges(
    opcodes: Sequence[tuple[str, int, int, int, int]],
) -> Iterator[tuple[int, int, int, int]]:
    """Non-equal opcodes, with touching ones merged into one range."""
    pending: tuple[int, int, int, int] | None = None
    for tag, start, end, new_start, new_end in opcodes:
        if tag == "equal":
            continue
        if pending is not None and pending[1] == start and pending[3] == new_start:
            pending = (pending[0], end, pending[2], new_end)
            continue
        if pending is not None:
            yield pending
        pending = (start, end, new_start, new_end)
    if pending is not None:
        yield pending


def _line_edit(lines: Sequence[str], start: int, end: int, text: str) -> LineEdit:
    start_line, start_column = _line_start(lines, start)
    end_line, end_column = _line_start(lines, end)
    return LineEdit(start_line, start_column, end_line, end_column, text)


def _line_start(lines: Sequence[str], index: int) -> tuple[int, int]:
    """Where line ``index`` starts; past the last line, that is the end of the file."""
    if index < len(lines) or not lines or lines[-1].endswith("\n"):
        return index, 0
    return len(lines) - 1, len(lines[-1])


def apply_edits(old: str, edits: Sequence[LineEdit]) -> str:
    """``old`` with non-overlapping ``edits`` applied (from the last to the first)."""
    starts = _line_offsets(old)
    text = old
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_column), reverse=True):
        start = _offset(starts, len(old), edit.start_line, edit.start_column)
        end = _offset(starts, len(old), edit.end_line, edit.end_column)
        text = text[:start] + edit.new_text + text[end:]
    return text


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    position = text.find("\n")
    while position != -1:
        offsets.append(position + 1)
        position = text.find("\n", position + 1)
    return offsets


def _offset(starts: Sequence[int], size: int, line: int, column: int) -> int:
    if line >= len(starts):
        return size
    return min(starts[line] + column, size)


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff (``a/path``, ``b/path``, 3 lines of context); empty when nothing changed."""
    if old == new:
        return ""
    name = path.replace("\\", "/").lstrip("/")
    lines = difflib.unified_diff(
        split_lines(old), split_lines(new), fromfile=f"a/{name}", tofile=f"b/{name}", n=3
    )
    return "".join(line if line.endswith("\n") else f"{line}\n{_NO_NEWLINE}" for line in lines)
