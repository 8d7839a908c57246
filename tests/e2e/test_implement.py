"""`specloop implement` end to end: the CLI, litellm and a scripted OpenAI-compatible server.

Each test runs the real command in a subprocess against a small project. The
scripted server answers by the schema each stage asks for, so a test scripts a
stage ("the first Candidate is wrong") rather than a call order. Every fault
ends with a clear status, and with --apply the files stay untouched unless the
result validated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_implement
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.stage_script import (
    CORRECT,
    DOES_NOT_PARSE,
    EXISTING_TEST,
    LOOPS_FOREVER,
    MODULE,
    TODO_LINE,
    WRONG,
    StageScript,
    candidate,
    schema_name,
)


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


def implement(
    project: Path,
    runs_dir: Path,
    server: ScriptedLLM,
    *extra: str,
    env: dict[str, str] | None = None,
    line: int = TODO_LINE,
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    return run_implement(project, runs_dir, server, "--apply", *extra, env=env, line=line)


def generate_requests(server: ScriptedLLM) -> list[Any]:
    return [request for request in server.requests if schema_name(request.body) == "Candidate"]


def test_a_clear_spec_goes_plan_generate_validate_and_applies(project, runs_dir, scripted):
    scripted.responder = StageScript()
    payload, result = implement(project, runs_dir, scripted)
    assert result.returncode == 0, result.stderr
    assert payload["status"] == "validated"
    assert payload["attempts"] == 3, "three samples, compared by behaviour"
    assert payload["evidence"]["samples"] == 3 and payload["evidence"]["agreeing"] == 3
    assert payload["tokens"] > 0
    assert {"syntax", "static", "spec examples", "tests", "generated tests"} <= {
        check["name"] for check in payload["checks"]
    }
    assert all(check["passed"] for check in payload["checks"])
    assert "+    if total < 0:" in payload["diff"]
    assert (project / "pricing.py").read_text() == MODULE.replace(
        MODULE[MODULE.index("def discount") :], CORRECT
    )
    stages_called = [schema_name(request.body) for request in scripted.requests]
    assert "Clarification" not in stages_called, "a clear spec needs no clarification"
    assert stages_called[0] == "Plan"
    record = json.loads((runs_dir / f"{payload['run_id']}.json").read_text())
    assert record["status"] == "validated"


def test_a_wrong_first_answer_is_fed_back_and_attempt_two_passes(project, runs_dir, scripted):
    scripted.responder = StageScript(Candidate=[candidate(WRONG)])
    payload, result = implement(project, runs_dir, scripted)
    assert payload["status"] == "validated", result.stderr
    assert payload["attempts"] == 4, "a failure, then three samples"
    written = [r for r in scripted.requests if schema_name(r.body) == "GeneratedTests"]
    assert len(written) == 1, "spec tests are written once, before any code: frozen"
    second = generate_requests(scripted)[1]
    prompt = second.messages[-1]["content"]
    assert "attempt 1:" in prompt
    assert "spec examples failed" in prompt
    assert "180" in prompt


def test_an_ambiguous_spec_is_clarified_with_recorded_assumptions(project, runs_dir, scripted):
    (project / "pricing.py").write_text(
        MODULE.replace("raise ValueError when total is negative", "handle errors")
    )
    scripted.responder = StageScript()
    payload, result = implement(project, runs_dir, scripted)
    assert payload["status"] == "validated", result.stderr
    record = json.loads((runs_dir / f"{payload['run_id']}.json").read_text())
    assert record["clarification"]["needed"] is True
    assert record["answers"] == [
        {"question_id": "q1", "answer": "raise ValueError", "assumed": True}
    ]


def test_answers_from_a_file_are_used_and_not_marked_assumed(project, runs_dir, scripted):
    (project / "pricing.py").write_text(
        MODULE.replace("raise ValueError when total is negative", "handle errors")
    )
    answers = project.parent / "answers.json"
    answers.write_text(json.dumps({"q1": "raise ValueError"}))
    scripted.responder = StageScript()
    payload, _ = implement(project, runs_dir, scripted, "--answers", str(answers))
    record = json.loads((runs_dir / f"{payload['run_id']}.json").read_text())
    assert record["answers"][0]["assumed"] is False


def test_no_assume_stops_with_needs_clarification(project, runs_dir, scripted):
    original = MODULE.replace("raise ValueError when total is negative", "handle errors")
    (project / "pricing.py").write_text(original)
    scripted.responder = StageScript()
    payload, result = implement(project, runs_dir, scripted, "--no-assume")
    assert result.returncode == 1
    assert payload["status"] == "needs_clarification"
    assert (project / "pricing.py").read_text() == original


@dataclass(frozen=True)
class Fault:
    """Replies to the generate stage, and exactly how the run must end."""

    replies: list[Reply]
    status: str
    says: str
    """What the error (or the last attempt's record) must say."""
    generate_requests: int
    options: tuple[str, ...] = ()


FAULTS = {
    "rate limited, then fine": Fault(
        [Reply.status(429, retry_after=1)], "validated", "", generate_requests=4
    ),
    "server error forever": Fault(
        [Reply.status(500)] * 10, "error", "failed with a server error after 3 retries", 4
    ),
    "hangs past the timeout": Fault(
        [Reply.hang(30)], "error", "did not answer within 2 s", 1, ("--timeout", "2")
    ),
    "malformed JSON twice": Fault(
        [Reply.malformed(), Reply.malformed()], "error", "still not JSON after one re-ask", 2
    ),
    "schema-invalid twice": Fault(
        [Reply.json({"cod": 1})] * 2, "error", "did not match the Candidate schema", 2
    ),
    "truncated twice": Fault(
        [Reply.truncated(), Reply.truncated()], "error", "cut off at its length limit", 2
    ),
    "code that does not parse": Fault(
        [candidate(DOES_NOT_PARSE)] * 3, "unvalidated", "does not parse", 3
    ),
    "code that fails tests": Fault([candidate(WRONG)] * 3, "unvalidated", "spec examples", 3),
    "code that loops forever": Fault(
        [candidate(LOOPS_FOREVER)] * 3,
        "unvalidated",
        "limit and was stopped",
        3,
        ("--check-timeout", "3"),
    ),
}


@pytest.mark.parametrize("name", FAULTS, ids=list(FAULTS))
def test_every_fault_ends_with_its_own_clear_status_and_untouched_files(
    name, project, runs_dir, scripted
):
    fault = FAULTS[name]
    scripted.responder = StageScript(Candidate=list(fault.replies))
    payload, result = implement(project, runs_dir, scripted, *fault.options)
    assert payload["status"] == fault.status, result.stderr
    assert (result.returncode == 0) == (fault.status == "validated")
    assert len(generate_requests(scripted)) == fault.generate_requests
    record = json.loads((runs_dir / f"{payload['run_id']}.json").read_text())
    if fault.status == "error":
        assert fault.says in payload["error"]
    elif fault.status == "unvalidated":
        last = record["attempts"][-1]
        said = last["error"] or json.dumps(last["report"])
        assert fault.says in said, said
    if fault.status != "validated":
        assert (project / "pricing.py").read_text() == MODULE
        assert (project / "tests" / "test_pricing.py").read_text() == EXISTING_TEST


def test_the_api_key_reaches_the_endpoint_but_no_output_or_record(project, runs_dir, scripted):
    secret = "sk-specloop-test-0123456789"
    scripted.responder = StageScript()
    payload, result = implement(
        project,
        runs_dir,
        scripted,
        "--api-key-env",
        "SPECLOOP_TEST_API_KEY",
        env={"SPECLOOP_TEST_API_KEY": secret},
    )
    assert payload["status"] == "validated", result.stderr
    assert all(request.authorization == f"Bearer {secret}" for request in scripted.requests)
    assert secret not in result.stdout + result.stderr
    assert secret not in (runs_dir / f"{payload['run_id']}.json").read_text()


def test_a_missing_key_variable_is_a_configuration_error(project, runs_dir, scripted):
    payload, result = implement(project, runs_dir, scripted, "--api-key-env", "NOT_SET_ANYWHERE")
    assert result.returncode == 2
    assert payload["status"] == "error"
    assert "NOT_SET_ANYWHERE" in payload["error"]
    assert (project / "pricing.py").read_text() == MODULE


def test_runs_lists_and_shows_the_record(project, runs_dir, scripted):
    scripted.responder = StageScript()
    payload, _ = implement(project, runs_dir, scripted)
    env = {**os.environ, "SPECLOOP_RUNS_DIR": str(runs_dir)}
    listing = subprocess.run(
        [sys.executable, "-m", "specloop", "runs"], capture_output=True, text=True, env=env
    )
    [line] = [line for line in listing.stdout.splitlines() if payload["run_id"] in line]
    assert "validated, applied" in line
    shown = subprocess.run(
        [sys.executable, "-m", "specloop", "runs", "show", payload["run_id"]],
        capture_output=True,
        text=True,
        env=env,
    )
    record = json.loads(shown.stdout)
    assert [exchange["stage"] for exchange in record["exchanges"]][:1] == ["plan"]
    # Read by a pager that leaves early: no traceback.
    shown_in_part = subprocess.run(
        f"{sys.executable} -m specloop runs show {payload['run_id']} | head -n 1",
        shell=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert shown_in_part.stdout == "{\n"
    assert "Traceback" not in shown_in_part.stderr and "BrokenPipe" not in shown_in_part.stderr


def test_a_stage_model_override_is_used_for_that_stage_only(project, runs_dir, scripted):
    scripted.responder = StageScript()
    payload, result = implement(
        project, runs_dir, scripted, "--stage-model", "generate=openai/big-coder"
    )
    assert payload["status"] == "validated", result.stderr
    models = {schema_name(request.body): request.body["model"] for request in scripted.requests}
    assert models["Candidate"] == "big-coder"
    assert models["Plan"] == "scripted"


def test_a_bad_stage_model_option_is_a_usage_error(project, runs_dir, scripted):
    result = subprocess.run(
        [sys.executable, "-m", "specloop", "implement", "pricing.py:7", "--stage-model", "x"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "STAGE=MODEL" in result.stderr


def test_without_any_check_that_exercises_the_code_nothing_is_validated(
    project, runs_dir, scripted
):
    bare = (
        "def discount(total: int) -> int:\n"
        "    # TODO: raise ValueError when total is negative\n"
        "    ...\n"
    )
    (project / "pricing.py").write_text(bare)
    (project / "tests" / "test_pricing.py").unlink()
    vacuous = Reply.json({"code": "def test_nothing():\n    assert True\n"})
    scripted.responder = StageScript(GeneratedTests=[vacuous])
    payload, result = implement(project, runs_dir, scripted, line=2)
    assert payload["status"] == "unvalidated", result.stderr
    assert result.returncode == 1
    assert all(check["passed"] for check in payload["checks"])
    record = json.loads((runs_dir / f"{payload['run_id']}.json").read_text())
    assert "No check of the new code counts as evidence" in record["error"]
    assert record["evidence"]["confirmations"][0]["answer"] is None, "asked, not answered"
    assert (project / "pricing.py").read_text() == bare


CLAMP = """\
def clamp(value: int, low: int, high: int) -> int:
    # TODO: return value limited to [low, high]; raise ValueError if low > high
    ...
"""
CLAMP_DONE = """\
def clamp(value: int, low: int, high: int) -> int:
    if low > high:
        raise ValueError("low > high")
    return max(low, min(value, high))
"""
CLAMP_TESTS = """\
import pytest

from tasks import clamp


def test_clamps():
    assert clamp(5, 0, 3) == 3


def test_rejects_an_empty_range():
    with pytest.raises(ValueError):
        clamp(1, 5, 0)
"""


@pytest.mark.parametrize("line", [1, 2, 3])
def test_every_line_of_a_function_sees_the_todo_in_its_body(project, runs_dir, scripted, line):
    (project / "tasks.py").write_text(CLAMP, encoding="utf-8")
    script = StageScript()
    script.defaults["GeneratedTests"] = Reply.json({"code": CLAMP_TESTS})
    script.defaults["Candidate"] = candidate(CLAMP_DONE)
    scripted.responder = script
    payload, result = run_implement(project, runs_dir, scripted, line=line, file="tasks.py")
    assert payload["status"] == "validated", result.stderr
    assert {"name": "generated tests", "passed": True, "ran": True, "verdict": "passed"} in payload[
        "checks"
    ]
    record = json.loads((runs_dir / f"{payload['run_id']}.json").read_text())
    assert record["spec"]["line"] == 1
    assert "raise ValueError if low > high" in record["spec"]["text"]


def test_refused_credentials_are_a_configuration_error(project, runs_dir, scripted):
    scripted.responder = StageScript(Plan=[Reply.status(401, message="invalid api key")])
    payload, result = implement(
        project, runs_dir, scripted, "--api-key-env", "SPECLOOP_TEST_KEY",
        env={"SPECLOOP_TEST_KEY": "sk-wrong-0123456789"},
    )  # fmt: skip
    assert result.returncode == 2
    assert payload["status"] == "error"
    assert "refused the credentials" in payload["error"]
    assert "SPECLOOP_TEST_KEY" in payload["error"]
    assert len(scripted.requests) == 1, "a refused key is not retried"
