"""specloop's review in a real VS Code: the validated change in a diff editor, decided there.

With `specloop.review` at its default (`diff`), Implement's validated change opens as a
diff of the buffer and the proposal with the evidence at its top; nothing reaches the
file until Accept. Reject leaves it byte for byte. Of a change with two hunks (the body
and a docstring line), the hunk kept alone goes through the run's checks again: applied
as validated when it passes them, else only when asked for as an unvalidated edit.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import (
    AMBIGUOUS_MODULE,
    DOCSTRING_LINE,
    TODO_LINE,
    TWO_HUNKS,
    StageScript,
    candidate,
    passes_hidden_tests,
)
from tests.vscode.conftest import OpenVSCode
from tests.vscode.harness import Review, VSCode, server_command, wait_for_file
from tests.vscode.test_vscode_loop import (
    LOOP_TIMEOUT_S,
    QUESTION,
    assert_clean_log,
    loop_settings,
    start_implement,
)

BODY_LINE = 'raise ValueError("total must not be negative")'


def reviewing(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> tuple[VSCode, Review, str]:
    """Implement with the default review, the question answered: the open review, its evidence."""
    vscode = open_vscode(
        workspace,
        settings=loop_settings(scripted, tmp_path / "server.log"),
        env={"SPECLOOP_RUNS_DIR": str(tmp_path / "runs")},
    )
    start_implement(vscode)
    vscode.answer_notification(QUESTION, "raise ValueError", timeout_s=LOOP_TIMEOUT_S)
    review = Review(vscode)
    evidence = review.wait_open(timeout_s=LOOP_TIMEOUT_S)
    return vscode, review, evidence


def test_the_diff_shows_the_change_and_its_evidence_and_accept_applies_it(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    vscode, review, evidence = reviewing(open_vscode, workspace, scripted, tmp_path)
    assert "validated:" in evidence and "checks" in evidence, evidence
    assert "validated change to discount" in evidence, evidence
    assert BODY_LINE in review.proposal_text()
    # Nothing reached the buffer or the file while the review is open.
    assert vscode.page.locator(".bulk-edit-panel, .refactor-preview").count() == 0
    assert vscode.page.locator(".tabs-container .tab.dirty").count() == 0
    assert (workspace / "pricing.py").read_bytes() == AMBIGUOUS_MODULE.encode()

    review.decide("Accept Change")
    review.wait_closed()
    vscode.notification("specloop applied its change to `discount`")
    vscode.open_file("pricing.py")
    assert BODY_LINE in vscode.editor_text()
    vscode.save()
    saved = wait_for_file(workspace / "pricing.py", lambda text: BODY_LINE in text, "the change")
    assert passes_hidden_tests(workspace.parent / "judge", saved).returncode == 0
    assert_clean_log(tmp_path / "server.log")


def test_reject_leaves_the_file_byte_for_byte_and_the_server_says_so(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    vscode, review, _ = reviewing(open_vscode, workspace, scripted, tmp_path)
    review.decide("Reject Change")
    review.wait_closed()
    vscode.notification("you rejected it in the review")
    vscode.open_file("pricing.py")
    assert "# TODO: handle errors" in vscode.editor_text()
    assert vscode.page.locator(".tabs-container .tab.dirty").count() == 0, "an edit was applied"
    assert (workspace / "pricing.py").read_bytes() == AMBIGUOUS_MODULE.encode()
    assert_clean_log(tmp_path / "server.log")


def test_closing_the_review_undecided_rejects_the_change(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    vscode, review, _ = reviewing(open_vscode, workspace, scripted, tmp_path)
    review.close()
    review.wait_closed()
    # The server's request is answered (the run ends), not left waiting for a review.
    vscode.notification("you closed its review")
    vscode.wait_until(
        lambda: vscode.page.locator(".statusbar-item", has_text="implementing").count() == 0,
        "the run's status bar item to go",
    )
    assert vscode.page.locator(".tabs-container .tab.dirty").count() == 0, "an edit was applied"
    assert (workspace / "pricing.py").read_bytes() == AMBIGUOUS_MODULE.encode()


def test_the_hunk_kept_of_two_is_applied_as_validated_when_it_passes_the_checks_alone(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(TWO_HUNKS)] * 3)
    vscode, review, evidence = reviewing(open_vscode, workspace, scripted, tmp_path)
    assert "hunk by hunk" in evidence, evidence
    shown = review.proposal_text()
    assert DOCSTRING_LINE.strip() in shown and BODY_LINE in shown, shown

    review.decide_hunk("Hunk 1 of 2", "Reject hunk")
    vscode.wait_until(
        lambda: DOCSTRING_LINE.strip() not in review.proposal_text(),
        "the rejected hunk to leave the proposal",
    )
    review.decide_hunk("Hunk 2 of 2", "Accept hunk")
    # The server ran the run's checks on the body alone: it passed them, so it is applied.
    told = vscode.notification("the part of its change to `discount` that you kept")
    assert "validated: " in told.inner_text(), told.inner_text()
    review.wait_closed()
    vscode.open_file("pricing.py")
    vscode.wait_until(lambda: BODY_LINE in vscode.editor_text(), "the kept hunk in the buffer")
    text = vscode.editor_text()
    assert DOCSTRING_LINE.strip() not in text, text
    assert (workspace / "pricing.py").read_bytes() == AMBIGUOUS_MODULE.encode(), "saved unasked"
    assert_clean_log(tmp_path / "server.log")


def test_a_kept_hunk_that_fails_the_checks_alone_is_applied_only_when_asked_unvalidated(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(TWO_HUNKS)] * 3)
    vscode, review, _ = reviewing(open_vscode, workspace, scripted, tmp_path)

    def keep_only_the_docstring_line() -> None:
        review.decide_hunk("Hunk 2 of 2", "Reject hunk")
        vscode.wait_until(
            lambda: BODY_LINE not in review.proposal_text(),
            "the rejected hunk to leave the proposal",
        )
        review.decide_hunk("Hunk 1 of 2", "Accept hunk")

    keep_only_the_docstring_line()
    # Back to review: every hunk is offered again, nothing applied.
    vscode.answer_dialog("not validated", "Back to review")
    vscode.wait_until(
        lambda: BODY_LINE in review.proposal_text() and review.threads().count() == 3,
        "both hunks offered again",
    )
    assert vscode.page.locator(".tabs-container .tab.dirty").count() == 0
    keep_only_the_docstring_line()
    # The docstring line alone leaves `...` as the body: the spec's example fails.
    told = vscode.answer_dialog("not validated", "Apply anyway (not validated)")
    assert "1 of 2 hunks you kept did not pass" in told and "spec examples FAILED" in told, told
    review.wait_closed()
    vscode.notification("which did not validate on their own")
    vscode.open_file("pricing.py")
    vscode.wait_until(
        lambda: DOCSTRING_LINE.strip() in vscode.editor_text(), "the kept hunk in the buffer"
    )
    text = vscode.editor_text()
    assert BODY_LINE not in text and "# TODO: handle errors" in text, text
    assert (workspace / "pricing.py").read_bytes() == AMBIGUOUS_MODULE.encode(), "saved unasked"
    assert_clean_log(tmp_path / "server.log")


def test_a_clarified_todo_is_no_change_to_review_and_lands_in_the_buffer_at_once(
    open_vscode: OpenVSCode, workspace: Path, tmp_path: Path
) -> None:
    """The review takes only changes that ask for confirmation: the extension applies any
    other edit (here Clarify's, whose words the user just chose) as the client library did."""
    vscode = open_vscode(
        workspace, settings={"specloop.serverCommand": server_command(tmp_path / "server.log")}
    )
    vscode.open_file("pricing.py")
    vscode.problems(expect="handle errors")
    vscode.go_to_line(TODO_LINE, 7)
    vscode.choose_quick_fix("Clarify this TODO")
    vscode.answer_notification("Which errors", "raise ValueError when `total` is negative")
    clarified = "# TODO: handle errors: raise ValueError when `total` is negative."
    vscode.wait_until(lambda: clarified in vscode.editor_text(), "the clarified TODO in the buffer")
    assert vscode.page.locator(".tabs-container .tab", has_text=Review.TAB).count() == 0
    assert vscode.page.locator(".bulk-edit-panel, .refactor-preview").count() == 0
    assert_clean_log(tmp_path / "server.log")
