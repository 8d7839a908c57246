"""The runner: owns the budget, runs the stages in order, feeds failures back, keeps the record.

clarify (only if a spec of the target is ambiguous) -> plan (+ tests written from the
spec alone, once, before any code: frozen; shown for review first when the user asked
for that) -> generate -> validate, retrying generate with what validation said, until
``samples`` candidates pass or the budget (failed attempts, tokens, deadline) runs out
-> compare the passing samples by behaviour and settle what they disagree on
(`loop/disagreement.py`: questions with concrete outcomes, or the majority, or
needs_clarification) -> validate the accepted sample again, its answered examples in
its docstring and its spec tests judged by the mutants they kill.

The runner works on the snapshot it was given and never writes to the user's files: it
returns the new source and a diff; the run (`loop/orchestrate.py`) decides what is
offered, and only a validated result is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from specloop.config import Settings
from specloop.loop import confirmation, provisioning, records, stages, test_gaps
from specloop.loop.confirmation import unconfirmed_message
from specloop.loop.context import ContextError, build_context
from specloop.loop.disagreement import Settlement, call_text, settle
from specloop.loop.front_end import FrontEnd, ProgressEvent, settle_replies
from specloop.loop.llm import LLMAdapter, LLMError
from specloop.loop.models import (
    Answer,
    Attempt,
    Candidate,
    CaseConfirmation,
    Clarification,
    Context,
    EnvironmentInfo,
    Evidence,
    LoopSpec,
    LoopStatus,
    Question,
    RunRecord,
    SpecTestRound,
    Stage,
)
from specloop.loop.probes import DEFAULT_SEED, ProbeSet, examples_text, probe_inputs
from specloop.loop.provisioning import Budget
from specloop.loop.snapshot import Project, SourceSnapshot
from specloop.refactor.codemod import TransformFailure, replace_symbol
from specloop.refactor.docstrings import add_examples
from specloop.refactor.edits import unified_diff
from specloop.secrets import Redactor
from specloop.validate.behaviour import (
    Outcome,
    ProbeRefused,
    ProbeRequest,
    group_by_behaviour,
    run_probes,
)
from specloop.validate.environment import PythonEnvironment
from specloop.validate.mutation import MAX_MUTANTS, Mutant, mutants, spread
from specloop.validate.pipeline import ValidationRequest, judge_validated, validate
from specloop.validate.preflight import ImportCheck, missing_dependency
from specloop.validate.project_copy import ProjectCopy
from specloop.validate.report import GENERATED_TESTS, SPEC_EXAMPLES, ValidationReport
from specloop.validate.sandbox import SandboxLimits, detect_isolation, refusal

_FEEDBACK_LIMIT = 1_500
CANCELLED_MESSAGE = "Cancelled by the user; nothing was applied."


@dataclass(frozen=True)
class LoopRequest:
    """What one run works on and by which rules; made from the settings by `of`, so the
    product's defaults live in `config.Settings` alone."""

    project: Project
    snapshot: SourceSnapshot
    """The target file as the run found it: what the loop reads and what a change is based on."""
    spec: LoopSpec
    budget: Budget
    limits: SandboxLimits
    redactor: Redactor
    """The run's secrets: masked in prompts, feedback and the record."""
    review_plan: bool
    allow_unisolated: bool
    samples: int
    """Validated candidates to compare by behaviour (`provisioning.samples`)."""
    max_questions: int
    no_assume: bool
    environment: PythonEnvironment
    """The Python the checks run with (`validate/environment.py`)."""
    probe_seed: int = DEFAULT_SEED
    files: ProjectCopy | None = None
    """What of the project the run's sandboxes hold, chosen and copied once for the run."""

    @classmethod
    def of(
        cls,
        settings: Settings,
        project: Project,
        snapshot: SourceSnapshot,
        spec: LoopSpec,
        redactor: Redactor,
        environment: PythonEnvironment,
    ) -> LoopRequest:
        return cls(
            project=project,
            snapshot=snapshot,
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
            files=ProjectCopy(project.root, _buffers_besides(project, snapshot)),
        )


Recheck = Callable[[str], Awaitable[ValidationReport]]


