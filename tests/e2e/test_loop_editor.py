"""The loop in the editor, end to end over stdio: code actions, questions, progress, edits.

The real server runs as a subprocess with the recorded capabilities of VS Code and
Neovim 0.7; the model is the scripted OpenAI-compatible server, reached through
litellm. `Editor` (tests/support/editor.py) plays the editor: it answers message
requests, applies `workspace/applyEdit` and reports the change back with didChange.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from specloop.lsp.protocol import LATE_ANSWER_MESSAGE
from tests.support.editor import Editor, first_option, published, record_published
from tests.support.processes import processes_under, processes_with
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.stage_script import (
    AMBIGUOUS_MODULE,
    CORRECT,
    DOCSTRING_LINE,
    MODULE,
    SLOW,
    TODO_LINE,
    TWO_HUNKS,
    WRONG,
    StageScript,
    candidate,
    passes_hidden_tests,
    schema_name,
)

VSCODE, NEOVIM_07 = "visual-studio-code", "neovim@v0.7.0"


@pytest.fixture
def project(project: Path) -> Path:
    """The task's project with an ambiguous TODO: the loop asks a question first."""
    (project / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    return project


@pytest.fixture
def sandbox_tmp() -> Iterator[Path]:
    """The server's TMPDIR: every sandbox and temporary file it makes lands here.

    Under /tmp, not pytest's 0700 tmp_path: the sandbox's unprivileged user must be able
    to reach its folder.
    """
    path = Path(tempfile.mkdtemp(prefix="specloop-e2e-tmp-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture
async def client(tmp_path: Path, sandbox_tmp: Path) -> AsyncIterator[LanguageClient]:
    """The server, logging to a file: no test may leave an error in its log."""
    env = {**os.environ, "SPECLOOP_RUNS_DIR": str(tmp_path / "runs"), "TMPDIR": str(sandbox_tmp)}
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "specloop", "serve", "--log-file", str(log)]
    client = await ClientServerConfig(server_command=command, server_env=env).start()
    record_published(client)
    yield client
    await client.shutdown_session()
    await client.stop()
    logged = log.read_text() if log.exists() else ""
    assert "Traceback" not in logged, logged[-3000:]


def settings(scripted: ScriptedLLM, **more: Any) -> dict[str, Any]:
    return {
        "model": "openai/scripted",
        "apiBase": scripted.base_url,
        "checkTimeout": 10,
        "timeout": 30,
        **more,
    }


async def start(
    client: LanguageClient, profile: str, project: Path, scripted: ScriptedLLM, **options: Any
) -> Editor:
    extra = options.pop("settings", {})
    return await Editor.start(
        client, client_capabilities(profile), project, settings(scripted, **extra), **options
    )


def implement_action(actions: list[types.CodeAction]) -> types.CodeAction:
    [action] = [a for a in actions if a.title.startswith("Implement")]
    return action


@pytest.mark.parametrize("profile", [VSCODE, NEOVIM_07])
async def test_implement_asks_reports_progress_and_applies_a_validated_reviewable_edit(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, profile: str
) -> None:
    editor = await start(client, profile, project, scripted)
    uri = editor.open(project / "pricing.py")
    actions = await editor.code_actions(uri, TODO_LINE - 1)
    titles = [action.title for action in actions]
    assert titles == [
        "Clarify this TODO",
        "Implement `discount` with specloop",
        "Ignore this TODO (# specloop: ignore)",
    ]
    assert implement_action(actions).kind == types.CodeActionKind.RefactorRewrite

    result = await editor.execute(implement_action(actions))

    assert result["status"] == "validated", client.messages
    assert result["applied"] is True
    # The question came as a message request whose buttons are the options.
    [question] = [r for r in editor.requests if "negative total" in r.message]
    assert [action.title for action in question.actions or []] == ["raise ValueError", "return 0"]
    # One edit, for the version the run started from.
    [applied] = editor.edits
    if profile == VSCODE:
        [change] = applied.edit.document_changes or []
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.version == 1
        annotation = (applied.edit.change_annotations or {})["specloop"]
        assert annotation.needs_confirmation is True
        assert "validated" in annotation.label
        for check in ("syntax", "ruff", "1 spec example", "1 existing test", "spec test"):
            assert check in (annotation.description or ""), annotation.description
        assert all(isinstance(edit, types.AnnotatedTextEdit) for edit in change.edits)
    else:
        # Neovim 0.7 ignores annotations: the diff was shown and Apply asked for first.
        [review] = [r for r in editor.requests if "Apply it?" in r.message]
        assert "+    if total < 0:" in review.message
        assert [a.title for a in review.actions or []] == ["Apply", "Discard"]
        assert applied.edit.changes is not None and applied.edit.document_changes is None
    # Progress: a server-created token, stages reported, then the end.
    [reports] = client.progress_reports.values()
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    messages = [r.message or "" for r in reports[1:-1]]
    for stage in ("[clarify]", "[plan]", "[generate] attempt 1:", "[validate] attempt 1:"):
        assert any(message.startswith(stage) for message in messages), messages
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    # The edited buffer passes the task's hidden tests.
    judged = passes_hidden_tests(project.parent / "judge", editor.text(uri))
    assert judged.returncode == 0, judged.stdout + judged.stderr
    assert (project / "pricing.py").read_text() == AMBIGUOUS_MODULE, "the disk is the editor's"


async def test_a_wrong_first_candidate_is_fed_back_and_the_right_one_is_applied(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(WRONG)])
    editor = await start(client, VSCODE, project, scripted)
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 2)))
    assert result["status"] == "validated"
    generate = [r for r in scripted.requests if schema_name(r.body) == "Candidate"]
    assert len(generate) == 4, "the wrong one, then three samples to compare"
    for after in generate[1:]:  # written side by side, each told what was wrong
        assert "spec examples failed" in after.messages[-1]["content"]
    assert passes_hidden_tests(project.parent / "judge", editor.text(uri)).returncode == 0


