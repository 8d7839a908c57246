"""A second round of spec tests, end to end: `specloop implement` against the scripted model.

The task is `Stack.pop`. The first round of spec tests checks LIFO order only, so the
accepted code's mutant (no empty-stack branch) survives it. The run tells the test
writer what no test checks, in behaviour terms ("a case in which it returns `None`",
never the code's lines), freezes the second round, and judges the code against both:
here the second round kills the mutant, and the run validates.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.cli import implement_command, run_implement
from tests.support.scripted_llm import Reply
from tests.support.stage_script import StageScript, candidate, schema_name

STACK = '''\
class Stack:
    """A last-in, first-out stack of ints."""

    def __init__(self) -> None:
        self.items: list[int] = []

    def push(self, item: int) -> None:
        self.items.append(item)

    def pop(self) -> int | None:
        """Remove and return the item pushed last; or None when the stack is empty."""
        raise NotImplementedError
'''
POP_LINE = 10
RIGHT = '''\
def pop(self) -> int | None:
    """Remove and return the item pushed last; or None when the stack is empty."""
    if not self.items:
        return None
    return self.items.pop()
'''
LIFO_ONLY = """\
from stack import Stack


def test_pop_returns_the_last_item_pushed():
    stack = Stack()
    stack.push(1)
    stack.push(2)
    assert stack.pop() == 2
    assert stack.pop() == 1
"""
ZERO_WHEN_EMPTY = RIGHT.replace("return None", "return 0")
EMPTY_STACK = """\
from stack import Stack


def test_pop_returns_the_last_item_pushed():
    stack = Stack()
    stack.push(3)
    assert stack.pop() == 3


def test_pop_on_an_empty_stack_returns_none():
    assert Stack().pop() is None
"""


def implement(
    project: Path, tmp_path: Path, scripted, *tests: str, pool: tuple[str, ...] = (RIGHT,)
):
    (project / "stack.py").write_text(STACK, encoding="utf-8")
    scripted.responder = stack_script(*tests, pool=pool)
    return run_implement(
        project, tmp_path / "runs", scripted, "--samples", "1", line=POP_LINE, file="stack.py"
    )


def stack_script(*tests: str, pool: tuple[str, ...] = (RIGHT,)) -> StageScript:
    script = StageScript(
        Candidate=[candidate(code) for code in pool],
        GeneratedTests=[Reply.json({"code": code}) for code in tests],
    )
    script.defaults["Plan"] = Reply.json(
        {"steps": ["Pop the last item"], "touched_symbols": ["Stack.pop"], "checks": []}
    )
    return script


def writer_requests(scripted) -> list[str]:
    return [
        json.dumps(r.body) for r in scripted.requests if schema_name(r.body) == "GeneratedTests"
    ]


def test_survivors_are_told_in_behaviour_terms_and_a_second_round_validates(
    project, tmp_path, scripted
):
    payload, result = implement(project, tmp_path, scripted, LIFO_ONLY, EMPTY_STACK)
    assert payload["status"] == "validated", result.stderr + json.dumps(payload)
    first, second = writer_requests(scripted)
    assert "<unchecked>" not in first
    told = second[second.index("<unchecked>") : second.index("</unchecked>")]
    assert "a case in which it returns `None`" in told
    for implementation in ("self.items", "line ", "if not", "branch"):
        assert implementation not in told, told
    rounds = payload["evidence"]["spec_tests"]
    assert rounds["second_round"]["killed_before"] == "0/1"
    assert rounds["second_round"]["killed_after"] == "1/1"
    assert rounds["counted"] and rounds["killed"] == 1
    # The terminal report says how the spec tests came to be.
    (project / "stack.py").write_text(STACK, encoding="utf-8")
    terminal = implement_command(scripted, "--samples", "1", line=POP_LINE, file="stack.py")
    terminal.remove("--json")
    scripted.responder = stack_script(LIFO_ONLY, EMPTY_STACK)
    shown = subprocess.run(
        terminal,
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "SPECLOOP_RUNS_DIR": str(tmp_path / "runs")},
        timeout=180,
    ).stdout
    assert (
        "a second round of spec tests for what the first left unchecked (a case in which it "
        "returns `None`): 0/1 -> 1/1 mutants killed" in shown
    ), shown


def test_without_a_second_round_the_same_code_is_not_validated(project, tmp_path, scripted):
    """The first round alone kills no mutant: nothing counts, and a method cannot be shown
    for confirmation. The second round is what made the run above validate."""
    payload, _ = implement(project, tmp_path, scripted, LIFO_ONLY, LIFO_ONLY)
    assert payload["status"] == "unvalidated", json.dumps(payload)
    assert payload["evidence"]["spec_tests"]["second_round"]["killed_after"] == "0/1"
    assert payload["evidence"]["spec_tests"]["counted"] is False


def test_code_the_second_round_catches_is_written_again_against_both_rounds(
    project, tmp_path, scripted
):
    pool = (ZERO_WHEN_EMPTY, RIGHT)
    payload, result = implement(project, tmp_path, scripted, LIFO_ONLY, EMPTY_STACK, pool=pool)
    assert payload["status"] == "validated", result.stderr + json.dumps(payload)
    assert payload["attempts"] == 2
    assert len(writer_requests(scripted)) == 2, "the second round is frozen: written once"
    second = [r for r in scripted.requests if schema_name(r.body) == "Candidate"][1]
    assert "test_pop_on_an_empty_stack_returns_none" in json.dumps(second.body)
    assert "return None" in payload["diff"]