@dataclass
class LoopOutcome:
    record: RunRecord
    original_source: str
    new_source: str | None
    """The module with the last candidate in it (validated or not); None if there was none."""
    report: ValidationReport | None = None
    """The last candidate's validation report."""
    recheck: Recheck | None = None
    """The run's checks for another version of the module (part of the validated change),
    while the run's files are open: until the change was offered."""

    @property
    def validated(self) -> bool:
        return self.record.status is LoopStatus.VALIDATED


class BudgetExhausted(Exception):
    pass


def new_record(request: LoopRequest, llm: LLMAdapter) -> RunRecord:
    """The record of a run about to start: its target, model and environment."""
    environment = request.environment
    return RunRecord(
        id=records.new_run_id(),
        model=llm.config.model,
        spec=request.spec,
        environment=EnvironmentInfo(
            python=environment.python,
            version=".".join(map(str, environment.version)),
            source=environment.source,
            description=environment.describe(request.project.root),
        ),
    )


async def run_loop(
    request: LoopRequest, llm: LLMAdapter, front_end: FrontEnd, record: RunRecord
) -> LoopOutcome:
    """Run the whole loop, keeping ``record`` (`new_record`) complete whatever happens.

    The caller saves it (`orchestrate.run`, once, when the run is over).
    """
    started = time.monotonic()
    outcome = LoopOutcome(record, request.snapshot.text, None)
    try:
        await _run_stages(request, llm, front_end, outcome, started)
    except LLMError as error:
        record.status, record.error, record.error_kind = LoopStatus.ERROR, str(error), error.kind
    except ContextError as error:
        record.status, record.error = LoopStatus.ERROR, str(error)
    except BudgetExhausted as error:
        record.status = LoopStatus.UNVALIDATED
        record.error = str(error)
    except asyncio.CancelledError:
        record.status, record.error = LoopStatus.CANCELLED, CANCELLED_MESSAGE
        raise
    finally:
        record.usage = list(llm.usage.values())
        record.exchanges = list(llm.exchanges)
        record.duration_s = round(time.monotonic() - started, 3)
    return outcome


@dataclass
class _Run:
    """One run's state as the stages pass it on: what they read and what they found."""

    request: LoopRequest
    llm: LLMAdapter
    front_end: FrontEnd
    outcome: LoopOutcome
    started: float
    context: Context | None = None
    questions: list[Question] = field(default_factory=list)
    generated_tests: str | None = None
    tests_frozen_at: int = 0
    """The first attempt validated with today's spec tests (a second round changes them)."""
    feedback: list[str] = field(default_factory=list)
    passed: list[tuple[Attempt, str]] = field(default_factory=list)
    """Samples whose checks all passed: their attempt and the module with them in it. They
    validated, or — when nothing counts as evidence — they await a confirmation."""
    failures: int = 0
    asked: int = 0
    """Questions asked so far about behaviour (disagreements and confirmations)."""
    stated: list[str] = field(default_factory=list)
    """Doctest lines the user stated by confirming or correcting a case: part of the spec."""
    confirmations: list[CaseConfirmation] = field(default_factory=list)
    probes: ProbeSet | None = None

    @property
    def record(self) -> RunRecord:
        return self.outcome.record

    def say(self, stage: Stage, attempt: int, message: str) -> None:
        self.front_end.progress(ProgressEvent(stage, attempt, message))

    def stop(self, status: LoopStatus, error: str | None = None) -> None:
        self.record.status, self.record.error = status, error

    def spec_examples(self, examples: Sequence[str]) -> str | None:
        """The spec's examples with ``examples`` (doctest lines) after them, if any."""
        assert self.context is not None
        return examples_text(self.context.docstring, self.request.spec.symbol, examples)

    def probe_set(self) -> ProbeSet:
        """The probe inputs for the target (made once per run)."""
        if self.probes is None:
            context, request = self.context, self.request
            assert context is not None
            definition = context.target_source if request.spec.symbol_kind == "function" else ""
            self.probes = probe_inputs(definition, context.docstring, request.probe_seed)
        return self.probes


