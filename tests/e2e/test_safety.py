"""Safety end to end: isolation that never silently weakens, secrets that stay home,
candidates that touch only their target, runs that stop cleanly, files that keep their bytes.

Each test runs the real `specloop implement` (or `specloop serve`) in a subprocess
against the scripted OpenAI-compatible model server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import implement_command, run_implement
from tests.support.processes import processes_with
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.stage_script import (
    CORRECT,
    MODULE,
    SLOW,
    StageScript,
    candidate,
    schema_name,
)

VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture
def server_tmp() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="specloop-safety-tmp-"))
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def record_of(runs: Path, payload: dict[str, Any]) -> dict[str, Any]:
    return json.loads((runs / f"{payload['run_id']}.json").read_text())


# ---------------------------------------------------------------- no silent fallback


def test_without_namespaces_generated_code_is_refused_and_the_result_says_how_to_enable(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    no_unshare = {"PATH": VENV_BIN}  # unshare is not on PATH: no namespaces
    payload, result = run_implement(project, tmp_path / "runs", scripted, "--apply", env=no_unshare)
    assert result.returncode == 1, result.stderr
    assert payload["status"] == "unvalidated"
    assert {"name": "sandbox", "passed": False, "ran": False, "verdict": "not run"} in payload[
        "checks"
    ]
    assert payload["isolation"] == ""
    assert "Generated code was not run" in payload["error"]
    assert "--allow-unisolated" in payload["error"]
    assert payload["applied"] is False
    assert (project / "pricing.py").read_text() == MODULE
    assert payload["attempts"] == 1, "another candidate would be refused the same way"


def test_accepting_weaker_isolation_runs_with_landlock_and_every_output_says_so(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    runs = tmp_path / "runs"
    payload, result = run_implement(
        project, runs, scripted, "--apply", "--allow-unisolated", env={"PATH": VENV_BIN}
    )
    assert payload["status"] == "validated", result.stderr
    assert payload["isolation"] == "landlock"
    assert (project / "pricing.py").read_text() != MODULE
    report = record_of(runs, payload)["attempts"][-1]["report"]
    assert report["isolation"] == "landlock"
    assert report["isolation_description"].startswith("Landlock (no namespaces here)")


def test_with_namespaces_the_result_names_them(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    payload, result = run_implement(project, tmp_path / "runs", scripted)
    assert payload["status"] == "validated", result.stderr
    assert payload["isolation"] == "namespaces"


# ---------------------------------------------------------------- secrets stay home

SECRET_KEY = "sk-proj-specloopTESTkey0123456789"
SECRET_TOKEN = "tok-0123456789abcdefXYZ"
AWS_SECRET = "aws+Secret/Value0123456789"
LEAKY_TESTS = """\
import json, os, pathlib

from pricing import discount

HERE = pathlib.Path(__file__).parent


def test_leak_what_can_be_found():
    found = {}
    for name in (".env", "tests/.env", "tests/secrets/credentials.json"):
        try:
            found[name] = (HERE / name).read_text()
        except OSError as error:
            found[name] = f"missing: {error.strerror}"
    print(json.dumps(found), json.dumps(dict(os.environ)))
    files = "; ".join(f"{name}: {text}" for name, text in found.items())
    assert discount(100) == "leak", files + " " + json.dumps(dict(os.environ))
