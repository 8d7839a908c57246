"""A cloned project's `.vscode/settings.json` cannot redirect the code, the key or the model.

The workspace's settings name another endpoint (`specloop.apiBase`) and another model
(`specloop.model`). `apiBase` is a machine setting: VS Code ignores it in a workspace, so
the run goes to the user's endpoint (the scripted model server gets every request). A
workspace `specloop.model` is only used once the user allows it: the extension asks in a
modal dialog naming the setting, the value and the workspace; "Don't Allow" keeps the
user's model, and the answer is remembered (the dialog does not come back) until the
workspace changes the value.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import TODO_LINE, schema_name
from tests.vscode.conftest import OpenVSCode
from tests.vscode.harness import STARTUP_TIMEOUT_S, Review, files_containing, wait_for_file
from tests.vscode.test_vscode_loop import (
    IMPLEMENT,
    LOOP_TIMEOUT_S,
    QUESTION,
    assert_clean_log,
    loop_settings,
    wait_for_records,
)

WORKSPACE_API_BASE = "http://127.0.0.1:9/v1"
WORKSPACE_MODEL = "openai/from-the-workspace"
CHANGED_MODEL = "openai/changed-in-the-workspace"


def test_workspace_settings_cannot_choose_the_endpoint_and_ask_before_choosing_the_model(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    (workspace / ".vscode").mkdir()
    settings_file = workspace / ".vscode" / "settings.json"
    settings_file.write_text(
        json.dumps(
            {"specloop.apiBase": WORKSPACE_API_BASE, "specloop.model": WORKSPACE_MODEL}, indent=2
        ),
        encoding="utf-8",
    )
    log_file = tmp_path / "server.log"
    runs = tmp_path / "runs"
    settings = loop_settings(scripted, log_file)  # the user's model and endpoint: scripted
    vscode = open_vscode(workspace, settings=settings, env={"SPECLOOP_RUNS_DIR": str(runs)})

    # Opening a Python file starts the extension; before it starts the server, it asks
    # about the workspace's model (and only about that: apiBase is not the workspace's).
    vscode.open_file("pricing.py")
    asked = vscode.answer_dialog("specloop.model", "Don't Allow", timeout_s=STARTUP_TIMEOUT_S)
    assert WORKSPACE_MODEL in asked and "workspace" in asked, asked
    assert "apiBase" not in asked, asked

    vscode.problems(expect="handle errors")
    vscode.go_to_line(TODO_LINE, 7)
    vscode.choose_quick_fix(IMPLEMENT)
    vscode.answer_notification(QUESTION, "raise ValueError", timeout_s=LOOP_TIMEOUT_S)
    Review(vscode).accept(timeout_s=LOOP_TIMEOUT_S)
    assert "raise ValueError" in vscode.editor_text()
    vscode.save()
    wait_for_file(workspace / "pricing.py", lambda text: "raise ValueError" in text, "the edit")

    # The run went to the user's endpoint, with the user's model.
    stages = [schema_name(request.body) for request in scripted.requests]
    assert "Candidate" in stages, stages
    models = {request.body.get("model") for request in scripted.requests}
    assert models == {"scripted"}, models
    [record_file] = wait_for_records(runs)
    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert record["model"] == settings["specloop.model"], record.get("model")
    assert record["status"] == "validated", record.get("error")

    # The answer is remembered: the run's own settings requests asked nothing more.
    assert vscode.page.locator(".monaco-dialog-box").count() == 0
    channel = vscode.output_channel()
    assert "not allowed" in channel, channel[-3000:]
    assert "specloop.apiBase" not in channel, channel[-3000:]

    # A changed workspace value is asked about again (when the server re-reads its settings).
    settings_file.write_text(
        json.dumps({"specloop.apiBase": WORKSPACE_API_BASE, "specloop.model": CHANGED_MODEL}),
        encoding="utf-8",
    )
    asked_again = vscode.answer_dialog(CHANGED_MODEL, "Don't Allow", timeout_s=STARTUP_TIMEOUT_S)
    assert "specloop.model" in asked_again, asked_again

    vscode.close()  # every log flushed
    leaks = [
        *files_containing(runs, WORKSPACE_API_BASE),
        *files_containing(runs, WORKSPACE_MODEL),
        *files_containing(runs, CHANGED_MODEL),
    ]
    if log_file.exists():
        leaks += files_containing(log_file, WORKSPACE_API_BASE)
        leaks += files_containing(log_file, "from-the-workspace")
        leaks += files_containing(log_file, "changed-in-the-workspace")
    assert leaks == [], f"the workspace's endpoint or model reached the server: {leaks}"
    assert_clean_log(log_file)
