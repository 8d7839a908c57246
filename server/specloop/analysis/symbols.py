"""The outline of a module: classes, functions and methods, nested as written.

Definitions are statements: they sit in a module, a block or a clause, never inside
an expression. So the walk visits statements only and never enters an expression,
which keeps its cost proportional to the number of statements: a 5 MB literal list on
one line (three million nodes) costs nothing, where tree-sitter's query cursor took
5.6 s over it. The nesting is rebuilt from byte ranges with a stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from tree_sitter import Node, Tree

from specloop.analysis.text import LineIndex

_DEFINITIONS = frozenset({"function_definition", "class_definition"})
# Nodes that may hold statements (ERROR: broken code may wrap definitions).
_HOLDS_STATEMENTS = _DEFINITIONS | {
    "module", "block", "decorated_definition", "ERROR",
    "if_statement", "elif_clause", "else_clause", "for_statement", "while_statement",
    "try_statement", "except_clause", "finally_clause",
    "with_statement", "match_statement", "case_clause",
}  # fmt: skip
_MAX_DETAIL = 120


class SymbolKind(StrEnum):
    CLASS = "class"
    FUNCTION = "function"
    METHOD = "method"


@dataclass(slots=True)
class Symbol:
    """A definition; ranges are byte offsets into the module source."""

    name: str
    kind: SymbolKind
    detail: str
    start: int
    end: int
    name_start: int
    name_end: int
    children: list[Symbol] = field(default_factory=list)


def module_symbols(tree: Tree) -> list[Symbol]:
    """Top-level symbols of the module, each with its nested definitions."""
    found = [_symbol(definition, name) for definition, name in _definitions(tree.root_node)]
    found.sort(key=lambda symbol: (symbol.start, -symbol.end))

    roots: list[Symbol] = []
    open_parents: list[Symbol] = []
    for symbol in found:
        while open_parents and symbol.start >= open_parents[-1].end:
            open_parents.pop()
        if open_parents:
            parent = open_parents[-1]
            if parent.kind is SymbolKind.CLASS and symbol.kind is SymbolKind.FUNCTION:
                symbol.kind = SymbolKind.METHOD
            parent.children.append(symbol)
        else:
            roots.append(symbol)
        open_parents.append(symbol)
    return roots


def _definitions(root: Node) -> Iterator[tuple[Node, Node]]:
    """Every class and function definition under ``root``, with its name."""
    pending = [root]
    while pending:
        node = pending.pop()
        if node.type in _DEFINITIONS:
            name = node.child_by_field_name("name")
            if name is not None and name.type == "identifier":
                yield node, name
        pending.extend(child for child in node.children if child.type in _HOLDS_STATEMENTS)


def symbol_path_at(symbols: list[Symbol], lines: LineIndex, line: int) -> list[Symbol]:
    """The symbols whose lines include 0-based ``line``, outermost first (empty at module level)."""
    path: list[Symbol] = []
    level = symbols
    while True:
        inner = next(
            (s for s in level if lines.line_of(s.start) <= line <= lines.line_of(s.end)), None
        )
        if inner is None:
            return path
        path.append(inner)
        level = inner.children


def qualified_name(path: list[Symbol]) -> str:
    return ".".join(symbol.name for symbol in path)


def _symbol(definition: Node, name: Node) -> Symbol:
    # A decorated definition's range starts at its first decorator.
    outer = definition.parent if definition.parent is not None else definition
    if outer.type != "decorated_definition":
        outer = definition
    is_class = definition.type == "class_definition"
    return Symbol(
        name=_text(name),
        kind=SymbolKind.CLASS if is_class else SymbolKind.FUNCTION,
        detail=_detail(definition, is_class),
        start=outer.start_byte,
        end=outer.end_byte,
        name_start=name.start_byte,
        name_end=name.end_byte,
    )


def _detail(definition: Node, is_class: bool) -> str:
    """The signature after the name: ``(a, b=1) -> int`` or a class's bases."""
    parts = definition.child_by_field_name("superclasses" if is_class else "parameters")
    detail = _text(parts) if parts is not None else ""
    returns = None if is_class else definition.child_by_field_name("return_type")
    if returns is not None:
        detail = f"{detail} -> {_text(returns)}"
    detail = " ".join(detail.split())
    return detail if len(detail) <= _MAX_DETAIL else detail[: _MAX_DETAIL - 1] + "…"


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def enclosing_name(tree: Tree, offset: int) -> str:
    """The dotted name of the classes and functions around ``offset`` ("" at module level)."""
    node: Node | None = tree.root_node.descendant_for_byte_range(offset, offset)
    names: list[str] = []
    while node is not None:
        if node.type in ("function_definition", "class_definition") and node.start_byte <= offset:
            name = node.child_by_field_name("name")
            if name is not None:
                names.append(_text(name))
        node = node.parent
    return ".".join(reversed(names))
