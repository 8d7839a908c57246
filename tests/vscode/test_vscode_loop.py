"""The loop in a real VS Code: Implement from Quick Fix against the scripted model server.

The scripted OpenAI-compatible server (tests/support/scripted_llm.py) answers each stage
(tests/support/stage_script.py); the user answers the question in VS Code's notification
and reviews the edit in the Refactor Preview (`specloop.review`: refactorPreview), as a user
would. The default review, a diff editor, is tested in test_vscode_review.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from specloop.lsp.protocol import LATE_ANSWER_MESSAGE
from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import (
    AMBIGUOUS_MODULE,
    TODO_LINE,
    WRONG,
    StageScript,
    candidate,
    passes_hidden_tests,
    schema_name,
)
from tests.vscode.conftest import OpenVSCode
from tests.vscode.harness import VSCode, server_command, wait_for_file

LOOP_TIMEOUT_S = 90.0
QUESTION = "What should happen for a negative total?"
IMPLEMENT = "Implement `discount` with specloop"


def loop_settings(scripted: ScriptedLLM, log_file: Path, **more: Any) -> dict[str, Any]:
    return {
        "specloop.serverCommand": server_command(log_file),
        "specloop.model": "openai/scripted",
        "specloop.apiBase": scripted.base_url,
        **more,
    }


def start_implement(vscode: VSCode) -> None:
    """Open pricing.py, see its diagnostic, and choose Implement from Quick Fix on the TODO."""
    vscode.open_file("pricing.py")
    vscode.problems(expect="handle errors")
    vscode.go_to_line(TODO_LINE, 7)
    vscode.choose_quick_fix(IMPLEMENT)


def open_and_implement(
    open_vscode: OpenVSCode,
    workspace: Path,
    scripted: ScriptedLLM,
    tmp_path: Path,
    **settings: Any,
) -> VSCode:
    """VS Code on the task's project with the scripted model, Implement chosen from Quick Fix.

    The server logs to ``tmp_path/server.log`` and keeps its run records in ``tmp_path/runs``;
    ``settings`` add to the loop's user settings.
    """
    vscode = open_vscode(
        workspace,
        settings=loop_settings(scripted, tmp_path / "server.log", **settings),
        env={"SPECLOOP_RUNS_DIR": str(tmp_path / "runs")},
    )
    start_implement(vscode)
    return vscode


def wait_for_records(runs: Path) -> list[Path]:
    """The run records in ``runs`` once there is one (a run saves its record as it ends)."""
    deadline = time.monotonic() + 30
    while not (records := sorted(runs.glob("*.json"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    return records


def assert_clean_log(log_file: Path) -> None:
    logged = log_file.read_text() if log_file.exists() else ""
    assert "Traceback" not in logged, logged[-3000:]


def test_implement_asks_in_a_notification_and_applies_through_the_refactor_preview(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    # The Refactor Preview is the review only when chosen (the default is specloop's diff).
    review = {"specloop.review": "refactorPreview"}
    vscode = open_and_implement(open_vscode, workspace, scripted, tmp_path, **review)
    log_file = tmp_path / "server.log"

    # While the loop waits for the answer, the status bar shows the run and its stage.
    vscode.notification(QUESTION, timeout_s=LOOP_TIMEOUT_S)
    vscode.expect_visible(
        vscode.page.locator(".statusbar-item", has_text="implementing `discount` — clarify"),
        "the run's status bar item",
    )
    asked = vscode.answer_notification(QUESTION, "raise ValueError", timeout_s=LOOP_TIMEOUT_S)
    assert "negative total" in asked

    preview = vscode.apply_refactor_preview(timeout_s=LOOP_TIMEOUT_S)
    assert "pricing.py" in preview, preview
    shown = vscode.editor_text()
    assert "raise ValueError" in shown and "# TODO: handle errors" not in shown, shown
    assert (workspace / "pricing.py").read_text() == AMBIGUOUS_MODULE, "applied but not saved"

    vscode.save()
    saved = wait_for_file(
        workspace / "pricing.py", lambda text: "raise ValueError" in text, "the applied edit"
    )
    judged = passes_hidden_tests(workspace.parent / "judge", saved)
    assert judged.returncode == 0, judged.stdout + judged.stderr
    stages = [schema_name(request.body) for request in scripted.requests]
    assert stages[0] == "Clarification" and "Candidate" in stages, stages
    vscode.wait_until(
        lambda: vscode.page.locator(".statusbar-item", has_text="implementing").count() == 0,
        "the run's status bar item to go once the run ended",
    )

    # "Show Last Run": the run record as a Markdown preview.
    [record] = (tmp_path / "runs").glob("*.json")
    vscode.run_command("specloop: Show Last Run")
    vscode.expect_visible(
        vscode.page.locator(".tabs-container .tab", has_text=f"Preview {record.stem}.md"),
        "the last run's report as a Markdown preview",
    )
    assert_clean_log(log_file)


def test_code_that_never_validates_offers_no_edit_and_opens_a_readable_report(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(WRONG)] * 3)
    vscode = open_and_implement(open_vscode, workspace, scripted, tmp_path)
    log_file = tmp_path / "server.log"
    runs = tmp_path / "runs"
    vscode.answer_notification(QUESTION, "raise ValueError", timeout_s=LOOP_TIMEOUT_S)

    report = vscode.visible_editor_containing("# specloop run", timeout_s=LOOP_TIMEOUT_S)
    assert "Not validated" in report, report
    assert "spec examples FAILED" in report, report
    vscode.notification("could not validate")

    assert vscode.page.locator(".bulk-edit-panel, .refactor-preview").count() == 0
    generated = [r for r in scripted.requests if schema_name(r.body) == "Candidate"]
    assert len(generated) == 3
    vscode.open_file("pricing.py")
    assert "# TODO: handle errors" in vscode.editor_text()
    assert vscode.page.locator(".tabs-container .tab.dirty").count() == 0, "an edit was applied"
    assert (workspace / "pricing.py").read_text() == AMBIGUOUS_MODULE
    assert list(runs.glob("*.json")), "the run left no record"
    assert_clean_log(log_file)


def test_clicking_the_runs_status_bar_item_cancels_it_and_nothing_changes(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    vscode = open_and_implement(open_vscode, workspace, scripted, tmp_path)
    log_file = tmp_path / "server.log"
    vscode.notification(QUESTION, timeout_s=LOOP_TIMEOUT_S)
    item = vscode.expect_visible(
        vscode.page.locator(".statusbar-item", has_text="implementing `discount`"),
        "the run's status bar item",
    )
    item.click()
    vscode.wait_until(
        lambda: vscode.page.locator(".statusbar-item", has_text="implementing").count() == 0,
        "the run's status bar item to go",
    )
    vscode.notification("specloop cancelled the run on `discount`; nothing was changed.")
    vscode.snap("cancelled")
    # VS Code cannot take the question off the screen: answering it now is told so.
    vscode.answer_notification(QUESTION, "raise ValueError")
    vscode.notification(LATE_ANSWER_MESSAGE)
    [record] = wait_for_records(tmp_path / "runs")
    assert json.loads(record.read_text())["status"] == "cancelled"
    assert not any(schema_name(r.body) == "Candidate" for r in scripted.requests)
    assert "# TODO: handle errors" in vscode.editor_text()
    assert (workspace / "pricing.py").read_text() == AMBIGUOUS_MODULE
    assert_clean_log(log_file)
