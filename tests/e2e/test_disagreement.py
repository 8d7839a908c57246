"""Samples that disagree in behaviour, end to end: `specloop implement` against the scripted model.

The task, `clamp`, has one example that every candidate passes and spec tests that
every candidate passes (they fail on the stub, so they count): the believable wrong
candidates differ from the right one only when ``low > high``. Which one the loop
offers must then depend on the user's answer, not on which came first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli import implement_command, run_implement
from tests.support.scripted_llm import Reply
from tests.support.stage_script import StageScript, candidate, schema_name

CLAMP = '''\
def clamp(value: int, low: int, high: int) -> int:
    """Limit value to the range from low to high.

    >>> clamp(5, 0, 3)
    3
    """
    raise NotImplementedError
'''
RIGHT = '''\
def clamp(value: int, low: int, high: int) -> int:
    """Limit value to the range from low to high.

    >>> clamp(5, 0, 3)
    3
    """
    if low > high:
        raise ValueError("low > high")
    return max(low, min(value, high))
'''
RIGHT_TOO = RIGHT.replace(
    """    if low > high:
        raise ValueError("low > high")
    return max(low, min(value, high))
""",
    """    if high < low:
        raise ValueError(f"empty range {low}..{high}")
    if value < low:
        return low
    return high if value > high else value
""",
)
LOW_WINS = RIGHT.replace('    if low > high:\n        raise ValueError("low > high")\n', "")
HIGH_WINS = LOW_WINS.replace("max(low, min(value, high))", "min(high, max(value, low))")
SPEC_TESTS = """\
from tasks import clamp


def test_clamps_from_above():
    assert clamp(5, 0, 3) == 3


def test_clamps_from_below():
    assert clamp(-1, 0, 3) == 0
"""
HIDDEN_TESTS = """\
import pytest

from tasks import clamp


def test_hidden():
    assert clamp(2, 0, 3) == 2
    assert clamp(9, 0, 3) == 3
    with pytest.raises(ValueError):
        clamp(1, 5, 0)
"""


STRICT_SPEC_TESTS = (
    SPEC_TESTS
    + """

def test_rejects_an_empty_range():
    import pytest

    with pytest.raises(ValueError):
        clamp(1, 5, 0)