async def _run_stages(
    request: LoopRequest,
    llm: LLMAdapter,
    front_end: FrontEnd,
    outcome: LoopOutcome,
    started: float,
) -> None:
    run = _Run(request, llm, front_end, outcome, started)
    outcome.recheck = partial(_validated, run, 0)
    if not await _read_the_code(run) or not await _clarify(run) or not await _plan(run):
        return
    while True:
        while len(run.passed) < request.samples and run.failures < request.budget.max_attempts:
            if not await _attempts(run):
                return
        if not run.passed:
            run.stop(LoopStatus.UNVALIDATED)
            return
        if await _accept(run):
            return


async def _read_the_code(run: _Run) -> bool:
    """The context, and the module's imports checked in the project's environment."""
    request, record = run.request, run.record
    reading = f"Reading the code around {request.spec.symbol} (run {record.id})"
    run.front_end.progress(ProgressEvent(Stage.PREPARE, 0, reading, record.id))
    context, missing = await asyncio.gather(
        asyncio.to_thread(build_context, request.project, request.spec, request.snapshot),
        _missing_dependency(request),
    )
    run.context, record.context_omitted = context, context.omitted
    if missing is not None:
        run.stop(LoopStatus.ERROR, missing)
        record.error_kind = "environment"
        return False
    return True


async def _clarify(run: _Run) -> bool:
    """The model's questions when the spec is ambiguous, and the answers (or the policy's)."""
    record = run.record
    if not run.request.spec.ambiguous:
        record.clarification = Clarification(needed=False)
        return True
    assert run.context is not None
    run.say(Stage.CLARIFY, 0, "Checking what the spec leaves open")
    clarification = await stages.clarify(run.llm, run.context)
    record.clarification = clarification
    run.questions = clarification.questions if clarification.needed else []
    if not run.questions:
        return True
    replies = await run.front_end.ask(run.questions)
    answers = settle_replies(run.questions, replies, run.request.no_assume)
    if answers is None:
        run.stop(LoopStatus.NEEDS_CLARIFICATION)
        return False
    record.answers = answers
    return True


async def _plan(run: _Run) -> bool:
    """The plan (reviewed first when asked), then the spec tests, frozen before any code."""
    request, record = run.request, run.record
    assert run.context is not None
    _check_budget(request.budget, run.llm, run.started)
    run.say(Stage.PLAN, 0, f"Planning the change to {request.spec.symbol}")
    record.plan = await stages.plan(run.llm, run.context, record.answers, run.questions)
    if request.review_plan and not await run.front_end.review_plan(
        request.spec.symbol, record.plan
    ):
        run.stop(LoopStatus.CANCELLED, "The plan was not accepted, so no code was generated.")
        return False
    run.generated_tests = await _tests_from_spec(
        run.llm, run.context, record.answers, run.questions
    )
    record.spec_tests = run.generated_tests  # frozen: no repair attempt may rewrite them
    return True


async def _attempts(run: _Run) -> bool:
    """The samples still wanted, written side by side (a model call each, all told the
    feedback so far), then validated in order; False when the run must stop here.

    The first is written alone: an endpoint that fails (down, rate-limited, answering
    garbage) fails once, not once per sample, and what validation says of it reaches all
    the others. With a remote model the calls after it overlap, so three samples cost
    about two calls' time, not three.
    """
    request, record = run.request, run.record
    context, plan = run.context, record.plan
    assert context is not None and plan is not None
    _check_budget(request.budget, run.llm, run.started)
    left = min(request.samples - len(run.passed), request.budget.max_attempts - run.failures)
    wanted = left if record.attempts else 1
    attempts = [Attempt(number=len(record.attempts) + index) for index in range(1, wanted + 1)]
    record.attempts += attempts
    for index, attempt in enumerate(attempts):
        sample = len(run.passed) + index + 1
        of = f" (sample {sample} of {request.samples})" if request.samples > 1 else ""
        run.say(Stage.GENERATE, attempt.number, f"Writing {request.spec.symbol}{of}")
    feedback = list(run.feedback)
    written = await asyncio.gather(
        *(
            stages.generate(
                run.llm, context, plan, record.answers, run.questions, feedback, attempt.number
            )
            for attempt in attempts
        ),
        return_exceptions=True,
    )
    for attempt, candidate in zip(attempts, written, strict=True):
        if isinstance(candidate, BaseException):
            raise candidate  # the first failed call ends the run, as it would alone
        attempt.candidate = candidate
    for attempt in attempts:
        if not await _checked(run, attempt):
            del record.attempts[record.attempts.index(attempt) + 1 :]  # never validated
            return False
    return True