async def test_only_wrong_candidates_send_no_edit_and_say_which_check_failed(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(WRONG)] * 3)
    editor = await start(client, VSCODE, project, scripted)
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 2)))
    assert result["status"] == "unvalidated"
    assert editor.edits == []
    assert editor.text(uri) == AMBIGUOUS_MODULE
    [told] = [m for m in client.messages if "could not validate" in m.message]
    assert "spec examples failed after 3 attempt(s)" in told.message
    # The readable report, not JSON, was opened.
    [shown] = client.shown_documents
    report = Path(shown.uri.removeprefix("file://")).read_text()  # noqa: ASYNC240
    assert report.startswith(f"# specloop run {result['runId']}")
    assert "Not validated" in report and "What spec examples said" in report
    assert (tmp_path / "runs" / f"{result['runId']}.json").is_file()


async def test_the_unsaved_buffers_are_what_the_loop_works_on_and_validates(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    editor = await start(client, VSCODE, project, scripted)
    uri = editor.open(project / "pricing.py")
    # Unsaved: a constant above the target and a test that uses it, never written to disk.
    editor.type(uri, 0, "HELPER = 1\n\n\n")
    test_uri = editor.open(project / "tests" / "test_pricing.py")
    editor.type(
        test_uri,
        0,
        "from pricing import HELPER\n\n\ndef test_helper():\n    assert HELPER == 1\n\n\n",
    )
    result = await editor.execute(implement_action(await editor.code_actions(uri, TODO_LINE + 2)))
    assert result["status"] == "validated", client.messages
    annotation = (editor.edits[0].edit.change_annotations or {})["specloop"]
    # Both tests of the unsaved test file ran, against the unsaved module.
    assert "2 existing tests" in (annotation.description or ""), annotation.description
    assert "HELPER" not in (project / "pricing.py").read_text()
    assert editor.text(uri).startswith("HELPER = 1\n")
    assert passes_hidden_tests(project.parent / "judge", editor.text(uri)).returncode == 0


async def test_typing_elsewhere_while_the_loop_runs_rebases_the_edit(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    slow_plan = Reply.hang(2.0, then=StageScript().defaults["Plan"])
    scripted.responder = StageScript(Plan=[slow_plan])
    editor = await start(client, VSCODE, project, scripted)
    uri = editor.open(project / "pricing.py")
    running = asyncio.create_task(
        editor.execute(implement_action(await editor.code_actions(uri, 2)))
    )
    await asyncio.sleep(1.0)
    editor.type(uri, 0, "# typed while specloop worked\n")
    result = await running
    assert result["applied"] is True, client.messages
    text = editor.text(uri)
    assert text.startswith("# typed while specloop worked\ndef discount")
    assert passes_hidden_tests(project.parent / "judge", text).returncode == 0
    [change] = editor.edits[0].edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 2


async def test_typing_inside_the_target_while_the_loop_runs_refuses_the_edit(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    slow_plan = Reply.hang(2.0, then=StageScript().defaults["Plan"])
    scripted.responder = StageScript(Plan=[slow_plan])
    editor = await start(client, VSCODE, project, scripted, answer=lambda params: None)
    uri = editor.open(project / "pricing.py")
    running = asyncio.create_task(
        editor.execute(implement_action(await editor.code_actions(uri, 2)))
    )
    await asyncio.sleep(1.0)
    editor.type(uri, TODO_LINE, "    # my own work in progress\n")
    result = await running
    assert result["status"] == "validated" and result["applied"] is False
    assert editor.edits == []
    assert "# my own work in progress" in editor.text(uri)
    for _ in range(50):
        if any("Run it again" in r.message for r in editor.requests):
            break
        await asyncio.sleep(0.1)
    [offer] = [r for r in editor.requests if "Run it again" in r.message]
    assert "You edited `discount` while specloop worked on it" in offer.message


async def test_part_of_an_offered_change_counts_as_validated_only_if_it_passes_the_checks_alone(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    """specloop's VS Code review keeps some hunks: `specloop.checkPart` runs the run's checks
    on that part while the change is offered; the part applied then is reported as such."""
    scripted.responder = StageScript(Candidate=[candidate(TWO_HUNKS)] * 3)
    checked: dict[str, Any] = {}

    async def keep_the_body(
        params: types.ApplyWorkspaceEditParams,
    ) -> types.ApplyWorkspaceEditResult:
        [change] = params.edit.document_changes or []
        assert isinstance(change, types.TextDocumentEdit) and len(change.edits) == 2
        docstring_only = AMBIGUOUS_MODULE.replace(
            "unchanged.\n\n", f"unchanged.\n\n{DOCSTRING_LINE}\n\n"
        )
        for name, text in (("docstring", docstring_only), ("body", CORRECT)):
            part = {"uri": uri, "version": change.text_document.version, "text": text}
            checked[name] = await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="specloop.checkPart", arguments=[part])
            )
        body = change.edits[1]
        start, end = body.range.start, body.range.end
        editor.replace(uri, (start.line, start.character), (end.line, end.character), body.new_text)
        return types.ApplyWorkspaceEditResult(applied=True)

    editor = await start(client, VSCODE, project, scripted, review=keep_the_body)
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 2)))

    assert checked["docstring"]["validated"] is False, checked
    assert "spec examples FAILED" in checked["docstring"]["evidence"], checked
    assert checked["body"]["validated"] is True, checked
    assert checked["body"]["evidence"].startswith("validated: "), checked
    assert result["status"] == "validated" and result["applied"] is True
    assert editor.text(uri) == CORRECT
    [told] = [m for m in client.messages if "the part of its change" in m.message]
    assert told.message.endswith(f"{checked['body']['evidence']}."), told.message
    # Once the offer is over, nothing can be checked as part of it.
    part = {"uri": uri, "version": editor.documents[uri].version, "text": CORRECT}
    late = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="specloop.checkPart", arguments=[part])
    )
    assert late == {
        "validated": False,
        "evidence": "not validated: specloop is not offering a change of this file now",
    }


