"""The loop in a real Neovim 0.7: code action, question, diff-first review, edit in the buffer.

Neovim 0.7 applies edits without showing change annotations and cannot open documents
for the server, so specloop shows the validated diff in a message request and applies
it only after "Apply". The model is the scripted OpenAI-compatible server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import (
    AMBIGUOUS_MODULE,
    EXISTING_TEST,
    TODO_LINE,
    passes_hidden_tests,
)

from .conftest import NeovimSession

pytestmark = pytest.mark.neovim


def test_implement_through_the_diff_first_review_lands_in_the_buffer(
    start_neovim: Any, project: Path, scripted: ScriptedLLM, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    (project / "tests").mkdir()
    (project / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    (project / "tests" / "test_pricing.py").write_text(EXISTING_TEST, encoding="utf-8")
    neovim: NeovimSession = start_neovim(
        {"model": "openai/scripted", "apiBase": scripted.base_url, "checkTimeout": 20}
    )
    bufnr = neovim.open(project / "pricing.py")
    neovim.lua("specloop_test.picks = { 'return 0', 'Apply' }")

    position = {"line": TODO_LINE - 1, "character": 4}
    actions = neovim.request(
        bufnr,
        "textDocument/codeAction",
        {
            "textDocument": {"uri": (project / "pricing.py").as_uri()},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": []},
        },
    )
    [implement] = [a for a in actions if a["title"].startswith("Implement")]
    result = neovim.lua("return specloop_test.execute(...)", bufnr, implement["command"], 120_000)

    assert "failure" not in result, f"{result}\n{neovim.context()}"
    assert result["result"]["status"] == "validated"
    assert result["result"]["applied"] is True
    requests = neovim.lua("return specloop_test.requests")
    [question, review] = requests
    assert [a["title"] for a in question["actions"]] == ["raise ValueError", "return 0"]
    assert "+    if total < 0:" in review["message"], "the diff comes before the edit"
    assert [a["title"] for a in review["actions"]] == ["Apply", "Discard"]
    # The edit is in the buffer (unsaved), and the buffer's text passes the task's tests.
    text = "\n".join(neovim.nvim.api.buf_get_lines(bufnr, 0, -1, True)) + "\n"
    assert "if total < 0:" in text
    assert (project / "pricing.py").read_text() == AMBIGUOUS_MODULE
    judged = passes_hidden_tests(tmp_path / "judge", text)
    assert judged.returncode == 0, judged.stdout + judged.stderr


def test_discarding_the_reviewed_diff_leaves_the_buffer_alone(
    start_neovim: Any, project: Path, scripted: ScriptedLLM, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    (project / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    neovim: NeovimSession = start_neovim(
        {"model": "openai/scripted", "apiBase": scripted.base_url, "checkTimeout": 20}
    )
    bufnr = neovim.open(project / "pricing.py")
    neovim.lua("specloop_test.picks = { 'Discard' }")
    command = {
        "title": "Implement",
        "command": "specloop.implement",
        "arguments": [
            {
                "uri": (project / "pricing.py").as_uri(),
                "version": 0,
                "position": {"line": 0, "character": 0},
            }
        ],
    }
    result = neovim.lua("return specloop_test.execute(...)", bufnr, command, 120_000)
    assert result["result"]["status"] == "validated"
    assert result["result"]["applied"] is False
    lines = neovim.nvim.api.buf_get_lines(bufnr, 0, -1, True)
    assert "\n".join(lines) + "\n" == AMBIGUOUS_MODULE


def test_a_confirmed_case_validates_and_lands_as_a_doctest_in_the_buffer(
    start_neovim: Any, project: Path, scripted: ScriptedLLM, tmp_path: Path, monkeypatch
) -> None:
    """No check counts (no example, idle spec tests): the case is asked, Yes validates it."""
    from tests.e2e.test_confirmation import LARGEST, RIGHT, script

    monkeypatch.setenv("SPECLOOP_RUNS_DIR", str(tmp_path / "runs"))
    scripted.responder = script(RIGHT)
    (project / "tasks.py").write_text(LARGEST, encoding="utf-8")
    neovim: NeovimSession = start_neovim(
        {"model": "openai/scripted", "apiBase": scripted.base_url, "checkTimeout": 20,
         "samples": 1}
    )  # fmt: skip
    bufnr = neovim.open(project / "tasks.py")
    neovim.lua("specloop_test.picks = { 'Yes', 'Apply' }")
    position = {"line": 0, "character": 4}
    actions = neovim.request(
        bufnr,
        "textDocument/codeAction",
        {
            "textDocument": {"uri": (project / "tasks.py").as_uri()},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": []},
        },
    )
    [implement] = [a for a in actions if a["title"].startswith("Implement")]
    result = neovim.lua("return specloop_test.execute(...)", bufnr, implement["command"], 120_000)

    assert "failure" not in result, f"{result}\n{neovim.context()}"
    assert result["result"]["status"] == "validated"
    requests = neovim.lua("return specloop_test.requests")
    asked = [r for r in requests if "Is that right?" in r["message"]]
    assert asked and asked[0]["actions"][0]["title"] == "Yes"
    call = asked[0]["message"].split("`")[1]
    text = "\n".join(neovim.nvim.api.buf_get_lines(bufnr, 0, -1, True)) + "\n"
    assert f">>> {call}" in text and "max(items)" in text