async def _checked(run: _Run, attempt: Attempt) -> bool:
    """Validate one written candidate; False when the run must stop here."""
    request, record, outcome = run.request, run.record, run.outcome
    spec, number = request.spec, attempt.number
    assert attempt.candidate is not None
    new_source = _place(outcome.original_source, spec.symbol, attempt.candidate)
    if isinstance(new_source, TransformFailure):
        attempt.error = new_source.reason
        run.feedback.append(f"attempt {number}: the code could not be used: {new_source.reason}")
        run.failures += 1
        return True
    if not run.passed:
        outcome.new_source = new_source
        record.diff = unified_diff(outcome.original_source, new_source, spec.path)
    attempt.report = report = await _validated(run, number, new_source)
    if not run.passed:
        outcome.report = report
    if _is_sample(run, report):
        run.passed.append((attempt, new_source))
        if not report.has_evidence and (skipped := run.probe_set().skipped):
            run.stop(LoopStatus.UNVALIDATED, unconfirmed_message(None, _unshowable(skipped)))
            return False
        return True
    return _after_failure(run, number, report)


def _is_sample(run: _Run, report: ValidationReport) -> bool:
    """Every check passed, with evidence like the samples before it (or none, like them)."""
    if not report.all_checks_passed:
        return False
    first = run.passed[0][0].report if run.passed else None
    return report.has_evidence == (first.has_evidence if first else report.has_evidence)


async def _validated(run: _Run, number: int, new_source: str) -> ValidationReport:
    def checking(name: str) -> None:
        run.say(Stage.VALIDATE, number, f"Checking {name}")

    same = next((earlier for earlier, source in run.passed if source == new_source), None)
    if same is not None and same.report is not None:
        # The very code that validated already: the same checks would say the same.
        checking(f"nothing: the same code as attempt {same.number}, which validated")
        return same.report.model_copy(deep=True)
    assert run.context is not None
    original = run.outcome.original_source
    validation = _validation_request(
        run.request, run.context, original, new_source, run.generated_tests
    )
    return await validate(
        replace(validation, spec_examples=run.spec_examples(run.stated)), checking
    )


def _after_failure(run: _Run, number: int, report: ValidationReport) -> bool:
    """What a candidate that did not pass means for the run; False: stop."""
    if (not_run := report.not_run) is not None:
        # Another candidate would be refused the same way: say why and stop.
        run.stop(LoopStatus.UNVALIDATED, not_run.output)
        return False
    if report.all_checks_passed:
        # Its checks passed with evidence where the earlier samples had none, or the
        # other way round: not comparable with them, an attempt spent.
        run.failures += 1
        return True
    run.failures += 1
    run.feedback.append(_feedback(number, report))
    return True


async def _accept(run: _Run) -> bool:
    """Compare the samples by behaviour, settle what they disagree on, judge, confirm.

    The accepted sample (with the answered examples in its docstring) is validated once
    more, with its spec tests judged by the mutants they kill: that report is the one
    the change is offered with. When nothing in it counts as evidence, one case of the
    code is shown for confirmation (`loop/confirmation.py`). False: the user corrected
    the case, and another round of attempts is to be made.
    """
    record = run.record
    settlement = await _settle(run)
    record.evidence = settlement.evidence
    settlement.evidence.confirmations = list(run.confirmations)
    if settlement.unmatched and run.failures < run.request.budget.max_attempts:
        # The answer is what no sample does: it is the spec for another round.
        run.stated += settlement.unmatched
        run.feedback.append(f"{settlement.needs_clarification} It is now an example in the spec.")
        run.passed.clear()
        return False
    if settlement.chosen is None:
        run.stop(LoopStatus.NEEDS_CLARIFICATION, settlement.needs_clarification)
        return True
    attempt, source = run.passed[settlement.chosen]
    report = await _offered(run, attempt, source, settlement.examples)
    report = await _second_round(run, attempt, source, settlement.examples, report)
    if report.passed and not _rests_on_stated_cases(run, report):
        record.status = LoopStatus.VALIDATED
        return True
    if not report.all_checks_passed:
        if run.tests_frozen_at > attempt.number and run.failures < run.request.budget.max_attempts:
            # The second round of spec tests caught it: attempts against both rounds.
            run.failures += 1
            run.feedback.append(_feedback(attempt.number, report))
            run.passed.clear()
            return False
        run.stop(LoopStatus.UNVALIDATED, _judged_error(attempt, report))
        return True
    return await _confirm(run, attempt, source, settlement.examples, report)