async def start_a_slow_validation(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> tuple[Editor, str, asyncio.Task[Any]]:
    """An Implement run whose candidate sleeps: returns once its sandbox is running it."""
    scripted.responder = StageScript(Candidate=[candidate(SLOW)])
    editor = await start(client, VSCODE, project, scripted, settings={"checkTimeout": 60})
    uri = editor.open(project / "pricing.py")
    action = implement_action(await editor.code_actions(uri, 2))
    running = asyncio.create_task(editor.execute(action))
    await validation_started(client)
    return editor, uri, running


async def validation_started(client: LanguageClient) -> None:
    """Wait until the run reports that its sandbox runs the spec's examples."""
    for _ in range(300):
        reports = next(iter(client.progress_reports.values()), [])
        if any("Checking spec examples" in (getattr(r, "message", "") or "") for r in reports):
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"validation never started: {client.progress_reports}")


def sandboxes_in(folder: Path) -> list[str]:
    """What a run left in ``folder`` besides the server's copies of the project, which it
    keeps for its next runs while it lives (`project_copy._Store`)."""
    return [name for name in os.listdir(folder) if "-store-" not in name]


async def test_cancelling_from_the_progress_stops_the_sandbox_and_applies_nothing(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, sandbox_tmp: Path
) -> None:
    editor, uri, running = await start_a_slow_validation(client, project, scripted)
    await asyncio.sleep(0.5)
    server_pid = client._server.pid  # type: ignore[union-attr]
    assert processes_under(server_pid), "the sandbox should be running now"
    [token] = client.progress_reports
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert (await running) == {"status": "cancelled"}
    assert editor.edits == []
    assert [m.message for m in client.messages if "cancelled" in m.message] == [
        "specloop cancelled the run on `discount`; nothing was changed."
    ]
    for _ in range(50):
        if not processes_under(server_pid) and not sandboxes_in(sandbox_tmp):
            break
        await asyncio.sleep(0.1)
    assert processes_under(server_pid) == []
    assert sandboxes_in(sandbox_tmp) == []
    assert editor.text(uri) == AMBIGUOUS_MODULE
    # The progress ends: a notification left spinning would say the run still works.
    assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)


