"""The mutation judge: do the spec-written tests notice when the accepted code is wrong?

`mutants` makes small, believable wrong versions of one function (AST mutations):
comparison and arithmetic operator swaps, off-by-one integer constants, dropped
branches, swapped call arguments and removed ``raise`` statements. `judge_tests` runs
the tests on each mutant in the sandbox: a mutant is killed when some test fails on it
(or the run does not finish). A test that kills no mutant shows nothing about the
code and does not count as evidence; the score (killed / run) goes into the evidence.
The benchmark uses `mutants` too, to build its pools of believable wrong candidates.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import copy
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from specloop.validate.checks import failed_tests, run_tests
from specloop.validate.harness import place, twin
from specloop.validate.report import MutationJudgement
from specloop.validate.sandbox import Sandbox, SandboxLimits

MAX_MUTANTS = 12
JUDGE_BUDGET_S = 60.0

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
_ARITHMETIC_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
}  # fmt: skip
_SYMBOLS = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+",
    ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/", ast.Mod: "%", ast.Pow: "**",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    description: str
    """``line 7: < -> <=``."""
    source: str
    """The whole module with the mutation in place."""


def mutants(module_source: str, symbol: str) -> list[Mutant]:
    """Every single-point mutant of ``symbol`` in the module, in source order."""
    try:
        tree = ast.parse(module_source)
    except SyntaxError:
        return []
    target = _find(tree, symbol)
    if target is None:
        return []
    made: list[Mutant] = []
    for site in range(sum(1 for _ in _sites(target))):
        mutated_tree = copy.deepcopy(tree)
        mutated_target = _find(mutated_tree, symbol)
        assert mutated_target is not None
        description = _apply(mutated_target, site)
        try:
            source = ast.unparse(ast.fix_missing_locations(mutated_tree))
            compile(source, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        made.append(Mutant(description, source))
    return made


def find_definition(
    tree: ast.Module, symbol: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    """The definition of ``symbol`` (``f``, ``Stack.pop``) in a parsed module."""
    scope: list[ast.stmt] = tree.body
    found: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for part in symbol.split("."):
        found = next(
            (
                node
                for node in scope
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == part
            ),
            None,
        )
        if found is None:
            return None
        scope = found.body
    return found


def _find(tree: ast.Module, symbol: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = find_definition(tree, symbol)
    return None if isinstance(found, ast.ClassDef) else found


_Site = tuple[str, ast.AST, int]


def _sites(function: ast.AST) -> Iterator[_Site]:
    """Each place a mutation can go: (kind, node, variant)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                if type(op) in _COMPARE_SWAPS:
                    yield "compare", node, index
        elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _ARITHMETIC_SWAPS:
            yield "arithmetic", node, 0
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int)
            and not isinstance(node.value, bool)
        ):
            yield "constant", node, 1
            yield "constant", node, -1
        elif (
            isinstance(node, ast.Call)
            and len(node.args) >= 2
            and not any(isinstance(arg, ast.Starred) for arg in node.args[:2])
        ):
            yield "arguments", node, 0
        if isinstance(node, ast.If | ast.For | ast.While | ast.With | ast.Try | ast.FunctionDef):
            for field in ("body", "orelse"):
                statements = getattr(node, field, [])
                for index, statement in enumerate(statements):
                    if isinstance(statement, ast.If):
                        yield f"branch:{field}", node, index
                    elif isinstance(statement, ast.Raise):
                        yield f"raise:{field}", node, index


