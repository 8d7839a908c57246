"""Test gaps: what the spec tests leave unchecked, said in behaviour terms for one more round.

When the frozen spec tests kill too few of the accepted code's mutants (`TOO_FEW`), the
mutants that survive show what no test checks. The test writer is told so, never how
the code does it: it writes tests from the spec alone, and a sentence about the code's
lines or operators would turn them into tests of the implementation. So each survivor
becomes a sentence about behaviour:

- an input on which the survivor does something else than the accepted code (from the
  probe runs): "no test checks what `largest([])` does" — the input, never the outcome;
- otherwise, what the mutation changes as a caller sees it: a dropped ``raise`` is "no
  test checks a case in which it raises `IndexError`", a dropped branch that returns a
  constant is "no test checks a case in which it returns `None`", a swapped comparison
  is a boundary nobody tests.

`more_tests` adds the second round to the first: its test functions renamed where a name
is taken, so no test of the first round is silently replaced.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from specloop.loop.confirmation import Case, choose_case
from specloop.validate.behaviour import Outcome
from specloop.validate.mutation import find_definition
from specloop.validate.report import MutationJudgement

TOO_FEW = 0.75
"""Below this share of mutants killed, the survivors are described for one more round."""
MAX_GAPS = 4
_LINE = re.compile(r"^line (\d+): (.*)$")


def too_few_killed(judgement: MutationJudgement | None) -> bool:
    """Whether the spec tests leave enough mutants alive to ask for another round."""
    if judgement is None or not judgement.mutants or not judgement.survivors:
        return False
    return judgement.killed < TOO_FEW * judgement.mutants


def unchecked(
    module_source: str,
    symbol: str,
    judgement: MutationJudgement,
    mutant_descriptions: Sequence[str],
    probed: tuple[Sequence[str], Sequence[Outcome], Sequence[Sequence[Outcome]]] | None,
) -> list[str]:
    """What no spec test checks, as sentences about behaviour (at most `MAX_GAPS`).

    ``mutant_descriptions``: the mutants the tests were judged against, in order (their
    index is their row in ``probed``); ``probed``: the calls, the accepted code's outcomes
    and each mutant's, when the code could be run on probe inputs.
    """
    survivors = [
        number
        for number, description in enumerate(mutant_descriptions)
        if description in judgement.survivors
    ]
    gaps: list[str] = []
    described: set[int] = set()
    if probed is not None:
        calls, accepted, mutants = probed
        alive = frozenset(survivors)
        ruled_out = frozenset(range(len(mutants))) - alive
        while len(gaps) < MAX_GAPS:
            case: Case | None = choose_case(calls, accepted, mutants, ruled_out)
            if case is None:
                break
            gaps.append(f"no test checks what `{case.call}` does")
            described |= case.rules_out
            ruled_out |= case.rules_out
    for number in survivors:
        if number in described or len(gaps) >= MAX_GAPS:
            continue
        sentence = _by_kind(module_source, symbol, mutant_descriptions[number])
        if sentence not in gaps:
            gaps.append(sentence)
    return gaps


def _by_kind(module_source: str, symbol: str, description: str) -> str:
    """What a mutation changes as a caller sees it (``line 7: raise removed``)."""
    matched = _LINE.match(description)
    line, change = (int(matched.group(1)), matched.group(2)) if matched else (0, description)
    if change == "raise removed":
        raised = _raised_at(module_source, symbol, line)
        return f"no test checks a case in which it raises {raised}"
    if change == "if-branch dropped":
        return _special_case(module_source, symbol, line)
    if change == "first two arguments swapped":
        return "no test would notice two of the values it works with being swapped"
    operator = change.split(" -> ")[0]
    if operator in {"<", "<=", ">", ">="}:
        return "no test checks an input at a boundary, where two values it compares are equal"
    if operator in {"==", "!=", "in", "not in", "is", "is not"}:
        return "no test checks both sides of a condition it tests for (a match and no match)"
    if operator.lstrip("-").isdigit():
        return "no test checks the exact values at its edges (off by one would pass)"
    return "no test checks a value it computes exactly"


def _statement_at(module_source: str, symbol: str, line: int, kind: type) -> ast.AST | None:
    try:
        definition = find_definition(ast.parse(module_source), symbol)
    except SyntaxError:
        return None
    if definition is None:
        return None
    return next(
        (
            node
            for node in ast.walk(definition)
            if isinstance(node, kind) and getattr(node, "lineno", None) == line
        ),
        None,
    )


def _raised_at(module_source: str, symbol: str, line: int) -> str:
    node = _statement_at(module_source, symbol, line, ast.Raise)
    if isinstance(node, ast.Raise) and node.exc is not None:
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return f"`{ast.unparse(raised)}`"
    return "an exception"


def _special_case(module_source: str, symbol: str, line: int) -> str:
    """A dropped branch, by what it does: raise, return a constant, or something special."""
    node = _statement_at(module_source, symbol, line, ast.If)
    for statement in node.body if isinstance(node, ast.If) else []:
        if isinstance(statement, ast.Raise):
            raised = _raised_at(module_source, symbol, statement.lineno)
            return f"no test checks a case in which it raises {raised}"
        if isinstance(statement, ast.Return):
            value = statement.value
            if value is None or isinstance(value, ast.Constant):
                shown = "None" if value is None else ast.unparse(value)
                return f"no test checks a case in which it returns `{shown}`"
    return "no test checks one of the special cases the spec describes"


def more_tests(first: str, second: str) -> str:
    """The second round after the first, its test functions renamed where a name is taken."""
    taken = _test_names(first)
    renamed = second
    for name in _test_names(second):
        if name in taken:
            new = _free_name(f"{name}_round_2", taken)
            renamed = re.sub(rf"\b{re.escape(name)}\b(?=\s*[(:])", new, renamed)
            taken.add(new)
    return f"{first.rstrip()}\n\n\n# Second round: cases the first round left unchecked.\n{renamed}"


def _test_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _free_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    return candidate