async def test_an_answer_that_comes_after_the_run_was_cancelled_is_dropped_quietly(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    """The user cancels while the question is still on screen, then answers it."""
    editor = await start(client, VSCODE, project, scripted)
    asked, answer_now = asyncio.Event(), asyncio.Event()

    async def answer_late(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
        asked.set()
        await answer_now.wait()
        return types.MessageActionItem(title="raise ValueError")

    client.protocol.fm.features[types.WINDOW_SHOW_MESSAGE_REQUEST] = answer_late
    uri = editor.open(project / "pricing.py")
    running = asyncio.create_task(
        editor.execute(implement_action(await editor.code_actions(uri, 2)))
    )
    await asyncio.wait_for(asked.wait(), 60)
    [token] = client.progress_reports
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert (await running) == {"status": "cancelled"}
    answer_now.set()
    for _ in range(50):
        if any(m.message == LATE_ANSWER_MESSAGE for m in client.messages):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail(f"the late answer was not told its run is gone: {client.messages}")
    # The server goes on; the client fixture checks that nothing was logged as an error.
    assert implement_action(await editor.code_actions(uri, 2)).title.startswith("Implement")


async def test_a_second_run_on_the_same_symbol_is_refused_while_other_requests_are_answered(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    slow_plan = Reply.hang(3.0, then=StageScript().defaults["Plan"])
    scripted.responder = StageScript(Plan=[slow_plan])
    editor = await start(client, VSCODE, project, scripted)
    uri = editor.open(project / "pricing.py")
    action = implement_action(await editor.code_actions(uri, 2))
    first = asyncio.create_task(editor.execute(action))
    await asyncio.sleep(0.5)
    second = await editor.execute(action)
    assert second["status"] == "refused"
    assert "already working on `discount`" in second["reason"]
    started = asyncio.get_running_loop().time()
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols and asyncio.get_running_loop().time() - started < 1.0
    assert (await first)["status"] == "validated"


async def test_clarify_this_todo_needs_no_model_and_the_diagnostic_goes(
    client: LanguageClient, project: Path
) -> None:
    editor = await Editor.start(client, client_capabilities(VSCODE), project)
    uri = editor.open(project / "pricing.py")
    await published(client).next(within_s=10)
    assert [d.code for d in client.diagnostics[uri]] == ["ambiguous-todo"]
    actions = await editor.code_actions(uri, TODO_LINE - 1)
    clarify = next(a for a in actions if a.title == "Clarify this TODO")
    assert clarify.kind == types.CodeActionKind.QuickFix
    result = await editor.execute(clarify, within_s=30)
    assert result["status"] == "applied"
    [question] = editor.requests
    assert "Which errors" in question.message
    assert (
        question.actions
        and question.actions[0].title == "raise ValueError when `total` is negative"
    )
    assert "# TODO: handle errors: raise ValueError when `total` is negative." in editor.text(uri)
    assert (
        editor.text(uri).replace(
            "handle errors: raise ValueError when `total` is negative.", "handle errors"
        )
        == AMBIGUOUS_MODULE
    )
    for _ in range(50):
        await asyncio.sleep(0.1)
        if client.diagnostics.get(uri) == []:
            break
    assert list(client.diagnostics[uri]) == []


async def test_a_clear_spec_from_its_def_line_sees_the_todo_in_its_body(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    (project / "pricing.py").write_text(MODULE, encoding="utf-8")
    editor = await start(client, NEOVIM_07, project, scripted)
    uri = editor.open(project / "pricing.py")
    actions = await editor.code_actions(uri, 0)
    assert [a.title for a in actions] == ["Implement `discount` with specloop"]
    result = await editor.execute(actions[0])
    assert result["status"] == "validated"
    stages = [schema_name(r.body) for r in scripted.requests]
    assert "Clarification" not in stages and "GeneratedTests" in stages
    tests_prompt = next(r for r in scripted.requests if schema_name(r.body) == "GeneratedTests")
    assert "raise ValueError when total is negative" in tests_prompt.messages[-1]["content"]


async def test_a_dismissed_question_takes_its_assumption_and_the_review_says_so(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    def dismiss_questions(params: types.ShowMessageRequestParams) -> str | None:
        return None if "negative total" in params.message else first_option(params)

    editor = await start(client, VSCODE, project, scripted, answer=dismiss_questions)
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 2)))
    assert result["status"] == "validated"
    annotation = (editor.edits[0].edit.change_annotations or {})["specloop"]
    assert annotation.description is not None
    assert annotation.description.endswith(
        "assumed, not answered: What should happen for a negative total? → raise ValueError"
    )
    [applied] = [m for m in client.messages if "applied its change" in m.message]
    assert "assumed, not answered" in applied.message


async def test_with_no_assume_a_dismissed_question_stops_the_run_as_in_the_terminal(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    editor = await start(
        client, VSCODE, project, scripted, settings={"noAssume": True}, answer=lambda p: None
    )
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 2)))
    assert result["status"] == "needs_clarification"
    assert editor.edits == []
    assert [schema_name(r.body) for r in scripted.requests] == ["Clarification"]


