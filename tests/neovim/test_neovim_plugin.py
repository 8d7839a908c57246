"""The Neovim plugin end to end, the same flow on Neovim 0.7.2 (Debian) and 0.11.4 (wheel);
the first two tests also the way 0.9-0.10 start the client (`vim.lsp.start`), on 0.11.4.

Diagnostics, code actions, :SpecloopClarify with an answer typed into vim.ui.input,
:SpecloopImplement with the review buffer (stray keys and <Esc> never decide; `a`
applies, `d` discards), the wrong first attempt named, :SpecloopLastRun and
:SpecloopCancel. The model is the scripted OpenAI-compatible server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.stage_script import (
    AMBIGUOUS_MODULE,
    PLAN,
    TODO_LINE,
    WRONG,
    StageScript,
    candidate,
    passes_hidden_tests,
    schema_name,
)

from .conftest import CLIENT_DIR, CLIENT_LUA, NeovimSession

pytestmark = pytest.mark.neovim

MAYBE = """\
def parse(text):
    # TODO: maybe validate the input?
    return text
"""
OWN_WORDS = "Answer in my own words…"


def settings(scripted: ScriptedLLM) -> dict[str, Any]:
    return {"model": "openai/scripted", "apiBase": scripted.base_url, "checkTimeout": 20,
            "samples": 1}  # fmt: skip


def buffer_text(neovim: NeovimSession, bufnr: int) -> str:
    return "\n".join(neovim.nvim.api.buf_get_lines(bufnr, 0, -1, True)) + "\n"


def test_diagnostics_code_actions_and_a_clarify_answered_in_own_words(
    start_neovim: Any,
    nvim_way: tuple[str, str | None],
    project: Path,
    tmp_path: Path,
    monkeypatch,
) -> None:
    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    (project / "parse.py").write_text(MAYBE, encoding="utf-8")
    binary, started_with = nvim_way
    neovim: NeovimSession = start_neovim(nvim=binary, started_with=started_with)
    expected = started_with or ("enable" if neovim.version() == "0.11" else "start_client")
    assert neovim.lua("return require('specloop.client').method()") == expected
    bufnr = neovim.open(project / "parse.py")
    neovim.wait_for(f"#vim.diagnostic.get({bufnr}) > 0", what="the ambiguous TODO's diagnostic")
    [diagnostic] = neovim.diagnostics(bufnr)
    assert (diagnostic["lnum"], diagnostic["code"]) == (1, "ambiguous-todo")
    position = {"line": 1, "character": 4}
    actions = neovim.request(
        bufnr,
        "textDocument/codeAction",
        {
            "textDocument": {"uri": (project / "parse.py").as_uri()},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": []},
        },
    )
    assert [a["title"] for a in actions] == [
        "Clarify this TODO",
        "Implement `parse` with specloop",
        "Ignore this TODO (# specloop: ignore)",
    ]

    words = "reject an empty text with ValueError"
    neovim.lua("specloop_test.picks = { 'Yes: do it', ... }", OWN_WORDS)
    neovim.lua("specloop_test.inputs = { ... }", words)
    neovim.run("clarify", 2, 4)
    result = neovim.result(30)
    asked = neovim.lua("return specloop_test.requests")
    assert result["status"] == "applied", f"{result}\n{asked}\n{neovim.context()}"
    asked = neovim.lua("return specloop_test.requests")
    assert any(OWN_WORDS in [a["title"] for a in q["actions"]] for q in asked), asked
    assert neovim.lua("return specloop_test.prompts") == ["Your answer: "]
    line = neovim.nvim.api.buf_get_lines(bufnr, 1, 2, True)[0]
    assert words in line, line
    neovim.wait_for(f"#vim.diagnostic.get({bufnr}) == 0", what="the diagnostic to go")


def test_implement_is_reviewed_in_a_buffer_then_applied_and_the_report_opens(
    start_neovim: Any,
    nvim_way: tuple[str, str | None],
    project: Path,
    scripted: ScriptedLLM,
    tmp_path: Path,
    monkeypatch,
) -> None:
    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    scripted.responder = StageScript(Candidate=[candidate(WRONG)])
    (project / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    binary, started_with = nvim_way
    neovim: NeovimSession = start_neovim(settings(scripted), nvim=binary, started_with=started_with)
    bufnr = neovim.open(project / "pricing.py")
    neovim.lua("specloop_test.picks = { 'return 0' }")

    neovim.run("implement", TODO_LINE, 4)
    review = neovim.review()
    assert "+    if total < 0:" in review, review
    assert any("a  apply" in line for line in review)
    assert buffer_text(neovim, bufnr) == AMBIGUOUS_MODULE, "nothing lands before the review"
    neovim.decide("a")
    result = neovim.result()
    assert result["status"] == "validated" and result["applied"] is True, result
    text = buffer_text(neovim, bufnr)
    assert "if total < 0:" in text
    judged = passes_hidden_tests(tmp_path / "judge", text)
    assert judged.returncode == 0, judged.stdout + judged.stderr
    # The wrong first attempt that validation caught is named.
    assert result["caught"] and result["caught"][0].startswith("attempt 1:"), result
    messages = neovim.nvim.command_output("messages")
    assert "validation caught 1 wrong attempt(s)" in messages, messages

    neovim.nvim.command("SpecloopLastRun")
    name = neovim.wait_for(
        "vim.api.nvim_buf_get_name(0):match('specloop://.*%.md$')", what="the report split"
    )
    report = neovim.nvim.current.buffer[:]
    assert report[0].startswith("# specloop run"), report[:3]
    assert result["runId"] in name
    assert any("validated" in line for line in report)


def test_discard_key_leaves_the_buffer_alone(
    start_neovim: Any,
    nvim_binary: str,
    project: Path,
    scripted: ScriptedLLM,
    tmp_path: Path,
    monkeypatch,
) -> None:
    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    (project / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    neovim: NeovimSession = start_neovim(settings(scripted), nvim=nvim_binary)
    bufnr = neovim.open(project / "pricing.py")
    neovim.run("implement", TODO_LINE, 4)
    neovim.review()
    neovim.decide("d")
    result = neovim.result()
    assert result["status"] == "validated" and result["applied"] is False, result
    assert buffer_text(neovim, bufnr) == AMBIGUOUS_MODULE
    assert neovim.lua("return specloop_test.review_lines()") is None, "the review closed"


def test_cancel_stops_the_running_loop(
    start_neovim: Any,
    nvim_binary: str,
    project: Path,
    scripted: ScriptedLLM,
    tmp_path: Path,
    monkeypatch,
) -> None:
    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    scripted.responder = StageScript(Plan=[Reply.hang(90, then=Reply.json(PLAN))])
    (project / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    neovim: NeovimSession = start_neovim(settings(scripted), nvim=nvim_binary)
    bufnr = neovim.open(project / "pricing.py")
    neovim.lua("specloop_test.picks = { 'return 0' }")
    neovim.run("implement", TODO_LINE, 4)
    neovim.wait_for(
        "require('specloop').status():find('implementing') ~= nil", what="the run's progress"
    )
    deadline = 60
    neovim.wait_for(
        "(function() vim.wait(50); return true end)()", what="a tick"
    )  # let the request reach the model
    for _ in range(deadline * 10):
        if any(schema_name(r.body) == "Plan" for r in scripted.requests):
            break
        neovim.lua("vim.wait(100)")
    assert any(schema_name(r.body) == "Plan" for r in scripted.requests), "the plan was asked"
    neovim.nvim.command("SpecloopCancel")
    result = neovim.result(30)
    assert result["status"] == "cancelled", result
    assert buffer_text(neovim, bufnr) == AMBIGUOUS_MODULE
    neovim.wait_for("require('specloop').status() == ''", what="the progress to end")
    messages = [m["message"] for m in neovim.messages()]
    assert any("cancelled the run on `discount`" in m for m in messages), messages


def test_checkhealth_reports_the_server_settings_isolation_and_model(
    start_neovim: Any, nvim_binary: str
) -> None:
    neovim: NeovimSession = start_neovim(
        {"diagnostics": {"severity": "loud"}, "model": "openai/scripted"}, nvim=nvim_binary
    )
    neovim.nvim.command("checkhealth specloop")
    report = "\n".join(neovim.nvim.current.buffer[:])
    assert "OK" in report and "specloop 0.1.0" in report, report
    assert "Invalid setting: specloop.diagnostics.severity" in report, report
    assert "Isolation: namespaces" in report, report
    assert "Model: openai/scripted" in report, report


def test_checkhealth_says_how_to_fix_a_missing_server(start_neovim: Any, nvim_binary: str) -> None:
    missing = "{ cmd = { '/nonexistent/specloop', 'serve' } }"
    neovim: NeovimSession = start_neovim(
        lua_setup=f"dofile('{CLIENT_LUA}').setup({missing})",
        nvim=nvim_binary,
    )
    neovim.nvim.command("checkhealth specloop")
    report = "\n".join(neovim.nvim.current.buffer[:])
    assert "ERROR" in report and "/nonexistent/specloop" in report, report
    assert "uv tool install specloop" in report, report


def test_help_tags_name_the_commands(start_neovim: Any, nvim_binary: str, tmp_path: Path) -> None:
    doc = tmp_path / "doc"
    doc.mkdir()
    (doc / "specloop.txt").write_bytes((CLIENT_DIR / "doc" / "specloop.txt").read_bytes())
    neovim: NeovimSession = start_neovim(nvim=nvim_binary)
    neovim.nvim.command(f"helptags {doc}")
    tags = {line.split("\t")[0] for line in (doc / "tags").read_text().splitlines()}
    wanted = {"specloop.setup()", "specloop-review", "specloop-native", "specloop-health"}
    wanted |= {f":Specloop{name}" for name in ("Implement", "Clarify", "LastRun", "Cancel")}
    assert wanted <= tags, wanted - tags
    neovim.lua("vim.opt.runtimepath:append(...)", str(tmp_path))
    neovim.nvim.command("help specloop-review")
    assert neovim.nvim.current.buffer.name.endswith("specloop.txt")
    assert "*specloop-review*" in neovim.nvim.current.line


def test_a_message_too_long_for_the_echo_area_opens_whole_in_a_split(
    start_neovim: Any, nvim_binary: str, project: Path
) -> None:
    neovim: NeovimSession = start_neovim({"diagnostics": {"severity": "loud"}}, nvim=nvim_binary)
    (project / "parse.py").write_text(MAYBE, encoding="utf-8")
    neovim.open(project / "parse.py")
    # Settings are read at `initialized`, so the message may follow the client's attach.
    neovim.wait_for("#specloop_test.all_messages() > 0", what="the invalid settings message")
    [message] = [m["message"] for m in neovim.messages() if "invalid settings" in m["message"]]
    assert len(message) > neovim.nvim.options["columns"]
    shown = neovim.wait_for(
        "(function() local b = vim.fn.bufnr('specloop://message'); "
        "return b ~= -1 and table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\\n') "
        "or nil end)()",
        what="the message split",
    )
    assert shown == message
    assert "the full message is in the split below" in neovim.nvim.command_output("messages")


def test_a_run_that_does_not_validate_names_its_attempts_and_opens_its_report(
    start_neovim: Any,
    nvim_binary: str,
    project: Path,
    scripted: ScriptedLLM,
    tmp_path: Path,
    monkeypatch,
) -> None:
    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    scripted.responder = StageScript(Candidate=[candidate(WRONG)] * 4)
    (project / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    neovim: NeovimSession = start_neovim({**settings(scripted), "maxAttempts": 1}, nvim=nvim_binary)
    bufnr = neovim.open(project / "pricing.py")
    neovim.lua("specloop_test.picks = { 'return 0' }")
    neovim.run("implement", TODO_LINE, 4)
    result = neovim.result()
    assert result["status"] == "unvalidated", result
    assert result["caught"] and result["caught"][0].startswith("attempt 1:"), result
    assert buffer_text(neovim, bufnr) == AMBIGUOUS_MODULE
    # The report opened in a split by itself (no path to type), and the warning is whole.
    names = neovim.lua("return vim.tbl_map(vim.api.nvim_buf_get_name, vim.api.nvim_list_bufs())")
    assert any(name.endswith(f"{result['runId']}.md") for name in names), names
    [warning] = [m["message"] for m in neovim.messages() if "could not validate" in m["message"]]
    assert warning.endswith(".md).") or warning.endswith(".md"), warning
    messages = neovim.nvim.command_output("messages")
    assert "validation caught 1 wrong attempt(s) and none passed" in messages, messages