async def _second_round(
    run: _Run, attempt: Attempt, source: str, answered: Sequence[str], report: ValidationReport
) -> ValidationReport:
    """When the spec tests kill too few mutants of the accepted code, one more round of
    them, written for what the first leaves unchecked (`loop/test_gaps.py`), and the code
    judged against both rounds; ``report``, as it is, otherwise (once per run)."""
    judged = next((check for check in report.checks if check.name == GENERATED_TESTS), None)
    judgement = judged.mutation if judged is not None else None
    first_round, context, final = run.generated_tests, run.context, run.outcome.new_source
    if run.record.spec_test_rounds or not test_gaps.too_few_killed(judgement):
        return report
    assert judgement is not None and first_round and context is not None and final is not None
    symbol = run.request.spec.symbol
    judged_mutants = await asyncio.to_thread(lambda: spread(mutants(final, symbol), MAX_MUTANTS))
    probed = await _probed_with_mutants(run, final, judged_mutants)
    unchecked = test_gaps.unchecked(
        final,
        symbol,
        judgement,
        [mutant.description for mutant in judged_mutants],
        None if isinstance(probed, str) else probed[:3],
    )
    if not unchecked:
        return report
    _check_budget(run.request.budget, run.llm, run.started)
    run.say(Stage.PLAN, 0, f"Writing more spec tests: the first kill {judgement.score} mutants")
    try:
        more = await stages.write_tests(
            run.llm, context, run.record.answers, run.questions, first_round, unchecked
        )
    except LLMError:
        return report  # the first round still stands, as it was judged
    second = SpecTestRound(unchecked=unchecked, tests=more.code, killed_before=judgement.score)
    run.record.spec_test_rounds.append(second)
    run.generated_tests = run.record.spec_tests = test_gaps.more_tests(first_round, more.code)
    run.tests_frozen_at = len(run.record.attempts) + 1
    report = await _offered(run, attempt, source, answered)
    both = next((check for check in report.checks if check.name == GENERATED_TESTS), None)
    second.killed_after = both.mutation.score if both and both.mutation else None
    return report


def _rests_on_stated_cases(run: _Run, report: ValidationReport) -> bool:
    """Whether the only evidence is cases the user stated during the run (no example of
    the spec's own, no test that counts): then they must rule out enough of the code's
    mutants, as confirmed cases do, before the code counts as validated."""
    counted = {check.name for check in report.checks if check.passed and check.evidence}
    return counted == {SPEC_EXAMPLES} and run.spec_examples([]) is None


async def _offered(
    run: _Run, attempt: Attempt, source: str, answered: Sequence[str]
) -> ValidationReport:
    """The accepted sample with the stated and answered examples in its docstring, judged:
    the new source, the diff and the report the change would be offered with."""
    request, record, outcome = run.request, run.record, run.outcome
    examples = [*run.stated, *answered]
    final = add_examples(source, request.spec.symbol, examples)
    if isinstance(final, TransformFailure):
        final, examples = source, []  # the answers still chose the sample; recorded, not written
    assert record.evidence is not None
    record.evidence.examples_added = examples
    report = await _judge(run, attempt, source, final, examples)
    outcome.new_source, outcome.report = final, report
    record.diff = unified_diff(outcome.original_source, final, request.spec.path)
    record.final_report = report
    return report


