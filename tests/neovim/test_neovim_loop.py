"""A confirmation question in a real Neovim 0.7, answered, then reviewed and applied.

Neovim 0.7 applies edits without showing change annotations, so specloop shows the
validated diff first, in the plugin's review buffer, and applies it only after `a`.
The plain Implement flow (review, apply, discard, cancel) on 0.7 and 0.11 is in
test_neovim_plugin.py. The model is the scripted OpenAI-compatible server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.scripted_llm import ScriptedLLM

from .conftest import NeovimSession

pytestmark = pytest.mark.neovim


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
    neovim.lua("specloop_test.picks = { 'Yes' }")
    neovim.run("implement", 1, 4)
    neovim.review()
    neovim.decide("a")
    result = neovim.result()

    assert result["status"] == "validated", f"{result}\n{neovim.context()}"
    requests = neovim.lua("return specloop_test.requests")
    asked = [r for r in requests if "Is that right?" in r["message"]]
    assert asked and asked[0]["actions"][0]["title"] == "Yes"
    call = asked[0]["message"].split("`")[1]
    text = "\n".join(neovim.nvim.api.buf_get_lines(bufnr, 0, -1, True)) + "\n"
    assert f">>> {call}" in text and "max(items)" in text
