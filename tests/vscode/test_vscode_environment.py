"""The loop in a real VS Code on a project with a dependency, checked with the project's Python.

The project (tests/support/projects.py) imports toolz, which only its own virtual
environment has: built with uv from the registry, in a folder the server would not find by
itself (not `.venv` or `venv`). The workspace folder's `.vscode/settings.json` names that
environment's interpreter in `specloop.python`; the server asks VS Code for the file's
resource-scoped settings when the run starts, and every check must run with that Python.
A workspace value of `specloop.python` is used only once the user allows it: the
extension asks first (see test_vscode_workspace_trust.py), and the test allows it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.projects import (
    CHUNKED_CORRECT,
    CHUNKED_LINE,
    TOOLZ,
    chunked_project,
    chunked_script,
    make_environment,
)
from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import schema_name
from tests.vscode.conftest import OpenVSCode
from tests.vscode.harness import STARTUP_TIMEOUT_S, Review, wait_for_file
from tests.vscode.test_vscode_loop import (
    LOOP_TIMEOUT_S,
    assert_clean_log,
    loop_settings,
    wait_for_records,
)

IMPLEMENT = "Implement `chunked` with specloop"


def test_the_folders_specloop_python_runs_the_checks_and_the_record_names_it(
    open_vscode: OpenVSCode, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    project = chunked_project(tmp_path / "project")
    python = make_environment(tmp_path / "envs" / "projenv", TOOLZ)
    (project / ".vscode").mkdir()
    (project / ".vscode" / "settings.json").write_text(
        json.dumps({"specloop.python": str(python)}, indent=2), encoding="utf-8"
    )
    scripted.responder = chunked_script()
    log_file = tmp_path / "server.log"
    runs = tmp_path / "runs"
    # The setting lives in the folder's settings only: the user settings do not name it.
    vscode = open_vscode(
        project,
        settings=loop_settings(scripted, log_file),
        env={"SPECLOOP_RUNS_DIR": str(runs), "VIRTUAL_ENV": None},
    )

    vscode.open_file("util.py")
    asked = vscode.answer_dialog("specloop.python", "Allow", timeout_s=STARTUP_TIMEOUT_S)
    assert str(python) in asked, asked
    vscode.go_to_line(CHUNKED_LINE, 7)
    vscode.choose_quick_fix(IMPLEMENT)
    evidence = Review(vscode).accept(timeout_s=LOOP_TIMEOUT_S)
    assert "validated: " in evidence, evidence
    shown = vscode.editor_text()
    assert "partition_all(size, items)" in shown, shown
    vscode.notification("specloop applied its change to `chunked`", timeout_s=LOOP_TIMEOUT_S)

    vscode.save()
    saved = wait_for_file(
        project / "util.py", lambda text: "partition_all(size, items)" in text, "the applied edit"
    )
    assert saved.startswith("from toolz import partition_all") and CHUNKED_CORRECT in saved, saved
    stages = [schema_name(request.body) for request in scripted.requests]
    assert "Candidate" in stages, stages

    [record_file] = wait_for_records(runs)
    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert record["status"] == "validated", record.get("error")
    assert record["applied"] is True, record.get("not_applied_reason")
    environment = record["environment"]
    assert environment["python"] == str(python), environment
    assert environment["source"] == "the setting python", environment
    assert environment["description"].startswith(f"checks ran with {python} (3."), environment
    checks = {check["name"]: check for check in record["final_report"]["checks"]}
    assert checks["spec examples"]["passed"] and checks["tests"]["passed"], checks
    assert_clean_log(log_file)
