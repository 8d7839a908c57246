"""What the spec tests leave unchecked, in behaviour terms (`loop/test_gaps.py`)."""

from __future__ import annotations

import ast

from specloop.loop.test_gaps import more_tests, too_few_killed, unchecked
from specloop.validate.behaviour import Outcome
from specloop.validate.mutation import mutants
from specloop.validate.report import MutationJudgement

STACK = '''\
class Stack:
    def __init__(self):
        self.items = []

    def pop(self):
        """Remove and return the last item; raise IndexError when the stack is empty."""
        if not self.items:
            raise IndexError("pop from empty stack")
        return self.items.pop()
'''


def returns(value: int) -> Outcome:
    return Outcome(
        kind="return", key=f"return {value!r}", text=f"return {value!r}", value=repr(value)
    )


CLAMP = """\
def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value
"""


def judged(source: str, symbol: str, survive: set[int]) -> tuple[MutationJudgement, list[str]]:
    descriptions = [mutant.description for mutant in mutants(source, symbol)]
    survivors = [description for n, description in enumerate(descriptions) if n in survive]
    judgement = MutationJudgement(
        mutants=len(descriptions), killed=len(descriptions) - len(survivors), survivors=survivors
    )
    return judgement, descriptions


def test_too_few_is_below_three_quarters_killed_with_a_survivor():
    assert too_few_killed(MutationJudgement(mutants=4, killed=2, survivors=["a", "b"]))
    assert not too_few_killed(MutationJudgement(mutants=4, killed=3, survivors=["a"]))
    assert not too_few_killed(MutationJudgement(mutants=4, killed=4))
    assert not too_few_killed(None)


def test_a_surviving_raise_is_named_by_what_it_raises_never_by_the_code():
    judgement, descriptions = judged(STACK, "Stack.pop", survive={0, 1})
    gaps = unchecked(STACK, "Stack.pop", judgement, descriptions, probed=None)
    assert gaps == ["no test checks a case in which it raises `IndexError`"]


def test_survivors_of_a_function_are_named_by_the_inputs_they_differ_on_not_the_outcome():
    judgement, descriptions = judged(
        CLAMP, "clamp", survive=set(range(len(mutants(CLAMP, "clamp"))))
    )
    calls = ["clamp(0, 1, 5)", "clamp(3, 1, 5)", "clamp(9, 1, 5)"]
    accepted = [returns(1), returns(3), returns(5)]
    # Each mutant returns the value itself where a bound applies, as if that branch were gone.
    theirs = [[returns(0), accepted[1], returns(9)] for _ in descriptions]
    gaps = unchecked(CLAMP, "clamp", judgement, descriptions, (calls, accepted, theirs))
    assert gaps == ["no test checks what `clamp(0, 1, 5)` does"]
    assert not any("return 1" in gap or "<" in gap or "line" in gap for gap in gaps)


def test_mutants_no_input_tells_apart_are_described_by_kind():
    descriptions = [mutant.description for mutant in mutants(CLAMP, "clamp")]
    swapped = descriptions.index("line 2: < -> <=")
    dropped = descriptions.index("line 2: if-branch dropped")
    judgement, _ = judged(CLAMP, "clamp", survive={swapped, dropped})
    gaps = unchecked(CLAMP, "clamp", judgement, descriptions, probed=None)
    assert gaps == [
        "no test checks one of the special cases the spec describes",
        "no test checks an input at a boundary, where two values it compares are equal",
    ]


def test_a_second_round_keeps_every_test_of_the_first():
    first = "def test_pops():\n    assert True\n"
    second = "def test_pops():\n    assert 1\n\n\ndef test_empty():\n    assert 2\n"
    names = [node.name for node in ast.parse(more_tests(first, second)).body]
    assert names == ["test_pops", "test_pops_round_2", "test_empty"]