async def _confirm(
    run: _Run,
    attempt: Attempt,
    source: str,
    answered: Sequence[str],
    report: ValidationReport,
) -> bool:
    """Show cases of the accepted code and ask whether they are right (`loop/confirmation.py`).

    Yes, until the cases (with those the user stated earlier) rule out enough of its
    mutants: they are examples, run on the code: validated. A correction: an example (or
    feedback) for another round of attempts (False). No answer, or no question left: not
    validated, naming the case. ``report``: the accepted code's, as offered so far.
    """
    request = run.request
    confirming = await _confirming(run, source)
    if isinstance(confirming, str):
        run.stop(LoopStatus.UNVALIDATED, unconfirmed_message(None, confirming))
        return True
    confirming.given([*run.stated, *answered])
    stated_before = list(run.stated)
    while (case := confirming.next_case()) is not None:
        item = CaseConfirmation(call=case.call, outcome=case.outcome.text, attempt=attempt.number)
        run.confirmations.append(item)
        assert run.record.evidence is not None
        run.record.evidence.confirmations = list(run.confirmations)
        left = request.max_questions - run.asked
        if not confirming.attainable(left):
            why = "no question was left" if left <= 0 else "too few questions were left"
            why += f" to confirm enough of it (maxQuestions is {request.max_questions})"
            run.stop(LoopStatus.UNVALIDATED, unconfirmed_message(case, why))
            return True
        run.asked += 1
        question = confirmation.question_for(run.asked, case)
        item.question_id = question.id
        [reply] = await run.front_end.ask([question])
        meaning = confirmation.read_reply(reply, case)
        item.answer, item.confirmed = reply, meaning.confirmed
        run.stated += meaning.examples
        if meaning.correction is not None:
            run.feedback.append(f"attempt {attempt.number}: {meaning.correction}")
            run.passed.clear()
            return False
        if not meaning.confirmed:
            run.stop(LoopStatus.UNVALIDATED, unconfirmed_message(case, "it was not confirmed"))
            return True
        confirming.confirmed(case)
    if not confirming.ruled_out:
        run.stop(LoopStatus.UNVALIDATED, unconfirmed_message(None, _unshowable(_NO_CASE)))
        return True
    if run.stated != stated_before:  # confirmed cases to write into the docstring
        report = await _offered(run, attempt, source, answered)
    if report.passed:
        run.record.status = LoopStatus.VALIDATED
    else:
        run.stop(LoopStatus.UNVALIDATED, _judged_error(attempt, report))
    return True


_NO_CASE = "on no probe input does it differ from its mutants in a way an example can state"


async def _confirming(run: _Run, source: str) -> confirmation.Confirming | str:
    """The accepted code and its mutants run on the probe inputs; or why they cannot be."""
    symbol = run.request.spec.symbol
    mutated = await asyncio.to_thread(confirmation.mutants_of, source, symbol)
    if not mutated:
        return _unshowable("no mutant of it could be made to choose a case against")
    run.say(Stage.VALIDATE, 0, f"Choosing a case of {symbol} to confirm")
    probed = await _probed_with_mutants(run, source, mutated)
    if isinstance(probed, str):
        return _unshowable(probed)
    calls, accepted, outcomes, preferred = probed
    return confirmation.Confirming(calls, accepted, outcomes, preferred)


_Probed = tuple[list[str], list[Outcome], list[list[Outcome]], int]
"""The probe calls, the code's outcomes, each mutant's, and how many calls are the spec's."""


async def _probed_with_mutants(run: _Run, source: str, mutated: Sequence[Mutant]) -> _Probed | str:
    """``source`` and its ``mutated`` versions run on the probe inputs; or why they cannot be."""
    probes = run.probe_set()
    if probes.skipped or not probes.inputs:
        return probes.skipped or "no input could be made for it"
    sources = [source, *(mutant.source for mutant in mutated)]
    probing = _probe_request(run.request, sources, probes.inputs)
    try:
        # Mutants often loop: a short timeout per call keeps them from costing minutes.
        outcomes = await run_probes(replace(probing, call_timeout_s=confirmation.CALL_TIMEOUT_S))
    except (ProbeRefused, ValueError, OSError) as error:
        return f"its code could not be run on probe inputs ({error})"
    calls = [call_text(run.request.spec.symbol, arguments) for arguments in probes.inputs]
    return calls, outcomes[0], outcomes[1:], probes.origins.count("example")


def _unshowable(why: str) -> str:
    return f"no case of it can be shown for confirmation: {why}"


