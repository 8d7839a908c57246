"""Fixtures every kind of end-to-end test shares (stdio, Neovim, VS Code)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import StageScript


@pytest.fixture
def scripted() -> Iterator[ScriptedLLM]:
    """The scripted model server, answering each stage with the task's defaults."""
    with ScriptedLLM(responder=StageScript()) as server:
        yield server