"""
)


def script(*pool: str, tests: str = SPEC_TESTS) -> StageScript:
    scripted = StageScript(Candidate=[candidate(code) for code in pool])
    scripted.defaults["GeneratedTests"] = Reply.json({"code": tests})
    scripted.defaults["Plan"] = Reply.json(
        {"steps": ["Limit value"], "touched_symbols": ["clamp"], "checks": ["5 -> 3"]}
    )
    return scripted


def implement(project: Path, runs: Path, scripted, *extra: str):
    (project / "tasks.py").write_text(CLAMP, encoding="utf-8")
    return run_implement(project, runs, scripted, *extra, line=1, file="tasks.py")


def record_of(runs: Path, payload: dict) -> dict:
    return json.loads((runs / f"{payload['run_id']}.json").read_text())


def test_wrong_right_wrong_with_no_assume_needs_clarification_naming_the_input(
    project, tmp_path, scripted
):
    runs = tmp_path / "runs"
    scripted.responder = script(LOW_WINS, RIGHT, HIGH_WINS)
    payload, result = implement(project, runs, scripted, "--apply", "--no-assume")
    assert payload["status"] == "needs_clarification", result.stderr
    assert result.returncode == 1
    assert (project / "tasks.py").read_text() == CLAMP, "nothing is applied"
    (disagreement,) = payload["evidence"]["disagreements"]
    call = disagreement["call"]
    assert call.startswith("clamp(")
    outcomes = {item["outcome"]: item["attempts"] for item in disagreement["outcomes"]}
    assert outcomes["raise ValueError"] == [2]
    assert len(outcomes) == 3, outcomes
    assert call in payload["error"] and "raise ValueError" in payload["error"]
    assert payload["evidence"]["samples"] == 3
    # The spec tests were written once, before any code, and every sample ran them.
    written = [r for r in scripted.requests if schema_name(r.body) == "GeneratedTests"]
    assert len(written) == 1
    record = record_of(runs, payload)
    assert record["spec_tests"] == SPEC_TESTS


def test_right_samples_validate_with_their_agreement_as_evidence(project, tmp_path, scripted):
    runs = tmp_path / "runs"
    scripted.responder = script(RIGHT, RIGHT_TOO, RIGHT, tests=STRICT_SPEC_TESTS)
    payload, result = implement(project, runs, scripted, "--apply", "--no-assume")
    assert payload["status"] == "validated", result.stderr
    evidence = payload["evidence"]
    assert evidence["samples"] == 3 and evidence["agreeing"] == 3
    assert evidence["inputs"] >= 20
    assert evidence["disagreements"] == [] and evidence["questions_asked"] == 0
    # The spec's examples count: judging the spec tests by their mutants (a test run per
    # mutant) could not change the verdict, so it was skipped, and they are not counted.
    spec_tests = evidence["spec_tests"]
    assert spec_tests["counted"] is False and spec_tests["mutants"] is None, spec_tests
    assert spec_tests["frozen"] is True
    record = record_of(runs, payload)
    assert record["evidence"]["groups"] == 1
    assert len(record["evidence"]["inputs"]) == evidence["inputs"]
    generated = record["final_report"]["checks"][-1]
    assert generated["mutation"] is None and "not judged" in generated["output"]


def test_the_answer_picks_the_right_sample_and_becomes_a_doctest(project, tmp_path, scripted):
    runs = tmp_path / "runs"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"d1": "raise ValueError"}))
    scripted.responder = script(LOW_WINS, RIGHT, HIGH_WINS)
    payload, result = implement(project, runs, scripted, "--apply", "--answers", str(answers))
    assert payload["status"] == "validated", result.stderr
    applied = (project / "tasks.py").read_text()
    assert "raise ValueError" in applied, "the answered behaviour was chosen"
    call = payload["evidence"]["disagreements"][0]["call"]
    assert f">>> {call}  # doctest: +IGNORE_EXCEPTION_DETAIL" in applied
    assert payload["evidence"]["answered"] == 1 and payload["evidence"]["assumed"] == 0
    assert payload["evidence"]["examples_added"][0].startswith(f">>> {call}")
    examples = next(check for check in payload["checks"] if check["name"] == "spec examples")
    assert examples["passed"]
    assert payload["evidence"]["examples_run"] == 2
    # The examples count, so the spec tests were not judged by mutants, nor counted.
    assert payload["evidence"]["spec_tests"]["counted"] is False
    assert payload["evidence"]["spec_tests"]["mutants"] is None
    (project / "test_hidden.py").write_text(HIDDEN_TESTS)
    hidden = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--doctest-modules",
         "test_hidden.py", "tasks.py"],
        cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert hidden.returncode == 0, hidden.stdout


def test_without_an_answer_the_majority_is_taken_and_said_to_be_assumed(
    project, tmp_path, scripted
):
    runs = tmp_path / "runs"
    scripted.responder = script(RIGHT, LOW_WINS, RIGHT)
    payload, result = implement(project, runs, scripted)
    assert payload["status"] == "validated", result.stderr
    evidence = payload["evidence"]
    assert evidence["assumed"] == 1 and evidence["answered"] == 0
    assert evidence["agreeing"] == 2 and evidence["examples_added"] == []
    assert evidence["disagreements"][0]["answer"] == "raise ValueError"
    text = subprocess.run(
        [sys.executable, "-m", "specloop", "runs", "show", payload["run_id"]],
        capture_output=True, text=True, env={**os.environ, "SPECLOOP_RUNS_DIR": str(runs)},
    )  # fmt: skip
    assert '"assumed": true' in text.stdout


def test_no_majority_is_not_a_coin_flip(project, tmp_path, scripted):
    runs = tmp_path / "runs"
    scripted.responder = script(LOW_WINS, RIGHT, HIGH_WINS)
    payload, result = implement(project, runs, scripted)
    assert payload["status"] == "needs_clarification", result.stderr
    assert "no behaviour has a majority" in payload["error"]


def test_the_text_report_shows_the_input_and_what_each_group_did(project, tmp_path, scripted):
    runs = tmp_path / "runs"
    scripted.responder = script(LOW_WINS, RIGHT, HIGH_WINS)
    (project / "tasks.py").write_text(CLAMP, encoding="utf-8")
    argv = implement_command(scripted, "--no-assume", line=1, file="tasks.py")
    argv.remove("--json")
    result = subprocess.run(
        argv, cwd=project, capture_output=True, text=True, timeout=180,
        env={**os.environ, "SPECLOOP_RUNS_DIR": str(runs)},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "NEEDS CLARIFICATION: The samples disagree and nothing may be assumed" in out
    assert "samples disagree on clamp(" in out
    assert "raise ValueError  (attempt 2)" in out
    assert 'Answer with --answers FILE, e.g. {"d1": ' in out
    assert "the accepted sample, judged" not in out, "nothing was accepted"
    assert "return" in out.split("samples disagree on", 1)[1]


def _without_example(source: str) -> str:
    return source.replace("\n    >>> clamp(5, 0, 3)\n    3\n", "")


def test_without_an_example_of_the_spec_the_question_weighs_the_samples_mutants(
    project, tmp_path, scripted
):
    # No example of its own: the samples' mutants are run too, to choose which input to
    # ask about (`confirmation.input_weights`); the answer still picks the right sample.
    runs = tmp_path / "runs"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"d1": "raise ValueError", "c2": "Yes", "c3": "Yes"}))
    pool = [_without_example(code) for code in (LOW_WINS, RIGHT, HIGH_WINS)]
    scripted.responder = script(*pool)
    (project / "tasks.py").write_text(_without_example(CLAMP), encoding="utf-8")
    payload, result = run_implement(
        project, runs, scripted, "--apply", "--answers", str(answers), line=1, file="tasks.py"
    )
    assert payload["status"] == "validated", result.stderr
    assert "raise ValueError" in (project / "tasks.py").read_text()
    (disagreement,) = payload["evidence"]["disagreements"]
    assert disagreement["answer"] == "raise ValueError"
    assert "Running the samples' mutants to choose what to ask" in result.stderr
