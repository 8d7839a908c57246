"""The structure of a docstring: its prose, its sections and its examples.

The ambiguity rules read a docstring spec in parts: what the text says (the
summary and the prose, without the examples), which sections it has (a Returns
section states the output; reST ``:returns:`` and ``:rtype:`` fields count too),
and which examples it gives (doctest calls with their expected output). Google,
numpydoc and reST layouts are recognised; anything else is prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_GOOGLE_SECTION = re.compile(r"^([A-Z][A-Za-z ]{2,20}):\s*$")
_UNDERLINE = re.compile(r"^(?:-{3,}|={3,}|~{3,})\s*$")
_FIELD = re.compile(r"^:(returns?|rtype|yields?|raises?|param|type)\b[^:]*:", re.IGNORECASE)
_SECTION_NAMES = {
    "return": "returns",
    "returns": "returns",
    "yield": "returns",
    "yields": "returns",
    "rtype": "returns",
    "raise": "raises",
    "raises": "raises",
    "example": "examples",
    "examples": "examples",
}


@dataclass(frozen=True, slots=True)
class Example:
    """One doctest: the call (``>>>`` and ``...`` lines) and the output it expects."""

    call: str
    output: str


@dataclass(frozen=True, slots=True)
class DocstringParts:
    summary: str
    """The first paragraph, lines joined with spaces."""
    prose: str
    """Every line outside the examples and the section underlines, joined with spaces."""
    sections: frozenset[str]
    """Normalised names of the sections and fields present: ``returns``, ``raises``, ..."""
    examples: tuple[Example, ...]


def read_docstring(lines: Sequence[str]) -> DocstringParts:
    """Split a docstring (its lines, dedented or not) into summary, prose, sections, examples."""
    stripped = [line.strip() for line in lines]
    prose: list[str] = []
    sections: set[str] = set()
    examples: list[Example] = []
    index = 0
    while index < len(stripped):
        line = stripped[index]
        if line.startswith(">>>"):
            call = [line[3:].strip()]
            index += 1
            while index < len(stripped) and stripped[index].startswith("..."):
                call.append(stripped[index][3:].strip())
                index += 1
            output: list[str] = []
            while (
                index < len(stripped) and stripped[index] and not stripped[index].startswith(">>>")
            ):
                output.append(stripped[index])
                index += 1
            examples.append(Example("\n".join(call), "\n".join(output)))
            continue
        following = stripped[index + 1] if index + 1 < len(stripped) else ""
        if _UNDERLINE.match(following) and line:
            _add_section(sections, line)
            index += 2
            continue
        if google := _GOOGLE_SECTION.match(line):
            _add_section(sections, google.group(1))
        elif field := _FIELD.match(line):
            _add_section(sections, field.group(1))
        if not _UNDERLINE.match(line):
            prose.append(line)
        index += 1
    summary_lines: list[str] = []
    for line in prose:
        if not line:
            if summary_lines:
                break
            continue
        summary_lines.append(line)
    return DocstringParts(
        summary=" ".join(summary_lines),
        prose=" ".join(line for line in prose if line),
        sections=frozenset(sections),
        examples=tuple(examples),
    )


def _add_section(sections: set[str], name: str) -> None:
    key = name.strip().lower()
    sections.add(_SECTION_NAMES.get(key, key))
