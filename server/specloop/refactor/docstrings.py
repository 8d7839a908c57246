"""Add doctest examples to a function's docstring (LibCST): answers become executable examples.

`add_examples` appends lines such as ``>>> clamp(1, 5, 0)`` / ``0`` at the end of the
docstring of the named function, indented like the docstring, before its closing
quotes; a one-line docstring becomes a multi-line one, and a function without one gets
one. Everything else in the module is kept byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from specloop.refactor.codemod import TransformFailure


def add_examples(source: str, symbol: str, examples: Sequence[str]) -> str | TransformFailure:
    """``source`` with ``examples`` (doctest lines) added to ``symbol``'s docstring."""
    if not examples:
        return source
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return TransformFailure(f"The module does not parse: {error.message}")
    adder = _ExampleAdder(symbol.split("."), examples, module)
    changed = module.visit(adder)
    if not adder.done:
        return TransformFailure(f"No function {symbol} to add examples to.")
    return changed.code


class _ExampleAdder(cst.CSTTransformer):
    def __init__(self, path: list[str], examples: Sequence[str], module: cst.Module) -> None:
        self.path = path
        self.examples = examples
        self.module = module
        self.scope: list[str] = []
        self.done = False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.scope.append(node.name.value)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.scope.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.scope.append(node.name.value)
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        here = self.scope.pop()
        if self.done or [*self.scope, here] != self.path:
            return updated
        body = updated.body
        if not isinstance(body, cst.IndentedBlock):
            return updated
        indent = self.module.default_indent * (len(self.path))
        self.done = True
        first = body.body[0] if body.body else None
        docstring = _docstring(first)
        if docstring is None:
            value = self._new_docstring(indent)
            statement = cst.SimpleStatementLine([cst.Expr(cst.SimpleString(value))])
            return updated.with_changes(body=body.with_changes(body=[statement, *body.body]))
        assert isinstance(first, cst.SimpleStatementLine)
        expression = first.body[0]
        assert isinstance(expression, cst.Expr)
        new_value = self._extended(docstring, indent)
        new_first = first.with_changes(
            body=[expression.with_changes(value=cst.SimpleString(new_value))]
        )
        return updated.with_changes(body=body.with_changes(body=[new_first, *body.body[1:]]))

    def _lines(self, indent: str) -> str:
        return "".join(f"{indent}{line}\n" if line else "\n" for line in self.examples)

    def _new_docstring(self, indent: str) -> str:
        return f'"""Examples:\n\n{self._lines(indent)}{indent}"""'

    def _extended(self, value: str, indent: str) -> str:
        prefix_end = next(index for index, char in enumerate(value) if char in "'\"")
        prefix, rest = value[:prefix_end], value[prefix_end:]
        quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[0]
        inner = rest[len(quote) : -len(quote)]
        if quote in ('"', "'"):
            quote = quote * 3
        body = inner.rstrip(" \t")
        if not body.endswith("\n"):
            body += "\n"
        return f"{prefix}{quote}{body}\n{self._lines(indent)}{indent}{quote}"


def _docstring(statement: cst.BaseStatement | None) -> str | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    expression = statement.body[0]
    if isinstance(expression, cst.Expr) and isinstance(expression.value, cst.SimpleString):
        return expression.value.value
    return None