SURCHARGE = '''

def surcharge(total: int) -> int:
    """Add 5 to totals under 10.

    >>> surcharge(3)
    8
    """
    ...
'''
SURCHARGE_DONE = '''\
def surcharge(total: int) -> int:
    """Add 5 to totals under 10.

    >>> surcharge(3)
    8
    """
    return total + 5 if total < 10 else total
'''

SURCHARGE_TESTS = (
    "from pricing import surcharge\n\n\ndef test_large():\n    assert surcharge(20) == 20\n"
)


async def test_loops_on_two_functions_run_side_by_side(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    (project / "pricing.py").write_text(MODULE + SURCHARGE, encoding="utf-8")
    script = StageScript()
    # Each plan request waits for the other: only runs that overlap get past this.
    both_planning = threading.Barrier(2, timeout=30)

    def by_target(body: dict[str, Any]) -> Reply:
        asked = body["messages"][-1]["content"]
        if schema_name(body) == "Plan":
            both_planning.wait()
        if schema_name(body) == "Candidate" and "definition of surcharge" in asked:
            return candidate(SURCHARGE_DONE)
        if schema_name(body) == "GeneratedTests" and "def surcharge" in asked:
            return Reply.json({"code": SURCHARGE_TESTS})
        return script(body)

    scripted.responder = by_target
    editor = await start(client, VSCODE, project, scripted, accept_edits=False)
    uri = editor.open(project / "pricing.py")
    surcharge_line = (MODULE + SURCHARGE).splitlines().index("def surcharge(total: int) -> int:")
    first = implement_action(await editor.code_actions(uri, 0))
    second = implement_action(await editor.code_actions(uri, surcharge_line))
    results = await asyncio.gather(editor.execute(first), editor.execute(second))
    assert [r["status"] for r in results] == ["validated", "validated"], client.messages
    labels = {e.edit.change_annotations["specloop"].label for e in editor.edits}  # type: ignore[index]
    assert labels == {
        "specloop: validated change to `discount`",
        "specloop: validated change to `surcharge`",
    }


async def test_sigterm_to_the_server_stops_its_loops_saves_their_records_and_leaves_nothing(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, sandbox_tmp: Path, tmp_path: Path
) -> None:
    _, _, running = await start_a_slow_validation(client, project, scripted)
    server = client._server  # type: ignore[attr-defined]
    await asyncio.sleep(0.5)
    assert processes_under(server.pid)
    server.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(server.wait(), 15) == 128 + signal.SIGTERM
    running.cancel()
    for _ in range(50):
        if not os.listdir(sandbox_tmp):
            break
        await asyncio.sleep(0.1)
    assert os.listdir(sandbox_tmp) == []
    assert escapes_left(str(sandbox_tmp)) == []
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert [record["status"] for record in records] == ["cancelled"]
    client.error = RuntimeError("the server was stopped on purpose")  # no shutdown to send


def escapes_left(needle: str) -> list[int]:
    return processes_with(needle.encode())


async def test_review_plan_opens_the_plan_as_a_document_before_asking_to_generate(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    editor = await start(client, VSCODE, project, scripted, settings={"reviewPlan": True})
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 2)))
    assert result["status"] == "validated", client.messages
    # The whole plan is a readable document; the message only asks.
    plan_documents = [d for d in client.shown_documents if "/plan-" in d.uri]
    [shown] = plan_documents
    plan = Path(shown.uri.removeprefix("file://")).read_text()  # noqa: ASYNC240
    assert plan.startswith("# specloop plans this change to `discount`\n\n1. ")
    [ask] = [r for r in editor.requests if "Generate code?" in r.message]
    assert "is open beside your code" in ask.message
    assert [a.title for a in ask.actions or []] == ["Generate", "Cancel"]