async def _judge(
    run: _Run, attempt: Attempt, source: str, final: str, examples: list[str]
) -> ValidationReport:
    """The accepted sample validated once more, its spec tests judged by their mutants."""
    context = run.context
    assert context is not None

    def checking(name: str) -> None:
        run.say(Stage.VALIDATE, attempt.number, f"Judging {name}")

    validation = _validation_request(
        run.request, context, run.outcome.original_source, final, run.generated_tests
    )
    fresh = attempt.number >= run.tests_frozen_at
    if final == source and not examples and attempt.report is not None and fresh:
        # The very code that validated: only the mutant judgement is new.
        return await judge_validated(validation, attempt.report, checking)
    judged = replace(validation, spec_examples=run.spec_examples(examples), judge_mutants=True)
    return await validate(judged, checking)


def _judged_error(attempt: Attempt, report: ValidationReport) -> str:
    """Why the accepted sample did not validate once judged."""
    failure = report.first_failure()
    if failure is None:
        return (
            "No check of the accepted sample counts as evidence once its spec tests were "
            "judged by the mutants they kill: add an example or a test, then run specloop again."
        )
    return (
        f"The accepted sample (attempt {attempt.number}) failed {failure.name} once judged: "
        f"{failure.output.strip()[:_FEEDBACK_LIMIT]}"
    )


async def _settle(run: _Run) -> Settlement:
    """Which sample to accept: compared on probe inputs when they differ, asking within the
    questions left."""
    request, passed = run.request, run.passed
    attempts = [attempt.number for attempt, _ in passed]
    sources = [source for _, source in passed]
    distinct = list(dict.fromkeys(sources))  # identical code behaves identically: run it once
    if len(distinct) == 1:
        evidence = Evidence(samples=len(passed), chosen_attempt=attempts[0])
        if len(passed) > 1:
            evidence.distinct, evidence.agreeing = 1, len(passed)
        return Settlement(evidence, chosen=0)
    probes = run.probe_set()
    if probes.skipped or not probes.inputs:
        return _uncompared(passed, probes.skipped or "no input could be made")
    comparing = f"Comparing {len(passed)} samples on {len(probes.inputs)} inputs"
    run.front_end.progress(ProgressEvent(Stage.VALIDATE, 0, comparing))
    try:
        by_source = await run_probes(_probe_request(request, distinct, probes.inputs))
    except (ProbeRefused, ValueError, OSError) as error:
        # The samples each validated; they just could not be compared. Say so.
        return _uncompared(passed, f"the samples could not be run on probe inputs ({error})")
    outcomes = [by_source[distinct.index(source)] for source in sources]
    questions_left = max(0, request.max_questions - run.asked)
    weights = None
    if questions_left and len(group_by_behaviour(by_source)) > 1:
        weights = await _confirming_weights(run, distinct, by_source)
    settlement = await settle(
        attempts,
        outcomes,
        probes,
        request.spec.symbol,
        run.front_end.ask,
        questions_left,
        request.no_assume,
        weights,
    )
    run.asked += settlement.evidence.questions_asked
    settlement.evidence.distinct = len(distinct)
    return settlement


async def _confirming_weights(
    run: _Run, distinct: list[str], by_source: list[list[Outcome]]
) -> list[int] | None:
    """Where the spec has no example of its own (a confirmation will be needed), per probe
    input, how many of the samples' mutants an answer there rules out
    (`confirmation.input_weights`); None otherwise, or when they cannot be run."""
    if run.spec_examples([]) is not None:
        return None
    symbol = run.request.spec.symbol
    mutated = [await asyncio.to_thread(confirmation.mutants_of, s, symbol) for s in distinct]
    probes = run.probe_set()
    sources = [mutant.source for mutants_of_one in mutated for mutant in mutants_of_one]
    if not sources:
        return None
    run.say(Stage.VALIDATE, 0, f"Running the samples' mutants to choose what to ask about {symbol}")
    probing = _probe_request(run.request, sources, probes.inputs)
    try:
        outcomes = await run_probes(replace(probing, call_timeout_s=confirmation.CALL_TIMEOUT_S))
    except (ProbeRefused, ValueError, OSError):
        return None
    rows, start = [], 0
    for mutants_of_one in mutated:
        rows.append(outcomes[start : start + len(mutants_of_one)])
        start += len(mutants_of_one)
    calls = [call_text(symbol, arguments) for arguments in probes.inputs]
    return confirmation.input_weights(calls, by_source, rows)


