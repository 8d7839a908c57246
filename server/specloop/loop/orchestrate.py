"""One run of the loop, the same for every front end: target -> stages -> proposal -> offer.

`run` resolves the target in the snapshot it is given, provides the model, runs the
stages (`runner.run_loop`), and — if and only if the result validated — builds a
`Proposal` (the base snapshot, the new text, minimal edits, the diff and the
evidence) and offers it through the front end. This is the one place that decides
what is offered: only validated changes, ever. The record is saved whatever happens,
and saved again with what became of the offer.

Results are values: `Refused` when the run could not start (no target at that line,
no model), `Finished` otherwise (validated or not, with the record).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from specloop.config import Settings
from specloop.loop import provisioning, records
from specloop.loop.context import TargetError, resolve_target
from specloop.loop.disagreement import evidence_phrase
from specloop.loop.front_end import FrontEnd, Offered, ProgressEvent
from specloop.loop.llm import LLMAdapter
from specloop.loop.models import LoopSpec, RunRecord, Stage
from specloop.loop.provisioning import ModelProvider, ProvisioningError
from specloop.loop.runner import LoopOutcome, LoopRequest, run_loop
from specloop.loop.snapshot import Project, SourceSnapshot
from specloop.refactor.edits import LineEdit, minimal_edits
from specloop.secrets import Redactor
from specloop.validate.environment import InterpreterError, find_environment
from specloop.validate.report import ValidationReport, evidence_summary


@dataclass(frozen=True)
class RunRequest:
    project: Project
    snapshot: SourceSnapshot
    line: int
    """1-based line the user pointed at: anywhere in the target, or a spec of it."""
    settings: Settings


@dataclass(frozen=True)
class Proposal:
    """A validated change, ready to be reviewed: everything a front end needs to offer it."""

    run_id: str
    spec: LoopSpec
    base: SourceSnapshot
    """The text (and editor version) the change was made from."""
    new_text: str
    edits: tuple[LineEdit, ...]
    """The fewest whole-line edits turning ``base.text`` into ``new_text``."""
    diff: str
    evidence: str
    """What was checked: ``validated: 4 checks — syntax, ruff, 1 spec example, ...``."""
    redactor: Redactor
    """The run's secrets, for whatever the front end writes about the change."""
    assumptions: tuple[str, ...] = ()
    """Questions nobody answered, with the assumption taken: ``question → answer``."""

    @property
    def description(self) -> str:
        """The evidence, and what was assumed rather than decided: what a reviewer reads."""
        if not self.assumptions:
            return self.evidence
        return f"{self.evidence}; assumed, not answered: {'; '.join(self.assumptions)}"

    @property
    def target_lines(self) -> tuple[int, int]:
        """0-based first and last lines of the target in the base text (its whole definition)."""
        return self.spec.first_line - 1, self.spec.last_line - 1


@dataclass(frozen=True)
class Refused:
    """The run could not start; ``reason`` says why and what to do."""

    reason: str


@dataclass(frozen=True)
class Finished:
    record: RunRecord
    proposal: Proposal | None
    """Only for a validated result."""
    offered: Offered | None
    """What became of the proposal; None when there was none."""
    outcome: LoopOutcome
    redactor: Redactor


async def resolve(request: RunRequest) -> LoopSpec | Refused:
    """The target at ``request.line`` with its specs, or why there is none."""
    markers = request.settings.diagnostics.markers
    spec = await asyncio.to_thread(resolve_target, request.snapshot, request.line, markers)
    return Refused(spec.reason) if isinstance(spec, TargetError) else spec


async def run(
    request: RunRequest,
    provider: ModelProvider,
    front_end: FrontEnd,
    spec: LoopSpec | None = None,
) -> Refused | Finished:
    """Run the loop on the target at ``request.line`` and offer the result if it validated.

    ``spec`` is the target as `resolve` found it, for callers that needed it first.
    """
    if spec is None:
        resolved = await resolve(request)
        if isinstance(resolved, Refused):
            return resolved
        spec = resolved

    def note(message: str) -> None:
        front_end.progress(ProgressEvent(Stage.PREPARE, 0, message))

    settings = request.settings
    try:
        environment = await asyncio.to_thread(
            find_environment, request.project.root, settings.python
        )
    except InterpreterError as error:
        return Refused(str(error))
    try:
        model = await provider.config(request.settings, note)
    except ProvisioningError as error:
        return Refused(str(error))
    redactor = await asyncio.to_thread(
        Redactor.for_run, provisioning.secret_names(settings), request.project.root
    )
    loop_request = LoopRequest(
        project=request.project,
        snapshot=request.snapshot,
        spec=spec,
        budget=provisioning.budget(settings),
        limits=provisioning.sandbox_limits(settings),
        redactor=redactor,
        review_plan=settings.review_plan,
        allow_unisolated=settings.allow_unisolated,
        samples=provisioning.samples(settings),
        max_questions=settings.max_questions,
        no_assume=settings.no_assume,
        environment=environment,
    )
    outcome = await run_loop(loop_request, LLMAdapter(model, redactor), front_end)
    record = outcome.record
    if record.error_kind == "connection" and (stopped := provider.embedded_stopped()):
        record.error = stopped
        records.save(record, redactor)
    if not outcome.validated or outcome.new_source is None or outcome.report is None:
        return Finished(record, None, None, outcome, redactor)
    proposal = Proposal(
        run_id=record.id,
        spec=spec,
        base=request.snapshot,
        new_text=outcome.new_source,
        edits=tuple(minimal_edits(request.snapshot.text, outcome.new_source)),
        diff=record.diff,
        evidence=evidence_text(record, outcome.report),
        redactor=redactor,
        assumptions=_assumptions(record),
    )
    offered = await front_end.offer(proposal)
    record.applied, record.not_applied_reason = offered.applied, offered.reason
    records.save(record, redactor)
    return Finished(record, proposal, offered, outcome, redactor)


def evidence_text(record: RunRecord, report: ValidationReport) -> str:
    """What was checked, then what the samples showed: the one sentence every front end shows."""
    summary = evidence_summary(report)
    if record.evidence is None:
        return summary
    return f"{summary}; {evidence_phrase(record.evidence)}"


def _assumptions(record: RunRecord) -> tuple[str, ...]:
    questions = (
        {q.id: q.text for q in record.clarification.questions} if record.clarification else {}
    )
    assumed = [
        f"{questions.get(answer.question_id, answer.question_id)} → {answer.answer}"
        for answer in record.answers
        if answer.assumed
    ]
    if record.evidence is not None:
        assumed += [
            f"{item.call} → {item.answer} (the majority of samples)"
            for item in record.evidence.disagreements
            if item.assumed
        ]
    return tuple(assumed)
