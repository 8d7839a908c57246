"""Diagnostics before the full parse: each TODO read with just the definition around it.

Opening a 6,000-line module costs a full tree-sitter parse (about 15 ms) before any
diagnostic can be published. A TODO is read with its enclosing function, method or
class (docs/rubric.md), and the byte scan already knows where the TODOs are: so each one
is analysed from a parse of only its enclosing definition, dedented, and the findings'
offsets are mapped back. The full analysis follows and corrects whatever this missed
(stub docstrings, for instance, which no marker announces).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from specloop.analysis.findings import Finding, find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.specs import marker_comment_starts
from specloop.analysis.text import LineIndex
from specloop.defaults import DEFAULT_MARKERS

_DEFINITION = re.compile(rb"(?:async[ \t]+)?(?:def|class)[ \t]")
_MODULE_WINDOW = 12
"""Lines read after a module-level TODO (the code it sits above)."""


def quick_findings(
    source: bytes,
    lines: LineIndex,
    markers: Iterable[str] = DEFAULT_MARKERS,
    path: str | None = None,
) -> list[Finding]:
    """The findings of the module's TODO comments, from a parse of their definitions only
    (``path``: as `find_specs` takes it)."""
    marker_tuple = tuple(markers)
    findings: dict[int, Finding] = {}
    done: set[tuple[int, int]] = set()
    for offset in marker_comment_starts(source, marker_tuple):
        region = _region(source, lines, _top_of_block(source, lines, lines.line_of(offset)))
        if region in done:
            continue
        done.add(region)
        for finding in _findings_in(source, lines, region, marker_tuple, path):
            findings.setdefault(finding.spec.start, finding)
    return [findings[start] for start in sorted(findings)]


def _top_of_block(source: bytes, lines: LineIndex, line: int) -> int:
    """The first line of the comment block ``line`` is in (comments aligned with it): a
    marker repeated on each line of one sentence continues the spec above it."""
    text = lines.line_bytes(source, line)
    column = len(text) - len(text.lstrip(b" \t"))
    if not text.lstrip(b" \t").startswith(b"#"):
        return line  # a comment after code starts no block
    while line > 0:
        above = lines.line_bytes(source, line - 1)
        code = above.lstrip(b" \t")
        if not code.startswith(b"#") or len(above) - len(code) != column:
            break
        line -= 1
    return line


def _indent(text: bytes) -> int | None:
    """The indentation of a line of code; None for a blank or comment line."""
    stripped = text.lstrip(b" \t")
    if not stripped or stripped.startswith(b"#"):
        return None
    return len(text) - len(stripped)


def _region(source: bytes, lines: LineIndex, line: int) -> tuple[int, int]:
    """0-based first and last line of the definition a comment belongs to (or a window).

    That is the definition right below a standalone comment at its indentation, else the
    innermost one around it (the rule `loop/context.py` resolves targets by).
    """
    text = lines.line_bytes(source, line)
    threshold = len(text) - len(text.lstrip())
    below = _definition_below(source, lines, line, threshold)
    if below is not None:
        return line, _end_of(source, lines, below, below)
    owner = None
    for above in range(line - 1, -1, -1):
        text = lines.line_bytes(source, above)
        indent = _indent(text)
        if indent is None or indent >= threshold:
            continue
        if _DEFINITION.match(text, indent):
            owner = above
            break
        if indent == 0:
            break
        threshold = indent
    if owner is None:
        # A module-level comment, all its continuation lines, and the code below it.
        last = line
        while last + 1 < lines.line_count and _indent(lines.line_bytes(source, last + 1)) is None:
            last += 1
        return line, min(last + _MODULE_WINDOW, lines.line_count - 1)
    last = _end_of(source, lines, owner, line)
    # Decorators belong to the definition.
    while owner > 0 and lines.line_bytes(source, owner - 1).lstrip().startswith(b"@"):
        owner -= 1
    return owner, last


def _definition_below(source: bytes, lines: LineIndex, line: int, indent: int) -> int | None:
    """The line of the definition (or its first decorator) right below a comment block."""
    for below in range(line + 1, lines.line_count):
        text = lines.line_bytes(source, below)
        if not text.strip():
            return None  # a blank line parts the comment from what follows
        if text.lstrip().startswith(b"#"):
            continue
        found = _indent(text) == indent and (
            _DEFINITION.match(text, indent) is not None or text.lstrip().startswith(b"@")
        )
        return below if found else None
    return None


def _end_of(source: bytes, lines: LineIndex, owner: int, after: int) -> int:
    """The last line of the definition starting at ``owner`` (not before ``after``)."""
    start = owner
    while lines.line_bytes(source, start).lstrip().startswith(b"@"):
        start += 1  # the def line itself sets the indentation of what ends the body
    owner_indent = _indent(lines.line_bytes(source, start)) or 0
    last = owner
    for below in range(owner + 1, lines.line_count):
        indent = _indent(lines.line_bytes(source, below))
        if indent is not None and indent <= owner_indent and below > max(after, start):
            break
        last = below
    return last


def _findings_in(
    source: bytes,
    lines: LineIndex,
    region: tuple[int, int],
    markers: tuple[str, ...],
    path: str | None,
) -> list[Finding]:
    first, last = region
    raw = [lines.line_bytes(source, number) for number in range(first, last + 1)]
    cut = _indent(raw[0]) or 0
    cuts = [min(cut, len(text) - len(text.lstrip(b" \t"))) for text in raw]
    text = b"\n".join(line[k:] for line, k in zip(raw, cuts, strict=True)) + b"\n"
    local = LineIndex.of(text)
    mapped = []
    for finding in find_specs(text, parse(text), local, markers, path=path):
        if finding.spec.kind.value != "comment":
            continue  # docstrings are for the full analysis
        start = _map(local, lines, first, cuts, finding.spec.start)
        end = _map(local, lines, first, cuts, finding.spec.end)
        mapped.append(
            dataclasses.replace(
                finding, spec=dataclasses.replace(finding.spec, start=start, end=end)
            )
        )
    return mapped


def _map(local: LineIndex, lines: LineIndex, first: int, cuts: list[int], offset: int) -> int:
    line = local.line_of(offset)
    return lines.starts[first + line] + cuts[line] + (offset - local.starts[line])
