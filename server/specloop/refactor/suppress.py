"""The edit behind "Ignore this TODO": a ``# specloop: ignore`` comment where the rule reads it.

`specloop.analysis.suppressions` says where a suppression comment counts
(`suppression_point`); this module turns that place into one `LineEdit` on the text:
the comment appended to a flagged comment's line, or a line of its own inserted above a
stub's decorators (else its ``def``), indented like it and ending as the file's lines end.
"""

from __future__ import annotations

from specloop.analysis.suppressions import IGNORE_COMMENT, SuppressionPoint
from specloop.refactor.edits import LineEdit, split_lines


def ignore_edit(text: str, point: SuppressionPoint) -> LineEdit:
    """The edit of ``text`` that writes the suppression comment at ``point``."""
    lines = split_lines(text)
    line = lines[point.line] if point.line < len(lines) else ""
    content = line.rstrip("\r\n")
    if point.at_end:
        kept = content.rstrip(" \t")
        return LineEdit(point.line, len(kept), point.line, len(content), f"  {IGNORE_COMMENT}")
    ending = "\r\n" if line.endswith("\r\n") else "\n"
    return LineEdit(point.line, 0, point.line, 0, f"{point.indent}{IGNORE_COMMENT}{ending}")
