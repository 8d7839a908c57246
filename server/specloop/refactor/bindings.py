"""A candidate may change its own definition and nothing else: the checks, by code.

A model's definition of one function can still reach other names of the module: an
import that rebinds a name the module uses (``from os import getpid as len``), a
decorator or default argument that runs something at import time and rebinds another
function, a ``global`` statement or a call of ``globals()``/``exec`` that rewrites the
module when the function runs. `foreign_effects` finds these and says, in a sentence
fed back to the model, what to remove. Only what the original definition already did
is allowed again.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence

import libcst as cst

Definition = cst.FunctionDef | cst.ClassDef
ImportNode = cst.Import | cst.ImportFrom

_REFLECTIVE = frozenset(
    {
        "globals",
        "locals",
        "vars",
        "exec",
        "eval",
        "compile",
        "__import__",
        "setattr",
        "delattr",
        "breakpoint",
        "input",
        "exit",
        "quit",
    }
)
"""Calls that reach names by string, or run code the reader cannot see."""
_BUILTINS = frozenset(dir(builtins))


def foreign_effects(
    module: cst.Module,
    original: Definition,
    candidate: Definition,
    imports: Sequence[ImportNode],
    already_imported: set[str],
) -> str | None:
    """Why ``candidate`` (with ``imports``) would change more than ``original``; None if not."""
    names = _names_outside(module, original)
    for node in imports:
        for name in _bound_names(node):
            if name in already_imported:
                continue
            if name in _BUILTINS:
                return (
                    f"The import `{_code(node)}` would shadow the builtin `{name}` for the "
                    "whole module; import under another name."
                )
            if name in names:
                return (
                    f"The import `{_code(node)}` would rebind `{name}`, which the module "
                    "already defines or uses; import under another name."
                )
    for expression in _evaluated_at_import(candidate):
        problem = _impure(expression)
        if problem is not None:
            return (
                f"`{_code(expression)}` runs when the module is imported and {problem}; "
                "decorators and default values may only name things and call plain "
                "functions with literal arguments."
            )
    allowed = _effects(original)
    added = sorted(_effects(candidate) - allowed)
    if added:
        return (
            f"The new definition uses {', '.join(added)}, which can change other names "
            "of the module when it runs; write the function without it."
        )
    return None


def _code(node: cst.CSTNode) -> str:
    text = cst.Module(body=[]).code_for_node(node).strip().split("\n")[0]
    return text if len(text) <= 60 else text[:59] + "…"


def _bound_names(node: ImportNode) -> list[str]:
    if isinstance(node.names, cst.ImportStar):
        return []
    bound = []
    for alias in node.names:
        if alias.asname is not None:
            bound.append(cst.ensure_type(alias.asname.name, cst.Name).value)
        elif isinstance(node, cst.Import):
            bound.append(_dotted(alias.name).split(".")[0])
        else:
            bound.append(_dotted(alias.name))
    return bound


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


class _Names(cst.CSTVisitor):
    def __init__(self, skip: cst.CSTNode | None = None) -> None:
        super().__init__()
        self.skip = skip
        self.found: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is not self.skip

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return node is not self.skip

    def visit_Name(self, node: cst.Name) -> None:
        self.found.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``x.len`` uses ``x``; the attribute is no name of the module
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # a keyword argument's name is not a name of the module
        return False


def _names_outside(module: cst.Module, original: Definition) -> set[str]:
    visitor = _Names(skip=original)
    module.visit(visitor)
    return visitor.found


def _evaluated_at_import(definition: Definition) -> Iterable[cst.BaseExpression]:
    """What runs when the definition itself runs: decorators, defaults, a class's body."""
    for decorator in definition.decorators:
        yield decorator.decorator
    if isinstance(definition, cst.FunctionDef):
        parameters = definition.params
        for param in [*parameters.posonly_params, *parameters.params, *parameters.kwonly_params]:
            if param.default is not None:
                yield param.default
        return
    for argument in [*definition.bases, *definition.keywords]:
        yield argument.value
    body = definition.body
    if isinstance(body, cst.IndentedBlock):
        for statement in body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    yield from _expressions_of(small)
            elif isinstance(statement, Definition):
                yield from _evaluated_at_import(statement)


def _expressions_of(statement: cst.BaseSmallStatement) -> Iterable[cst.BaseExpression]:
    if (
        isinstance(statement, cst.Expr | cst.Assign | cst.AnnAssign | cst.AugAssign)
        and statement.value is not None
    ):
        yield statement.value


class _Impurity(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.problem = self.problem or "assigns a name (`:=`)"

    def visit_Call(self, node: cst.Call) -> None:
        name = _dotted(node.func)
        if name.split(".")[-1] in _REFLECTIVE:
            self.problem = self.problem or f"calls `{name}`"
        for argument in node.args:
            if isinstance(argument.value, cst.Call):
                self.problem = self.problem or "nests a call"

    def visit_Name(self, node: cst.Name) -> None:
        if node.value.startswith("__") and node.value.endswith("__"):
            self.problem = self.problem or f"reaches `{node.value}`"

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        if (attr.startswith("__") and attr.endswith("__")) or attr == "modules":
            self.problem = self.problem or f"reaches `.{attr}`"

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self.problem = self.problem or "runs a comprehension"


def _impure(expression: cst.BaseExpression) -> str | None:
    visitor = _Impurity()
    expression.visit(visitor)
    return visitor.problem


class _Effects(cst.CSTVisitor):
    """``global``/``nonlocal`` statements and reflective calls anywhere in a definition."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_Global(self, node: cst.Global) -> None:
        self.found.update(f"`global {item.name.value}`" for item in node.names)

    def visit_Call(self, node: cst.Call) -> None:
        name = _dotted(node.func)
        if name.split(".")[-1] in _REFLECTIVE - {"input", "breakpoint", "exit", "quit"}:
            self.found.add(f"`{name}()`")


def _effects(definition: Definition) -> set[str]:
    visitor = _Effects()
    definition.visit(visitor)
    return visitor.found
