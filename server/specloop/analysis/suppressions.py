"""Suppression comments: the one rule for ``# specloop: ignore`` and ``# specloop: ignore-file``.

`specloop check` and the language server both filter findings through `unsuppressed`,
so a comment silences the same finding everywhere. Where a comment counts:

- **A TODO comment**: ``# specloop: ignore`` at the end of a line of the flagged comment
  (``# TODO: handle errors  # specloop: ignore``).
- **A stub docstring**: ``# specloop: ignore`` alone on the line directly above the
  function's ``def``, or directly above its first decorator, or at the end of the
  ``def`` line itself.
- **A whole file**: ``# specloop: ignore-file`` alone on any line of the module.

Directives are read case-insensitively, with any spacing around ``:``.
`suppression_point` says where the quick fix writes a comment so that this rule sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node, Tree

from specloop.analysis.findings import Finding
from specloop.analysis.specs import Spec, SpecKind
from specloop.analysis.text import LineIndex, decode

IGNORE_COMMENT = "# specloop: ignore"
IGNORE_FILE_COMMENT = "# specloop: ignore-file"

_AT_LINE_END = re.compile(r"#[ \t]*specloop[ \t]*:[ \t]*ignore[ \t]*$", re.IGNORECASE)
_ALONE = re.compile(r"^[ \t]*#[ \t]*specloop[ \t]*:[ \t]*ignore[ \t]*$", re.IGNORECASE)
_FILE = re.compile(
    rb"^[ \t]*#[ \t]*specloop[ \t]*:[ \t]*ignore-file[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)


def file_is_ignored(source: bytes) -> bool:
    """Whether the module carries ``# specloop: ignore-file`` on a line of its own."""
    return _FILE.search(source) is not None


def unsuppressed(
    findings: Iterable[Finding], source: bytes, lines: LineIndex, tree: Tree | None = None
) -> list[Finding]:
    """The findings no suppression comment silences (without ``tree``, decorators are not
    looked through: only the line above the ``def`` counts for a docstring)."""
    if file_is_ignored(source):
        return []
    return [finding for finding in findings if not is_suppressed(finding.spec, source, lines, tree)]


def is_suppressed(spec: Spec, source: bytes, lines: LineIndex, tree: Tree | None = None) -> bool:
    if spec.kind is SpecKind.COMMENT:
        first, last = lines.line_of(spec.start), lines.line_of(max(spec.start, spec.end - 1))
        return any(_AT_LINE_END.search(_line(source, lines, n)) for n in range(first, last + 1))
    def_line = lines.line_of(spec.scope.start)
    if _AT_LINE_END.search(_line(source, lines, def_line)):
        return True
    above = {def_line - 1, lines.line_of(_definition_start(spec, tree)) - 1}
    return any(line >= 0 and _ALONE.match(_line(source, lines, line)) for line in above)


@dataclass(frozen=True, slots=True)
class SuppressionPoint:
    """Where a quick fix writes ``# specloop: ignore``: at the end of ``line`` (a comment's
    line), or on a new line inserted above ``line`` with ``indent`` (a docstring's def)."""

    line: int
    at_end: bool
    indent: str = ""


def suppression_point(
    spec: Spec, source: bytes, lines: LineIndex, tree: Tree | None
) -> SuppressionPoint:
    """The place `is_suppressed` reads for ``spec``: the comment's first line, or above the
    function's decorators (else its ``def``)."""
    if spec.kind is SpecKind.COMMENT:
        return SuppressionPoint(lines.line_of(spec.start), at_end=True)
    line = lines.line_of(_definition_start(spec, tree))
    text = _line(source, lines, line)
    return SuppressionPoint(line, at_end=False, indent=text[: len(text) - len(text.lstrip())])


def _definition_start(spec: Spec, tree: Tree | None) -> int:
    """Where the docstring's function starts, its decorators included when the tree is known."""
    if tree is None:
        return spec.scope.start
    node: Node | None = tree.root_node.descendant_for_byte_range(spec.scope.start, spec.scope.start)
    while node is not None and node.type != "function_definition":
        node = node.parent
    if node is None:
        return spec.scope.start
    parent = node.parent
    return (
        parent.start_byte
        if parent is not None and parent.type == "decorated_definition"
        else node.start_byte
    )


def _line(source: bytes, lines: LineIndex, line: int) -> str:
    return decode(lines.line_bytes(source, line))