"""


def test_project_secrets_reach_neither_the_sandbox_nor_the_model_nor_any_output(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    (project / ".env").write_text(f"OPENAI_API_KEY={SECRET_KEY}\n")
    (project / "tests" / ".env").write_text(f"OPENAI_API_KEY={SECRET_KEY}\n")
    (project / "tests" / "secrets").mkdir()
    (project / "tests" / "secrets" / "credentials.json").write_text(
        json.dumps({"token": SECRET_TOKEN})
    )
    # A secret in the target itself reaches the model's context: it must be masked there.
    in_target = MODULE.replace("    ...\n", f"    # the staging token is {SECRET_TOKEN}\n    ...\n")
    (project / "pricing.py").write_text(in_target)
    scripted.responder = StageScript(GeneratedTests=[Reply.json({"code": LEAKY_TESTS})])
    runs, log = tmp_path / "runs", tmp_path / "specloop.log"
    payload, result = run_implement(
        project,
        runs,
        scripted,
        "--max-attempts", "2",
        env={"AWS_SECRET_ACCESS_KEY": AWS_SECRET},
        before=("--log-level", "DEBUG", "--log-file", str(log)),
    )  # fmt: skip
    assert payload["status"] == "unvalidated", result.stderr
    sent = json.dumps([request.body for request in scripted.requests])
    # The failing assertion went back to the model: the secret files were not there.
    assert sent.count("missing: No such file or directory") >= 3, sent[-3000:]
    assert "the staging token is [REDACTED]" in sent
    written = {
        "prompts": sent,
        "record": (runs / f"{payload['run_id']}.json").read_text(),
        "log": log.read_text(),
    }
    for where, text in written.items():
        for secret in (SECRET_KEY, SECRET_TOKEN, AWS_SECRET):
            assert secret not in text, f"{secret} in the {where}"
    # The terminal shows the user's own diff as it is (their token included), nothing else.
    for secret in (SECRET_KEY, AWS_SECRET):
        assert secret not in result.stdout + result.stderr
    assert log.stat().st_mode & 0o777 == 0o600


def test_a_validated_and_applied_run_keeps_its_record_redacted(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    """The record is written with what became of the offer: the run's redactor still holds."""
    (project / "tests" / "secrets").mkdir()
    (project / "tests" / "secrets" / "credentials.json").write_text(
        json.dumps({"token": SECRET_TOKEN})
    )
    in_target = MODULE.replace("    ...\n", f"    # the staging token is {SECRET_TOKEN}\n    ...\n")
    (project / "pricing.py").write_text(in_target)
    scripted.responder = StageScript()
    runs = tmp_path / "runs"
    payload, result = run_implement(project, runs, scripted, "--apply")
    assert payload["status"] == "validated" and payload["applied"] is True, result.stderr
    record = (runs / f"{payload['run_id']}.json").read_text()
    assert json.loads(record)["applied"] is True
    assert SECRET_TOKEN not in record
    assert "the staging token is [REDACTED]" in record


# ---------------------------------------------------------------- only the target changes

# discount works but for its TODO; with_fee, tested elsewhere, relies on it.
HELPED = (
    MODULE.replace("    ...\n", "    return total * 9 // 10 if total >= 100 else total\n")
    + """

def with_fee(total: int) -> int:
    return discount(total) + 1
"""
)
HELPER_TEST = """\
from pricing import with_fee


def test_small_totals_get_the_fee_only():
    assert with_fee(50) == 51
"""
SMALL_TOTALS_BROKEN = CORRECT.replace("    return total\n", "    return 0\n")


def test_the_module_s_other_tests_guard_what_the_candidate_does_not_mention(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    (project / "pricing.py").write_text(HELPED, encoding="utf-8")
    (project / "tests" / "test_pricing.py").unlink()
    (project / "tests" / "test_helper.py").write_text(HELPER_TEST, encoding="utf-8")
    scripted.responder = StageScript(
        Candidate=[
            Reply.json({"code": CORRECT, "imports": ["from os import getpid as len"]}),
            candidate(SMALL_TOTALS_BROKEN),
        ]
    )
    runs = tmp_path / "runs"
    payload, result = run_implement(project, runs, scripted, "--apply")
    assert payload["status"] == "validated", result.stderr
    assert payload["attempts"] == 5, "two refused, then three samples to compare"
    first, second, *_ = record_of(runs, payload)["attempts"]
    assert "would shadow the builtin `len`" in first["error"]
    failed = [check for check in second["report"]["checks"] if not check["passed"]]
    assert [check["name"] for check in failed] == ["regression tests"]
    assert "test_small_totals_get_the_fee_only" in failed[0]["output"]
    assert "def with_fee" in (project / "pricing.py").read_text()


# ---------------------------------------------------------------- stopping cleanly


def wait_for(condition: Any, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def test_sigterm_during_validation_stops_the_sandbox_saves_the_record_and_says_so(
    project: Path, tmp_path: Path, scripted: ScriptedLLM, server_tmp: Path
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(SLOW)])
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        implement_command(scripted, "--check-timeout", "60"),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SPECLOOP_RUNS_DIR": str(runs), "TMPDIR": str(server_tmp)},
    )
    sandbox = str(server_tmp).encode()
    assert wait_for(lambda: processes_with(b"time.sleep(60)") or processes_with(sandbox), 60)
    time.sleep(0.5)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=30)
    assert time.monotonic() - started < 10
    payload = json.loads(stdout)
    assert payload["status"] == "cancelled"
    assert "SIGTERM" in payload["error"]
    assert record_of(runs, payload)["status"] == "cancelled"
    assert wait_for(lambda: not processes_with(sandbox), 5), "a sandbox process is left"
    assert wait_for(lambda: not list(server_tmp.iterdir()), 5), list(server_tmp.iterdir())
    assert (project / "pricing.py").read_text() == MODULE


