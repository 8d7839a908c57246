"""One run of the loop, the same for every front end: target -> stages -> proposal -> offer.

`run` resolves the target in the snapshot it is given, provides the model, runs the
stages (`runner.run_loop`), and — if and only if the result validated — builds a
`Proposal` (the base snapshot, the new text, minimal edits, the diff and the
evidence) and offers it through the front end. While it is offered, `check_part` runs
the run's checks again on part of it (a reviewer kept some hunks, not all): a part is
applied as validated only when it passes them on its own. This is the one place that decides
what is offered: only validated changes, ever, and the one writer of the record: it is
saved once, when the run is over (cancelled runs too), with what became of the offer.

Results are values: `Refused` when the run could not start (no target at that line,
no model), `Finished` otherwise (validated or not, with the record).

`clarify` is the other entry: it rewrites one ambiguous TODO from the user's answers
(`todo_clarify.py`), with the clarify stage's questions first when a model is
configured. The same preparation (model, redactor), the same record, the same one
way to the buffer (`ClarifyFrontEnd.rewrite`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from specloop.analysis.targets import spec_lines, target_at
from specloop.config import Settings
from specloop.loop import provisioning, records, stages, todo_clarify
from specloop.loop.context import (
    ContextError,
    TargetError,
    build_context,
    load,
    loop_spec,
    resolve_target,
)
from specloop.loop.disagreement import evidence_phrase
from specloop.loop.front_end import FrontEnd, Offered, ProgressEvent
from specloop.loop.llm import LLMAdapter, LLMError, ModelConfig, start_model_process
from specloop.loop.models import Answer, LoopSpec, LoopStatus, RunRecord, Stage
from specloop.loop.provisioning import (
    EMBEDDED_MODEL_ADVICE,
    ModelProvider,
    ProvisioningError,
    configured_model,
)
from specloop.loop.runner import LoopRequest, Recheck, new_record, run_loop
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
    recheck: OfferedChecks | None = dataclasses.field(default=None, compare=False, repr=False)
    """The run's checks for another version of the module, while the change is offered."""

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
    """A run that ended, validated or not; its record is saved."""

    record: RunRecord
    proposal: Proposal | None
    """Only for a validated result."""
    offered: Offered | None
    """What became of the proposal; None when there was none."""
    report: ValidationReport | None
    """The last candidate's validation report."""
    new_source: str | None
    """The module with the last candidate in it (validated or not)."""
    redactor: Redactor

    @property
    def validated(self) -> bool:
        return self.record.status is LoopStatus.VALIDATED


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

    start_model_process()  # litellm's import, in its own process, while the run prepares
    settings = request.settings
    try:
        environment = await asyncio.to_thread(
            find_environment, request.project.root, settings.python
        )
    except InterpreterError as error:
        return Refused(str(error))
    prepared = await _prepare(request, provider, note)
    if isinstance(prepared, Refused):
        return prepared
    model, redactor = prepared
    loop_request = LoopRequest.of(
        settings, request.project, request.snapshot, spec, redactor, environment
    )
    llm = LLMAdapter(model, redactor)
    record = new_record(loop_request, llm)
    try:
        outcome = await run_loop(loop_request, llm, front_end, record)
        if record.error_kind == "connection" and (stopped := provider.embedded_stopped()):
            record.error = stopped
        elif not outcome.validated and configured_model(settings) is None:
            record.error = " ".join(filter(None, (record.error, EMBEDDED_MODEL_ADVICE)))
        finished = Finished(record, None, None, outcome.report, outcome.new_source, redactor)
        if not outcome.validated or outcome.new_source is None or outcome.report is None:
            return finished
        checks = OfferedChecks(outcome.recheck)
        proposal = _proposal(request.snapshot, spec, record, finished, checks)
        try:
            offered = await front_end.offer(proposal)
        finally:
            checks.close()  # the run's files close next: nothing can be checked after
        record.applied, record.not_applied_reason = offered.applied, offered.reason
        return dataclasses.replace(finished, proposal=proposal, offered=offered)
    finally:
        records.save(record, redactor)  # once, whatever happened: cancelled runs too
        if loop_request.files is not None:
            loop_request.files.close()


def _proposal(
    base: SourceSnapshot,
    spec: LoopSpec,
    record: RunRecord,
    finished: Finished,
    recheck: OfferedChecks,
) -> Proposal:
    """The validated change as it is offered: the edits from ``base`` and its evidence."""
    assert finished.new_source is not None and finished.report is not None
    return Proposal(
        run_id=record.id,
        spec=spec,
        base=base,
        new_text=finished.new_source,
        edits=tuple(minimal_edits(base.text, finished.new_source)),
        diff=record.diff,
        evidence=evidence_text(record, finished.report),
        redactor=finished.redactor,
        assumptions=_assumptions(record),
        recheck=recheck,
    )


class OfferedChecks:
    """The run's checks (`LoopOutcome.recheck`) for as long as its change is offered."""

    def __init__(self, checks: Recheck | None) -> None:
        self._checks = checks

    async def __call__(self, new_text: str) -> ValidationReport | None:
        """The checks' report on ``new_text``; None once the offer is over."""
        return None if self._checks is None else await self._checks(new_text)

    def close(self) -> None:
        self._checks = None


@dataclass(frozen=True)
class PartCheck:
    """What the run's checks said of part of its change."""

    validated: bool
    evidence: str
    """``validated: 5 checks — …``, or what failed: ``not validated: … spec examples FAILED``."""


