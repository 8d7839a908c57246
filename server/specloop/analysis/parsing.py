"""The tree-sitter Python language and parser, built once per process."""

from __future__ import annotations

from functools import cache

import tree_sitter_python
from tree_sitter import Language, Parser, Tree


@cache
def python_language() -> Language:
    return Language(tree_sitter_python.language())


def parse(source: bytes, old_tree: Tree | None = None) -> Tree:
    """Parse ``source``; with ``old_tree`` (already edited), reuse its unchanged parts."""
    # Parsers are cheap and not thread-safe, so each call gets its own.
    parser = Parser(python_language())
    return parser.parse(source, old_tree) if old_tree is not None else parser.parse(source)