async def test_the_last_run_report_is_rendered_from_the_newest_record(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    editor = await start(client, VSCODE, project, scripted)
    nothing = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="specloop.lastRunReport")
    )
    assert nothing["status"] == "none" and "no runs yet" in nothing["message"]
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 2)))
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="specloop.lastRunReport", arguments=[])
    )
    assert report["runId"] == result["runId"]
    text = Path(report["uri"].removeprefix("file://")).read_text()  # noqa: ASYNC240
    assert text.startswith(f"# specloop run {result['runId']}")
    assert "Validated" in text


def adder(number: int, done: bool = False) -> str:
    body = f"    return total + {number}\n" if done else "    ...\n"
    return (
        f"def add_{number}(total: int) -> int:\n"
        f'    """Add {number} to the total.\n\n    >>> add_{number}(1)\n    {1 + number}\n    """\n'
        + body
    )


async def test_ten_runs_on_one_file_all_land_though_each_edit_moves_the_version(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    """Each run's edit was made from the text the run started with; the others' edits
    landed meanwhile. A version mismatch is re-based onto the buffer and sent again."""
    count = 10
    text = "\n\n".join(adder(number) for number in range(count))
    (project / "pricing.py").write_text(text, encoding="utf-8")
    script = StageScript()

    def by_target(body: dict[str, Any]) -> Reply:
        asked = body["messages"][-1]["content"]
        number = next(n for n in range(count) if f"add_{n}(" in asked or f"add_{n} " in asked)
        if schema_name(body) == "Candidate":
            return candidate(adder(number, done=True))
        if schema_name(body) == "GeneratedTests":
            tests = f"from pricing import add_{number}\n\n\ndef test_zero():\n"
            return Reply.json({"code": tests + f"    assert add_{number}(0) == {number}\n"})
        if schema_name(body) == "Clarification":
            return Reply.json({"needed": False, "questions": []})
        return script(body)

    scripted.responder = by_target
    editor = await start(client, VSCODE, project, scripted)
    uri = editor.open(project / "pricing.py")
    lines = text.splitlines()
    actions = [
        implement_action(
            await editor.code_actions(uri, lines.index(f"def add_{n}(total: int) -> int:"))
        )
        for n in range(count)
    ]
    results = await asyncio.gather(*(editor.execute(action, within_s=600) for action in actions))
    assert [r["status"] for r in results] == ["validated"] * count, client.messages
    assert editor.text(uri) == "\n\n".join(adder(n, done=True) for n in range(count))


async def test_a_question_nobody_answers_times_out_into_its_assumption_and_says_so(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = StageScript()
    editor = await start(
        client, VSCODE, project, scripted, settings={"questionTimeout": 1}, never_answer=True
    )
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 0)), 120)
    assert result["status"] == "validated", client.messages
    assert len(editor.requests) == 1, "the question was asked, and never answered"
    [told] = [m for m in client.messages if "had no answer after" in m.message]
    assert told.type == types.MessageType.Warning
    assert "negative total" in told.message
    [edit] = editor.edits
    label = edit.edit.change_annotations["specloop"].label  # type: ignore[index]
    assert "assumed, not answered" in label
    editor.dismiss_unanswered.set()  # the late dismissal is dropped quietly
    await asyncio.sleep(0.2)