async def check_part(proposal: Proposal, new_text: str) -> PartCheck:
    """The run's checks on ``new_text``, the module with only part of ``proposal`` in it.

    The part counts as validated only as the whole did: every check passed, and one of
    them exercised the new code. Only while the proposal is offered (the run's files are
    open then); after, nothing can be checked and it is not validated.
    """
    report = None if proposal.recheck is None else await proposal.recheck(new_text)
    if report is None:
        return PartCheck(False, "not validated: the run that made the change has ended")
    return PartCheck(report.passed, evidence_summary(report))


async def _prepare(
    request: RunRequest, provider: ModelProvider, note: Callable[[str], None]
) -> tuple[ModelConfig, Redactor] | Refused:
    """The model (provisioned, or why not) and the run's redactor: every model call needs both."""
    try:
        model = await provider.config(request.settings, note)
    except ProvisioningError as error:
        return Refused(str(error))
    redactor = await asyncio.to_thread(
        Redactor.for_run, provisioning.secret_names(request.settings), request.project.root
    )
    return model, redactor


class ClarifyFrontEnd(Protocol):
    def progress(self, event: ProgressEvent) -> None:
        """Show what the run is doing now."""

    async def choose(
        self, message: str, options: Sequence[str], own_words: bool = False
    ) -> str | None:
        """The option the user picked; None when the question was dismissed.

        With ``own_words``, an answer the user wrote (an editor that can ask for text) too.
        """

    async def rewrite(self, base: SourceSnapshot, new_text: str, lines: tuple[int, int]) -> Offered:
        """Write ``new_text`` over ``base``, which changed only ``lines`` (0-based)."""


@dataclass(frozen=True)
class Clarified:
    record: RunRecord
    offered: Offered | None
    """What became of the rewritten TODO; None when a question was dismissed."""


NO_TODO = "There is no ambiguous TODO on line {line} any more; nothing to clarify."
DISMISSED = "You dismissed a question, so the TODO was left as it was."


async def clarify(
    request: RunRequest, provider: ModelProvider, front_end: ClarifyFrontEnd
) -> Refused | Clarified:
    """Rewrite the ambiguous TODO at ``request.line`` from the user's answers; record the run."""
    markers = request.settings.diagnostics.markers
    parsed = await asyncio.to_thread(load, request.snapshot)
    found = target_at(parsed, request.line, markers)
    todo = found.spec_at_line
    if todo is None or not todo_clarify.is_clarifiable(todo):
        return Refused(NO_TODO.format(line=request.line))
    redactor = await asyncio.to_thread(
        Redactor.for_run, provisioning.secret_names(request.settings), request.project.root
    )
    spec = loop_spec(request.snapshot.path, parsed, found)
    record = RunRecord(id=records.new_run_id(), status=LoopStatus.CANCELLED, spec=spec)
    front_end.progress(ProgressEvent(Stage.CLARIFY, 0, "Reading the TODO", record.id))
    started = time.monotonic()
    try:
        draft = todo_clarify.Draft.of(todo)
        if request.settings.model and record.spec is not None:
            draft = await _model_questions(request, provider, front_end, draft, record, redactor)
        definition = found.definition
        parameters = todo_clarify.parameters_of(definition.signature) if definition else []
        for _ in range(todo_clarify.MAX_QUESTIONS):
            question = todo_clarify.next_question(draft, parameters)
            if question is None:
                break
            own_words = todo_clarify.takes_own_words(question)
            choice = await front_end.choose(question.text, question.options, own_words)
            if choice is None:
                record.error = DISMISSED
                return Clarified(record, None)
            record.answers.append(Answer(question_id=question.id, answer=choice, assumed=False))
            draft = todo_clarify.answer(draft, question, choice)
        new_text = todo_clarify.rewritten(parsed.source, draft).decode("utf-8", "surrogatepass")
        first, last = spec_lines(parsed.lines, todo)
        offered = await front_end.rewrite(request.snapshot, new_text, (first - 1, last - 1))
        record.status = LoopStatus.CLARIFIED if offered.applied else LoopStatus.CANCELLED
        record.applied, record.not_applied_reason = offered.applied, offered.reason
        return Clarified(record, offered)
    except asyncio.CancelledError:
        record.error = "Cancelled: the TODO was left as it was."
        raise
    finally:
        record.duration_s = round(time.monotonic() - started, 3)
        records.save(record, redactor)  # once, whatever happened: cancelled runs too


async def _model_questions(
    request: RunRequest,
    provider: ModelProvider,
    front_end: ClarifyFrontEnd,
    draft: todo_clarify.Draft,
    record: RunRecord,
    redactor: Redactor,
) -> todo_clarify.Draft:
    """The clarify stage's questions first; without them (no model, no context) say why."""

    def note(message: str) -> None:
        front_end.progress(ProgressEvent(Stage.PREPARE, 0, message))

    spec = record.spec
    assert spec is not None
    prepared = await _prepare(request, provider, note)
    if isinstance(prepared, Refused):
        note(f"Asking without the model's questions: {prepared.reason}")
        return draft
    model, _ = prepared
    llm = LLMAdapter(model, redactor)
    record.model = model.model
    try:
        context = await asyncio.to_thread(build_context, request.project, spec, request.snapshot)
        record.clarification = await stages.clarify(llm, context)
    except (ContextError, LLMError) as error:
        note(f"Asking without the model's questions: {error}")
        return draft
    finally:
        record.usage, record.exchanges = list(llm.usage.values()), list(llm.exchanges)
    clarification = record.clarification
    for question in clarification.questions if clarification.needed else []:
        choice = await front_end.choose(question.text, question.options)
        if choice is not None:
            record.answers.append(Answer(question_id=question.id, answer=choice, assumed=False))
            draft = todo_clarify.answer(draft, question, choice)
    return draft


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
