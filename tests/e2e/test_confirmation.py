"""Confirmation questions end to end: `specloop implement` against the scripted model.

The task, `largest`, has no example, no existing test, and spec tests that pass on the
stub too (they check only that it exists), so no check counts as evidence. The run then
shows a case of the accepted code and asks whether it is right: Yes validates it and the
case becomes a doctest; "something else" makes another attempt; no answer leaves it not
validated, naming the case.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_implement
from tests.support.scripted_llm import Reply
from tests.support.stage_script import StageScript, candidate, schema_name

LARGEST = '''\
def largest(items: list[int]) -> int:
    """Return the largest of the items, or 0 when there are none."""
    raise NotImplementedError
'''
RIGHT = '''\
def largest(items: list[int]) -> int:
    """Return the largest of the items, or 0 when there are none."""
    if not items:
        return 0
    return max(items)
'''
WRONG = RIGHT.replace("return 0", "return -1")
IDLE_SPEC_TESTS = """\
from tasks import largest


def test_it_is_there():
    assert callable(largest)
"""
ALL_YES = {"c1": "Yes", "c2": "Yes", "c3": "Yes"}


def script(*pool: str) -> StageScript:
    scripted = StageScript(Candidate=[candidate(code) for code in pool])
    scripted.defaults["GeneratedTests"] = Reply.json({"code": IDLE_SPEC_TESTS})
    scripted.defaults["Plan"] = Reply.json(
        {"steps": ["Return the maximum"], "touched_symbols": ["largest"], "checks": []}
    )
    return scripted


def implement(project: Path, tmp_path: Path, scripted, answers: dict | None, *extra: str):
    (project / "tasks.py").write_text(LARGEST, encoding="utf-8")
    argv = ["--samples", "1", *extra]
    if answers is not None:
        path = tmp_path / "answers.json"
        path.write_text(json.dumps(answers))
        argv += ["--answers", str(path)]
    return run_implement(project, tmp_path / "runs", scripted, *argv, line=1, file="tasks.py")


def test_yes_validates_and_the_confirmed_case_becomes_a_doctest(project, tmp_path, scripted):
    scripted.responder = script(RIGHT)
    payload, result = implement(project, tmp_path, scripted, ALL_YES, "--apply")
    assert payload["status"] == "validated", result.stderr
    confirmations = payload["evidence"]["confirmations"]
    assert confirmations and all(item["confirmed"] for item in confirmations), confirmations
    applied = (project / "tasks.py").read_text()
    for item in confirmations:
        assert f">>> {item['call']}" in applied, applied
    assert payload["evidence"]["examples_added"][0] == f">>> {confirmations[0]['call']}"
    examples = next(check for check in payload["checks"] if check["name"] == "spec examples")
    assert examples["passed"], payload["checks"]
    assert payload["evidence"]["spec_tests"]["counted"] is False
    assert "spec example" in result.stdout + json.dumps(payload)


def test_something_else_makes_another_attempt_told_what_was_wrong(project, tmp_path, scripted):
    scripted.responder = script(WRONG, RIGHT)
    answers = {"c1": "No, something else", "c2": "Yes", "c3": "Yes"}
    payload, result = implement(project, tmp_path, scripted, answers, "--apply")
    assert payload["status"] == "validated", result.stderr
    assert payload["attempts"] == 2
    first, *rest = payload["evidence"]["confirmations"]
    assert first["attempt"] == 1 and not first["confirmed"]
    assert rest and all(item["attempt"] == 2 and item["confirmed"] for item in rest)
    second = [r for r in scripted.requests if schema_name(r.body) == "Candidate"][1]
    assert "which is wrong" in json.dumps(second.body), "the next attempt was told"
    assert "return 0" in (project / "tasks.py").read_text()


def test_a_declined_confirmation_leaves_it_not_validated_and_names_the_case(
    project, tmp_path, scripted
):
    scripted.responder = script(RIGHT)
    payload, result = implement(project, tmp_path, scripted, None, "--apply")
    assert payload["status"] == "unvalidated", result.stderr
    assert result.returncode != 0
    (item,) = payload["evidence"]["confirmations"]
    assert item["question_id"] == "c1" and item["answer"] is None and not item["confirmed"]
    assert f"`{item['call']}`" in payload["error"] and f">>> {item['call']}" in payload["error"]
    assert (project / "tasks.py").read_text() == LARGEST, "nothing is applied"


def test_with_no_question_left_the_case_is_named_and_nothing_asked(project, tmp_path, scripted):
    scripted.responder = script(RIGHT)
    payload, result = implement(project, tmp_path, scripted, ALL_YES, "--max-questions", "0")
    assert payload["status"] == "unvalidated", result.stderr
    (item,) = payload["evidence"]["confirmations"]
    assert item["question_id"] is None
    assert "maxQuestions is 0" in payload["error"] and item["call"] in payload["error"]


def test_results_the_spec_writes_in_prose_are_its_examples(project, tmp_path, scripted):
    # "largest([3, 9]) ➞ 9" is an example as much as a >>> line: it checks every candidate,
    # rules out the one that contradicts it, and counts as evidence: nothing to confirm.
    written = LARGEST.replace("are none.", "are none: largest([3, 9]) ➞ 9, largest([]) ➞ 0.")
    smallest = RIGHT.replace("max(items)", "min(items)")
    scripted.responder = script(smallest, RIGHT)
    (project / "tasks.py").write_text(written, encoding="utf-8")
    payload, result = run_implement(
        project, tmp_path / "runs", scripted, "--samples", "1", "--apply", line=1, file="tasks.py"
    )
    assert payload["status"] == "validated", result.stderr
    assert payload["attempts"] == 2, "the candidate that contradicts largest([3, 9]) ➞ 9 failed"
    assert payload["evidence"]["confirmations"] == []
    examples = next(check for check in payload["checks"] if check["name"] == "spec examples")
    assert examples["passed"], payload["checks"]
    assert payload["evidence"]["examples_run"] == 2, payload["evidence"]
    assert "max(items)" in (project / "tasks.py").read_text()