def test_a_killed_specloop_leaves_no_sandbox_behind(
    project: Path, tmp_path: Path, scripted: ScriptedLLM, server_tmp: Path
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(SLOW)])
    process = subprocess.Popen(
        implement_command(scripted, "--check-timeout", "60"),
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SPECLOOP_RUNS_DIR": str(tmp_path / "runs"), "TMPDIR": str(server_tmp)},
    )
    sandbox = str(server_tmp).encode()
    assert wait_for(lambda: processes_with(sandbox), 60)
    time.sleep(1.0)  # the checks are under way: the candidate sleeps in its sandbox
    process.kill()  # SIGKILL: specloop gets no word in
    process.wait()
    assert wait_for(lambda: not processes_with(sandbox), 5), "the sandbox outlived specloop"


# ---------------------------------------------------------------- files keep their bytes


def test_apply_keeps_line_endings_bom_mode_and_owner(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    path = project / "pricing.py"
    path.write_bytes(b"\xef\xbb\xbf" + MODULE.replace("\n", "\r\n").encode())
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 1000, 1000)  # someone else's file, as root may edit it
    owner = (path.stat().st_uid, path.stat().st_gid)
    payload, result = run_implement(project, tmp_path / "runs", scripted, "--apply")
    assert payload["status"] == "validated" and payload["applied"] is True, result.stderr
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode()
    assert "\n" not in text.replace("\r\n", "")
    assert text.replace("\r\n", "\n") == CORRECT
    status = path.stat()
    assert (status.st_mode & 0o777, status.st_uid, status.st_gid) == (0o640, *owner)
    assert not [p for p in project.iterdir() if p.name.endswith(".tmp")]
    # The diff shown is what was written: its + lines are the new file's lines.
    diff = payload["diff"].splitlines()
    added = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert added and all(line in text for line in added)


def test_a_file_changed_meanwhile_is_not_written(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    plan = StageScript().defaults["Plan"]

    def touch_then_plan(body: dict[str, Any]) -> Reply:
        if schema_name(body) == "Plan":
            (project / "pricing.py").write_text(MODULE + "\n# edited meanwhile\n")
            return plan
        return StageScript()(body)

    scripted.responder = touch_then_plan
    payload, result = run_implement(project, tmp_path / "runs", scripted, "--apply")
    assert payload["status"] == "validated", result.stderr
    assert payload["applied"] is False
    assert "changed while the loop ran" in payload["not_applied"]
    assert result.returncode == 3, "a script can tell a validated change that was not written"
    assert (project / "pricing.py").read_text() == MODULE + "\n# edited meanwhile\n"


def test_a_read_only_file_is_not_replaced(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    path = project / "pricing.py"
    path.chmod(0o444)
    payload, result = run_implement(project, tmp_path / "runs", scripted, "--apply")
    assert payload["status"] == "validated", result.stderr
    assert payload["applied"] is False and "is read-only (mode 444)" in payload["not_applied"]
    assert result.returncode == 3
    assert path.read_text() == MODULE and path.stat().st_mode & 0o777 == 0o444


def test_a_file_with_other_hard_links_is_written_in_place(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    other = tmp_path / "another-name-for-pricing.py"
    os.link(project / "pricing.py", other)
    payload, result = run_implement(project, tmp_path / "runs", scripted, "--apply")
    assert payload["status"] == "validated" and payload["applied"] is True, result.stderr
    assert result.returncode == 0
    assert other.read_text() == (project / "pricing.py").read_text() != MODULE
    assert os.path.samefile(other, project / "pricing.py")


def test_an_existing_log_file_becomes_readable_by_the_user_alone(
    project: Path, tmp_path: Path, scripted: ScriptedLLM
) -> None:
    log = tmp_path / "specloop.log"
    log.write_text("an older log\n")
    log.chmod(0o644)
    run_implement(
        project, tmp_path / "runs", scripted, before=("--log-file", str(log), "--log-level", "INFO")
    )
    assert log.stat().st_mode & 0o777 == 0o600
