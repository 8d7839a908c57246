"""The runner keeps its promise to save a record whatever happens, before any model call."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from specloop.config import Settings
from specloop.loop import records
from specloop.loop.context import resolve_target
from specloop.loop.front_end import Offered, ProgressEvent
from specloop.loop.llm import LLMAdapter, ModelConfig
from specloop.loop.models import LoopSpec, LoopStatus, Plan, Question
from specloop.loop.provisioning import Budget
from specloop.loop.runner import LoopRequest, new_record, run_loop
from specloop.loop.snapshot import Project, SourceSnapshot
from specloop.secrets import Redactor
from specloop.validate.environment import own_environment
from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import MODULE, TODO_LINE, StageScript, schema_name


class Silent:
    def progress(self, event: ProgressEvent) -> None:
        pass

    async def ask(self, questions: Sequence[Question]) -> list[str | None]:
        return [None] * len(questions)

    async def review_plan(self, symbol: str, plan: Plan) -> bool:
        return True

    async def offer(self, proposal: object) -> Offered:
        return Offered(False)


async def test_a_target_the_snapshot_no_longer_defines_is_recorded_as_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(records.RUNS_DIR_VARIABLE, str(tmp_path / "runs"))
    snapshot = SourceSnapshot("m.py", "def f():\n    # TODO: handle errors\n    pass\n")
    spec = resolve_target(snapshot, 2)
    assert isinstance(spec, LoopSpec)
    renamed = SourceSnapshot("m.py", snapshot.text.replace("def f", "def g"))
    request = LoopRequest.of(
        Settings(), Project(tmp_path), renamed, spec, Redactor(), own_environment()
    )
    llm = LLMAdapter(ModelConfig("openai/never-called"), Redactor())
    outcome = await run_loop(request, llm, Silent(), new_record(request, llm))
    assert outcome.record.status is LoopStatus.ERROR
    assert "f is no longer defined in m.py" in (outcome.record.error or "")
    assert outcome.record.exchanges == [], "no model was called"


def _clear_request(tmp_path: Path, budget: Budget) -> LoopRequest:
    snapshot = SourceSnapshot("pricing.py", MODULE)
    spec = resolve_target(snapshot, TODO_LINE)
    assert isinstance(spec, LoopSpec)
    request = LoopRequest.of(
        Settings(), Project(tmp_path), snapshot, spec, Redactor(), own_environment()
    )
    return dataclasses.replace(request, budget=budget)


@pytest.mark.parametrize(
    ("budget", "says", "requests"),
    [
        # Each scripted answer costs 20 tokens: the plan and the spec tests use 40.
        (Budget(max_tokens=30), "The token budget (30) was used up.", 2),
        (Budget(deadline_s=0.0), "The loop ran past its 0 s deadline.", 0),
    ],
)
async def test_the_budget_stops_the_run_before_the_next_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: Budget, says: str, requests: int
) -> None:
    monkeypatch.setenv(records.RUNS_DIR_VARIABLE, str(tmp_path / "runs"))
    (tmp_path / "pricing.py").write_text(MODULE)
    with ScriptedLLM(responder=StageScript()) as scripted:
        llm = LLMAdapter(ModelConfig("openai/scripted", api_base=scripted.base_url), Redactor())
        request = _clear_request(tmp_path, budget)
        outcome = await run_loop(request, llm, Silent(), new_record(request, llm))
        sent = [schema_name(request.body) for request in scripted.requests]
    assert outcome.record.status is LoopStatus.UNVALIDATED
    assert outcome.record.error == says
    assert "Candidate" not in sent, "no code was asked for past the budget"
    assert len(sent) == requests
