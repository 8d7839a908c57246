"""The run's rules, in process: only validated results are offered, the record is saved
once with what became of the offer, and a cancelled run is saved.

A recording front end, the scripted model over HTTP through litellm, the real sandbox.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from specloop.config import Settings
from specloop.loop import orchestrate, records
from specloop.loop.front_end import Offered, ProgressEvent
from specloop.loop.models import Plan, Question
from specloop.loop.provisioning import ModelProvider
from specloop.loop.snapshot import Project, SourceSnapshot
from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import (
    AMBIGUOUS_MODULE,
    CORRECT,
    DOCSTRING_LINE,
    MODULE,
    TODO_LINE,
    TWO_HUNKS,
    WRONG,
    StageScript,
    candidate,
    write_project,
)


class Recording:
    """A front end that answers with the assumptions and records what it was offered."""

    def __init__(self, verdict: Offered | None = None, asked: asyncio.Event | None = None):
        self.verdict = verdict or Offered(True)
        self.asked = asked
        self.offered: list[orchestrate.Proposal] = []
        self.events: list[ProgressEvent] = []

    def progress(self, event: ProgressEvent) -> None:
        self.events.append(event)

    async def ask(self, questions: Sequence[Question]) -> list[str | None]:
        if self.asked is not None:  # the user walked away: wait until cancelled
            self.asked.set()
            await asyncio.Event().wait()
        return [None] * len(questions)  # declined: the run takes the assumptions

    async def review_plan(self, symbol: str, plan: Plan) -> bool:
        return True

    async def offer(self, proposal: orchestrate.Proposal) -> Offered:
        self.offered.append(proposal)
        return self.verdict


@pytest.fixture
def saves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """The ids of the records saved, in order (each save still writes its file)."""
    monkeypatch.setenv(records.RUNS_DIR_VARIABLE, str(tmp_path / "runs"))
    saved: list[str] = []
    real = records.save

    def counting(record, redactor=None):  # type: ignore[no-untyped-def]
        saved.append(record.id)
        return real(record, redactor)

    monkeypatch.setattr(records, "save", counting)
    yield saved


def request(root: Path, module: str, scripted: ScriptedLLM) -> orchestrate.RunRequest:
    write_project(root, module)
    settings = Settings(model="openai/scripted", api_base=scripted.base_url, samples=1)
    return orchestrate.RunRequest(
        Project(root), SourceSnapshot("pricing.py", module), TODO_LINE, settings
    )


def saved_record(tmp_path: Path, run_id: str) -> dict[str, object]:
    return json.loads((tmp_path / "runs" / f"{run_id}.json").read_text())


async def test_a_result_that_did_not_validate_is_never_offered(
    tmp_path: Path, scripted: ScriptedLLM, saves: list[str]
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(WRONG)] * 3)
    front_end = Recording()
    result = await orchestrate.run(
        request(tmp_path / "project", MODULE, scripted), ModelProvider(), front_end
    )
    assert isinstance(result, orchestrate.Finished) and not result.validated
    assert front_end.offered == []
    assert saves == [result.record.id]
    assert saved_record(tmp_path, result.record.id)["status"] == "unvalidated"


async def test_the_record_is_saved_once_with_what_became_of_the_offer(
    tmp_path: Path, scripted: ScriptedLLM, saves: list[str]
) -> None:
    scripted.responder = StageScript()
    front_end = Recording(Offered(False, "You declined it in review."))
    result = await orchestrate.run(
        request(tmp_path / "project", MODULE, scripted), ModelProvider(), front_end
    )
    assert isinstance(result, orchestrate.Finished) and result.validated
    assert [proposal.run_id for proposal in front_end.offered] == [result.record.id]
    assert saves == [result.record.id]
    saved = saved_record(tmp_path, result.record.id)
    assert saved["applied"] is False
    assert saved["not_applied_reason"] == "You declined it in review."


class CheckingParts(Recording):
    """A review that keeps parts of the change: each checked while the change is offered."""

    def __init__(self, parts: dict[str, str]) -> None:
        super().__init__()
        self.parts = parts
        self.checked: dict[str, orchestrate.PartCheck] = {}

    async def offer(self, proposal: orchestrate.Proposal) -> Offered:
        for name, text in self.parts.items():
            self.checked[name] = await orchestrate.check_part(proposal, text)
        return await super().offer(proposal)


async def test_part_of_an_offered_change_is_validated_only_by_passing_the_run_s_checks_alone(
    tmp_path: Path, scripted: ScriptedLLM, saves: list[str]
) -> None:
    scripted.responder = StageScript(Candidate=[candidate(TWO_HUNKS)])
    docstring_only = AMBIGUOUS_MODULE.replace(
        "unchanged.\n\n", f"unchanged.\n\n{DOCSTRING_LINE}\n\n"
    )
    front_end = CheckingParts({"docstring": docstring_only, "body": CORRECT})
    result = await orchestrate.run(
        request(tmp_path / "project", AMBIGUOUS_MODULE, scripted), ModelProvider(), front_end
    )
    assert isinstance(result, orchestrate.Finished) and result.validated
    assert front_end.checked["body"].validated, front_end.checked
    assert front_end.checked["body"].evidence.startswith("validated: ")
    assert not front_end.checked["docstring"].validated
    assert "spec examples FAILED" in front_end.checked["docstring"].evidence
    # Once the offer is answered the run's files are gone: nothing is validated any more.
    [proposal] = front_end.offered
    late = await orchestrate.check_part(proposal, CORRECT)
    assert late == orchestrate.PartCheck(
        False, "not validated: the run that made the change has ended"
    )


async def test_a_cancelled_run_is_saved_as_cancelled(
    tmp_path: Path, scripted: ScriptedLLM, saves: list[str]
) -> None:
    scripted.responder = StageScript()
    asked = asyncio.Event()
    front_end = Recording(asked=asked)
    run = asyncio.create_task(
        orchestrate.run(
            request(tmp_path / "project", AMBIGUOUS_MODULE, scripted), ModelProvider(), front_end
        )
    )
    await asyncio.wait_for(asked.wait(), 60)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert len(saves) == 1
    saved = saved_record(tmp_path, saves[0])
    assert saved["status"] == "cancelled"
    assert front_end.offered == []
