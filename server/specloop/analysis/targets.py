"""Which definition a line is about: the one rule the code actions and the run share.

A line belongs to the innermost function or class around it — unless it is part of a
comment (a TODO or a plain comment) that sits directly above a definition at the same
or a deeper indentation than the comment, or a docstring; then it belongs to that
definition. The Implement action's title names `target_at`'s definition and the run
works on the same one, with the specs `target_at` found for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Tree

from specloop.analysis.index import Definition, ModuleIndex
from specloop.analysis.specs import Spec, SpecKind, extract_specs
from specloop.analysis.text import LineIndex
from specloop.defaults import DEFAULT_MARKERS


@dataclass(frozen=True, slots=True)
class TargetAt:
    """What a line is about: its definition (None at module level) and its specs."""

    definition: Definition | None
    spec_at_line: Spec | None
    """The spec the line is part of, if any."""
    specs: tuple[Spec, ...]
    """Every spec written for ``definition``, in document order."""


@dataclass(frozen=True, slots=True)
class ParsedModule:
    source: bytes
    tree: Tree
    lines: LineIndex
    module: ModuleIndex


def target_at(
    parsed: ParsedModule, line: int, markers: Iterable[str] = DEFAULT_MARKERS
) -> TargetAt:
    """The definition 1-based ``line`` is about, with every spec written for it."""
    specs = extract_specs(parsed.source, parsed.tree, parsed.lines, markers)
    at_line = next((spec for spec in specs if _covers(parsed.lines, spec, line)), None)
    if at_line is not None:
        definition = _owner(parsed, at_line)
    else:
        definition = _below_comment(parsed, line) or parsed.module.innermost(line)
    owned = tuple(
        spec for spec in specs if definition is not None and _owner(parsed, spec) is definition
    )
    return TargetAt(definition, at_line, owned)


def spec_lines(lines: LineIndex, spec: Spec) -> tuple[int, int]:
    """The 1-based first and last lines of a spec."""
    return lines.line_of(spec.start) + 1, lines.line_of(max(spec.end - 1, spec.start)) + 1


def _covers(lines: LineIndex, spec: Spec, line: int) -> bool:
    first, last = spec_lines(lines, spec)
    return first <= line <= last


def _owner(parsed: ParsedModule, spec: Spec) -> Definition | None:
    """The definition a standalone comment sits directly above, else the innermost around it."""
    first, last = spec_lines(parsed.lines, spec)
    if spec.kind is SpecKind.COMMENT and not spec.context.trailing_code:
        column = spec.start - parsed.lines.starts[first - 1]
        below = _starting_at(parsed, last + 1, column)
        if below is not None:
            return below
    return parsed.module.innermost(first)


def _below_comment(parsed: ParsedModule, line: int) -> Definition | None:
    """The definition directly below the block of comment lines holding ``line``."""
    last, column = line, None
    while last <= parsed.lines.line_count:
        text = parsed.lines.line_bytes(parsed.source, last - 1)
        stripped = text.lstrip()
        if not stripped.startswith(b"#"):
            break
        indent = len(text) - len(stripped)
        column = indent if column is None else min(column, indent)
        last += 1
    if column is None:
        return None
    return _starting_at(parsed, last, column)


def _starting_at(parsed: ParsedModule, line: int, column: int) -> Definition | None:
    """The outermost definition starting at ``line`` indented at least ``column``.

    A comment indented deeper than the definition below it ends the body above
    (the tail of the previous function), so it is not that definition's.
    """
    for definition in parsed.module.definitions:
        start_column = definition.start - parsed.lines.starts[definition.first_line - 1]
        if definition.first_line == line and start_column >= column:
            return definition
    return None