def _uncompared(passed: list[tuple[Attempt, str]], why: str) -> Settlement:
    """The first validated sample, with why the samples were not compared."""
    first = passed[0][0].number
    return Settlement(Evidence(samples=len(passed), probe_skipped=why, chosen_attempt=first), 0)


def _probe_request(
    request: LoopRequest, sources: list[str], inputs: Sequence[Sequence[str]]
) -> ProbeRequest:
    return ProbeRequest(
        project_root=request.project.root,
        module_path=request.spec.path,
        function=request.spec.symbol,
        sources=sources,
        inputs=inputs,
        limits=request.limits,
        open_buffers=_other_buffers(request),
        allow_unisolated=request.allow_unisolated,
        environment=request.environment,
        files=request.files,
    )


def _place(original: str, symbol: str, candidate: Candidate) -> str | TransformFailure:
    result = replace_symbol(original, symbol, candidate.code, candidate.imports)
    return result if isinstance(result, TransformFailure) else result.source


async def _tests_from_spec(
    llm: LLMAdapter, context: Context, answers: Sequence[Answer], questions: Sequence[Question]
) -> str | None:
    if not (context.spec.text or context.docstring):
        return None
    try:
        return (await stages.write_tests(llm, context, answers, questions)).code
    except LLMError:
        return None  # Spec tests are a bonus; the other checks still run.


def _validation_request(
    request: LoopRequest,
    context: Context,
    original: str,
    new_source: str,
    generated_tests: str | None,
) -> ValidationRequest:
    return ValidationRequest(
        project_root=request.project.root,
        module_path=request.spec.path,
        original_source=original,
        new_source=new_source,
        symbol=request.spec.symbol,
        spec_examples=examples_text(context.docstring, request.spec.symbol),
        test_files=sorted({test.path for test in context.tests}),
        regression_tests=context.regression_tests,
        generated_tests=generated_tests,
        limits=request.limits,
        allow_unisolated=request.allow_unisolated,
        open_buffers=_other_buffers(request),
        environment=request.environment,
        files=request.files,
    )


async def _missing_dependency(request: LoopRequest) -> str | None:
    """What the module lacks in the checks' environment (None: nothing, or nothing may run)."""
    isolation = await asyncio.to_thread(detect_isolation)
    if refusal(isolation, request.allow_unisolated) is not None:
        return None  # the checks will say that generated code may not run here
    check = ImportCheck(
        project_root=request.project.root,
        module_path=request.spec.path,
        source=request.snapshot.text,
        environment=request.environment,
        isolation=isolation,
        limits=request.limits,
        open_buffers=_other_buffers(request),
        files=request.files,
    )
    return await missing_dependency(check)


def _feedback(number: int, report: ValidationReport) -> str:
    failure = report.first_failure()
    if failure is None:
        return f"attempt {number}: validation produced no checks"
    output = failure.output.strip()
    if len(output) > _FEEDBACK_LIMIT:
        output = "…" + output[-_FEEDBACK_LIMIT:]
    return f"attempt {number}: {failure.name} failed with:\n{output}"


def _check_budget(budget: Budget, llm: LLMAdapter, started: float) -> None:
    tokens = sum(usage.prompt_tokens + usage.completion_tokens for usage in llm.usage.values())
    if tokens > budget.max_tokens:
        raise BudgetExhausted(f"The token budget ({budget.max_tokens}) was used up.")
    if time.monotonic() - started > budget.deadline_s:
        raise BudgetExhausted(f"The loop ran past its {budget.deadline_s:.0f} s deadline.")


def _other_buffers(request: LoopRequest) -> dict[str, str]:
    return _buffers_besides(request.project, request.snapshot)


def _buffers_besides(project: Project, snapshot: SourceSnapshot) -> dict[str, str]:
    """The project's open buffers except the target's own (the sandbox gets the new text)."""
    return {path: text for path, text in project.open_buffers.items() if path != snapshot.path}
