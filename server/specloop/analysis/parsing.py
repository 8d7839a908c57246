"""The tree-sitter Python language and parser, built once per process, and kept safe.

tree-sitter-python crashes the whole process (a segmentation fault, not an
exception) on some deeply nested code: about 520 nested ``def``s ending in a string.
Python itself refuses more than 100 levels of indentation, so no real module comes
near that: `parse` refuses anything nested deeper than `MAX_NESTING` (a fast byte scan
rules most files out at once) and returns the tree of an empty module instead;
`parse_checked` also says why, for callers that report skipped files.
"""

from __future__ import annotations

import re
from functools import cache

import tree_sitter_python
from tree_sitter import Language, Parser, Tree

SAME_SCOPE_STATEMENTS = frozenset(
    {
        "if_statement",
        "elif_clause",
        "else_clause",
        "try_statement",
        "except_clause",
        "finally_clause",
        "block",
    }
)
"""Statements whose blocks stay in the scope around them: what a module's imports
(``if TYPE_CHECKING:``, ``try: … except ImportError:``) and a body's definitions sit in."""

MAX_NESTING = 100
"""CPython's own limit (MAXINDENT); deeper is not Python, and can crash the parser."""
_TAB_WIDTH = 8
# A line indented by at least MAX_NESTING columns: the only way to be that deep.
_DEEPLY_INDENTED = re.compile(rb"^[ \t]{%d,}\S" % MAX_NESTING, re.MULTILINE)


@cache
def python_language() -> Language:
    return Language(tree_sitter_python.language())


FRESH_PARSE_OF_BROKEN_CODE_BYTES = 1_000_000
"""Up to this size, code with a syntax error is parsed afresh after each change (about
16 ms for 6,400 lines) rather than incrementally (about 1 ms)."""


def parse(source: bytes, old_tree: Tree | None = None) -> Tree:
    """Parse ``source``; with ``old_tree`` (already edited), reuse its unchanged parts.

    Source nested too deeply to parse safely gives the tree of an empty module.
    """
    return parse_checked(source, old_tree)[0]


def parse_checked(source: bytes, old_tree: Tree | None = None) -> tuple[Tree, str | None]:
    """`parse`, and why ``source`` was not parsed (None when it was)."""
    # Parsers are cheap and not thread-safe, so each call gets its own.
    parser = Parser(python_language())
    problem = parse_problem(source)
    if problem is not None:
        return parser.parse(b""), problem
    if old_tree is None:
        return parser.parse(source), None
    tree = parser.parse(source, old_tree)
    if tree.root_node.has_error and len(source) <= FRESH_PARSE_OF_BROKEN_CODE_BYTES:
        # Error recovery around the edit can go differently from a fresh parse, and the
        # difference outlives the error: fixing the code left ERROR nodes behind (a
        # docstring-spec unseen) until the next edit nearby. The same class of upstream
        # bugs as tree-sitter/tree-sitter#5636 and tree-sitter-haskell#129; found by
        # tests/unit/test_incremental_properties.py.
        tree = parser.parse(source)
    return tree, None


def parse_problem(source: bytes) -> str | None:
    """Why ``source`` is not parsed, as a phrase; None when it is (almost always)."""
    if _DEEPLY_INDENTED.search(source) is None:
        return None
    depth = block_depth(source)
    if depth <= MAX_NESTING:
        return None
    return (
        f"it nests blocks {depth} levels deep; Python allows {MAX_NESTING}, and deeper code "
        "can crash the parser"
    )


def block_depth(source: bytes) -> int:
    """The deepest block nesting, from indentation as Python's tokenizer reads it."""
    stack = [0]
    deepest = 0
    for line in source.splitlines():
        content = line.lstrip(b" \t\f")
        if not content or content.startswith(b"#"):
            continue
        width = len(line[: len(line) - len(content)].expandtabs(_TAB_WIDTH))
        while width < stack[-1]:
            stack.pop()
        if width > stack[-1]:
            stack.append(width)
            deepest = max(deepest, len(stack) - 1)
    return deepest