def _apply(function: ast.AST, site_number: int) -> str:
    kind, node, variant = next(
        site for number, site in enumerate(_sites(function)) if number == site_number
    )
    line = getattr(node, "lineno", 0)
    if kind == "compare":
        assert isinstance(node, ast.Compare)
        old = node.ops[variant]
        new = _COMPARE_SWAPS[type(old)]()
        node.ops[variant] = new
        return f"line {line}: {_SYMBOLS[type(old)]} -> {_SYMBOLS[type(new)]}"
    if kind == "arithmetic":
        assert isinstance(node, ast.BinOp | ast.AugAssign)
        old_op = node.op
        node.op = _ARITHMETIC_SWAPS[type(old_op)]()
        return f"line {line}: {_SYMBOLS[type(old_op)]} -> {_SYMBOLS[type(node.op)]}"
    if kind == "constant":
        assert isinstance(node, ast.Constant)
        old_value = node.value
        assert isinstance(old_value, int)
        node.value = old_value + variant
        return f"line {line}: {old_value} -> {old_value + variant}"
    if kind == "arguments":
        assert isinstance(node, ast.Call)
        node.args[0], node.args[1] = node.args[1], node.args[0]
        return f"line {line}: first two arguments swapped"
    what, field = kind.split(":")
    statements: list[ast.stmt] = getattr(node, field)
    removed = statements[variant]
    replacement: list[ast.stmt]
    if what == "branch":
        assert isinstance(removed, ast.If)
        replacement = list(removed.orelse)
        description = f"line {removed.lineno}: if-branch dropped"
    else:
        replacement = []
        description = f"line {removed.lineno}: raise removed"
    statements[variant : variant + 1] = replacement or [ast.Pass()]
    return description


# ---------------------------------------------------------------- judging tests


def named_tests(tests_source: str) -> list[str]:
    """Names of the test functions (``test_x`` or ``TestY::test_x``) in a pytest file."""
    try:
        tree = ast.parse(tests_source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names += [
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test")
            ]
    return names


def spread(items: list[Mutant], limit: int) -> list[Mutant]:
    """At most ``limit`` of ``items``, evenly spread over the function."""
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(index * step)] for index in range(limit)]


async def judge_tests(
    sandbox: Sandbox,
    module: str,
    accepted_source: str,
    symbol: str,
    tests_path: str,
    tests_source: str,
    limits: SandboxLimits,
    max_mutants: int = MAX_MUTANTS,
    budget_s: float = JUDGE_BUDGET_S,
    workers: int | None = None,
) -> MutationJudgement:
    """Run the tests at ``tests_path`` on mutants of ``symbol``; the sandbox is left as found.

    Mutants run side by side, each worker in a sandbox of its own (copies of
    ``sandbox``): one mutant's test run is a whole pytest start, and they are
    independent. ``workers`` defaults to the machine's cores, at most `MAX_WORKERS`.
    """
    made = mutants(accepted_source, symbol)
    chosen = spread(made, max_mutants)
    count = min(workers or _default_workers(), len(chosen)) or 1
    pending = list(enumerate(chosen))
    outcomes: dict[int, set[str] | None] = {}  # mutant -> failed tests, None: it survived
    started = time.monotonic()

    async def work(box: Sandbox) -> None:
        try:
            while pending and time.monotonic() - started <= budget_s:
                number, mutant = pending.pop(0)
                _place(box, module, mutant.source)
                result = await run_tests(box, [tests_path], limits, "mutants", stop_at_first=False)
                failed = {
                    node.split("::", 1)[-1].split("[")[0] for node in failed_tests(result.output)
                }
                outcomes[number] = None if result.passed else failed
        finally:
            _place(box, module, accepted_source)

    async with contextlib.AsyncExitStack() as stack:
        boxes = [sandbox]
        for _ in range(count - 1):
            boxes.append(await twin(stack, sandbox, limits))
        try:
            async with asyncio.TaskGroup() as group:
                for box in boxes:
                    group.create_task(work(box))
        except ExceptionGroup as errors:  # what one mutant run raised, as it would alone
            raise errors.exceptions[0] from None

    return _judgement(chosen, outcomes, named_tests(tests_source), made=len(made))


def _judgement(
    chosen: list[Mutant], outcomes: dict[int, set[str] | None], tests: list[str], made: int
) -> MutationJudgement:
    """What the runs say: each test's kills, and the mutants no test noticed."""
    kills = dict.fromkeys(tests, 0)
    survivors = []
    for number in sorted(outcomes):
        failed = outcomes[number]
        if failed is None:
            survivors.append(chosen[number].description)
            continue
        for name in failed & kills.keys():
            kills[name] += 1
    return MutationJudgement(
        mutants=len(outcomes),
        killed=len(outcomes) - len(survivors),
        kills=kills,
        survivors=survivors,
        made=made,
    )


MAX_WORKERS = 4


def _place(box: Sandbox, module: str, source: str) -> None:
    """The mutant (or the accepted code) where the code under test runs."""
    if box.harness is not None:
        place(box, source)
    else:
        box.write(module, source)


def _default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))