@pytest.mark.parametrize("where", ["elsewhere", "on the TODO"])
async def test_clarify_moves_its_edit_onto_typing_elsewhere_and_refuses_typing_on_the_todo(
    client: LanguageClient, project: Path, where: str
) -> None:
    """Typed while the question was open: the edit is versioned and re-based, never blind."""
    editor: Editor

    def type_then_answer(params: types.ShowMessageRequestParams) -> str | None:
        if where == "elsewhere":
            editor.type(uri, 0, "# typed while the question was open\n")
        else:  # at the end of the TODO's line
            end = len(editor.text(uri).splitlines()[TODO_LINE - 1])
            editor.replace(uri, (TODO_LINE - 1, end), (TODO_LINE - 1, end), " (mine)")
        return first_option(params)

    editor = await Editor.start(
        client, client_capabilities(VSCODE), project, answer=type_then_answer
    )
    uri = editor.open(project / "pricing.py")
    actions = await editor.code_actions(uri, TODO_LINE - 1)
    clarify = next(a for a in actions if a.title == "Clarify this TODO")
    result = await editor.execute(clarify, within_s=30)
    clarified = "# TODO: handle errors: raise ValueError when `total` is negative."
    if where == "elsewhere":
        assert result["status"] == "applied", client.messages
        assert editor.text(uri).startswith("# typed while the question was open\n")
        assert clarified in editor.text(uri)
        return
    assert result["status"] == "not applied"
    assert clarified not in editor.text(uri) and "# TODO: handle errors (mine)" in editor.text(uri)
    for _ in range(50):
        if any("You edited the TODO" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.1)
    assert any(f"You edited the TODO on line {TODO_LINE}" in m.message for m in client.messages)


async def test_the_diff_shown_for_review_in_neovim_is_saved_redacted(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    token = "tok-0123456789abcdefXYZ"
    (project / "secrets").mkdir()
    (project / "secrets" / "credentials.json").write_text(json.dumps({"token": token}))
    module = MODULE.replace("    ...\n", f"    # the staging token is {token}\n    ...\n")
    (project / "pricing.py").write_text(module, encoding="utf-8")
    scripted.responder = StageScript()
    editor = await start(client, NEOVIM_07, project, scripted)
    uri = editor.open(project / "pricing.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 0)))
    assert result["status"] == "validated" and result["applied"] is True, client.messages
    [diff] = (tmp_path / "runs").glob("*.diff")
    assert "-    # the staging token is [REDACTED]" in diff.read_text()
    assert token not in diff.read_text()
