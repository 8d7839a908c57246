"""The loop in a project with dependencies: checks run with the project's own environment.

Each project gets a real virtual environment built with uv from the package registry
(toolz; Django with pytest-django). The scripted model writes the right code; what is
tested is that specloop finds the environment, runs every check with it, says which it
used, and gives a clear message (not a failed check) when the dependency is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from specloop.validate.environment import find_environment
from tests.support.cli import run_implement
from tests.support.projects import (
    CHUNKED_CORRECT,
    CHUNKED_LINE,
    DJANGO_CORRECT,
    DJANGO_LINE,
    DJANGO_PACKAGES,
    TOOLZ,
    base_python,
    chunked_project,
    chunked_script,
    django_project,
    django_script,
    make_environment,
)
from tests.support.scripted_llm import ScriptedLLM

WITHOUT_VIRTUAL_ENV = {"VIRTUAL_ENV": ""}


def implement_util(project: Path, tmp_path: Path, scripted: ScriptedLLM, *extra: str):
    return run_implement(
        project,
        tmp_path / "runs",
        scripted,
        "--apply",
        *extra,
        file="util.py",
        line=CHUNKED_LINE,
        env=WITHOUT_VIRTUAL_ENV,
    )


def test_a_project_venv_with_a_dependency_validates_with_its_doctest_and_test(
    tmp_path: Path, scripted: ScriptedLLM
) -> None:
    project = chunked_project(tmp_path / "project")
    make_environment(project / ".venv", TOOLZ)
    scripted.responder = chunked_script()

    payload, result = implement_util(project, tmp_path, scripted)

    assert payload["status"] == "validated", result.stdout + result.stderr
    assert payload["applied"] is True
    checks = {check["name"]: check for check in payload["checks"]}
    assert checks["spec examples"]["passed"] and checks["tests"]["passed"]
    record = json.loads((tmp_path / "runs" / f"{payload['run_id']}.json").read_text())
    existing = [c for c in record["final_report"]["checks"] if c["name"] == "tests"]
    assert existing[0]["evidence"], "its test needs nothing from the test process: evidence"
    environment = payload["environment"]
    assert environment["python"] == str(project / ".venv" / "bin" / "python")
    assert environment["source"] == ".venv in the project"
    assert "checks ran with .venv/bin/python (3." in environment["description"]
    assert CHUNKED_CORRECT in (project / "util.py").read_text()
    assert record["environment"]["source"] == ".venv in the project"


def test_the_text_output_says_which_python_ran_the_checks(
    tmp_path: Path, scripted: ScriptedLLM
) -> None:
    project = chunked_project(tmp_path / "project")
    elsewhere = make_environment(tmp_path / "envs" / "chunks", TOOLZ)
    scripted.responder = chunked_script()
    command = [
        sys.executable, "-m", "specloop", "implement", f"util.py:{CHUNKED_LINE}",
        "--model", "openai/scripted", "--api-base", scripted.base_url,
        "--check-timeout", "20", "--python", str(elsewhere),
    ]  # fmt: skip
    result = subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "SPECLOOP_RUNS_DIR": str(tmp_path / "runs"), "VIRTUAL_ENV": ""},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Python: checks ran with {elsewhere} (3." in result.stdout
    assert "the setting python" in result.stdout


def test_without_the_dependency_the_run_names_it_and_changes_nothing(
    tmp_path: Path, scripted: ScriptedLLM
) -> None:
    project = chunked_project(tmp_path / "project")
    before = (project / "util.py").read_text()
    scripted.responder = chunked_script()

    payload, result = implement_util(project, tmp_path, scripted)

    assert result.returncode == 2, result.stdout + result.stderr
    assert payload["status"] == "error"
    error = payload["error"]
    assert "util.py cannot be imported: it needs toolz, which is not installed" in error
    assert "specloop's own interpreter" in error and ".venv/" in error
    assert "--python" in error
    assert (project / "util.py").read_text() == before
    assert not scripted.requests, "no model call before the environment is known to work"


def test_a_configured_python_that_is_not_one_is_a_usage_error(
    tmp_path: Path, scripted: ScriptedLLM
) -> None:
    project = chunked_project(tmp_path / "project")
    payload, result = implement_util(project, tmp_path, scripted, "--python", "/nowhere/python")
    assert result.returncode == 2
    assert "The Python interpreter set for specloop (/nowhere/python) cannot be used" in (
        payload.get("error", "") + result.stderr
    )


def other_python() -> str:
    """An installed CPython of another minor version than the one running specloop."""
    versions = Path.home() / ".pyenv" / "versions"
    mine = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = sorted(
        (path / "bin" / "python")
        for path in versions.glob("3.1[0-9]*")
        if not path.name.startswith(mine) and (path / "bin" / "python").exists()
    )
    assert found, f"this test needs another CPython 3.1x than {mine} installed under {versions}"
    return str(found[-1])


def test_a_project_on_another_python_version_is_checked_with_that_python(
    tmp_path: Path, scripted: ScriptedLLM
) -> None:
    python = other_python()
    project = chunked_project(tmp_path / "project")
    make_environment(project / ".venv", TOOLZ, python=python)
    expected = find_environment(project, None, {})
    assert expected.version[:2] != sys.version_info[:2]
    assert not expected.has_pytest, "the environment has no pytest: specloop lends its own"
    scripted.responder = chunked_script()

    payload, result = implement_util(project, tmp_path, scripted)

    assert payload["status"] == "validated", result.stdout + result.stderr
    assert payload["environment"]["version"].startswith(expected.short_version)
    assert "specloop's pytest, lent for the run" in payload["environment"]["description"]
    assert not list((project / ".venv").rglob("_pytest")), "nothing installed into it"
    assert base_python() != python


def test_a_django_project_validates_with_its_pytest_django_setup(
    tmp_path: Path, scripted: ScriptedLLM
) -> None:
    project = django_project(tmp_path / "project")
    make_environment(project / ".venv", *DJANGO_PACKAGES)
    scripted.responder = django_script()

    payload, result = run_implement(
        project,
        tmp_path / "runs",
        scripted,
        "--apply",
        file="newsroom/text.py",
        line=DJANGO_LINE,
        env=WITHOUT_VIRTUAL_ENV,
    )

    assert payload["status"] == "validated", result.stdout + result.stderr
    checks = {check["name"]: check for check in payload["checks"]}
    assert checks["spec examples"]["passed"], "the doctest needs Django's settings"
    assert checks["tests"]["passed"], "the existing test needs pytest-django's settings fixture"
    assert "its own pytest" in payload["environment"]["description"]
    record = json.loads((tmp_path / "runs" / f"{payload['run_id']}.json").read_text())
    report = record["attempts"][0]["report"]
    [existing] = [check for check in report["checks"] if check["name"] == "tests"]
    assert existing["passed"] and not existing["evidence"], (
        "the test changes Django's settings for the code: it runs with the code in its own "
        "process, so it guards the change but is not counted as evidence"
    )
    assert "pass only with the new code in the test process itself" in existing["output"]
    assert [check["evidence"] for check in report["checks"] if check["name"] == "spec examples"]
    assert (
        "tests/test_async.py could not run before the change either: ModuleNotFoundError"
        in existing["output"]
    ), "a test file that fails to import before the change too is named and does not block"
    assert not any("test_text_lengths" in check["output"] for check in report["checks"]), (
        "test_text_lengths.py mentions 'text' but does not import newsroom.text: not a test of it"
    )
    assert DJANGO_CORRECT in (project / "newsroom" / "text.py").read_text()
