"""How a run ended, once: the structured summary every front end formats.

`summarize` reads a run record into a `RunSummary` — its outcome, each attempt's checks
with one verdict each (passed, failed, not run), the failure to show, the evidence and
what the samples disagreed on, what became of the change. The terminal report and
`--json` (`implement.py`), the editor's messages (`lsp/loop_feature.py`) and the
Markdown report (`rendering.py`) are formatters over it: none of them decides a verdict
or words a check on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from specloop.loop.disagreement import evidence_phrase
from specloop.loop.models import Evidence, LoopStatus, RunRecord, SpecTestRound
from specloop.validate.report import (
    GENERATED_TESTS,
    SPEC_EXAMPLES,
    CheckResult,
    ValidationReport,
    evidence_summary,
)

Verdict = Literal["passed", "failed", "not run"]
FAILED_PHRASES: dict[Verdict, str] = {"failed": "failed", "not run": "could not run", "passed": ""}
"""How a sentence says a check did not pass."""


@dataclass(frozen=True)
class CheckLine:
    name: str
    verdict: Verdict
    duration_s: float

    @classmethod
    def of(cls, check: CheckResult) -> CheckLine:
        verdict: Verdict = "passed" if check.passed else "failed" if check.ran else "not run"
        return cls(check.name, verdict, check.duration_s)


@dataclass(frozen=True)
class AttemptSummary:
    number: int
    error: str | None
    """Why the candidate could not be used at all (no report then)."""
    checked: str | None
    """`evidence_summary` of its report: ``not validated: 3 checks — ...``."""
    checks: tuple[CheckLine, ...]
    failing_check: CheckLine | None
    """The first check that did not pass (failed, or could not run)."""
    failure_output: str | None


@dataclass(frozen=True)
class OutcomeGroup:
    outcome: str
    attempts: tuple[int, ...]


@dataclass(frozen=True)
class DisagreementSummary:
    call: str
    groups: tuple[OutcomeGroup, ...]
    answer: str | None
    assumed: bool


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    status: LoopStatus
    outcome: str
    """In a few words, with what became of a validated change: ``validated, applied``."""
    symbol: str | None
    location: str | None
    """``pricing.py:7``."""
    attempts: tuple[AttemptSummary, ...]
    checks: tuple[CheckLine, ...]
    """Of the final report (the accepted sample, judged) or else the last attempt's."""
    isolation: str
    isolation_description: str
    evidence: str | None
    """What the samples showed: ``3 samples agree on 12 inputs``."""
    judged: str | None
    """`evidence_summary` of the accepted sample's final report."""
    disagreements: tuple[DisagreementSummary, ...]
    examples_added: tuple[str, ...]
    applied: bool | None
    not_applied_reason: str | None
    error: str | None

    @property
    def last_failure(self) -> CheckLine | None:
        """The check that did not pass in the last attempt that had one."""
        for attempt in reversed(self.attempts):
            if attempt.failing_check is not None:
                return attempt.failing_check
        return None


def summarize(record: RunRecord) -> RunSummary:
    spec = record.spec
    last = _last_report(record)
    evidence = record.evidence
    return RunSummary(
        run_id=record.id,
        status=record.status,
        outcome=outcome_text(record),
        symbol=spec.symbol if spec else None,
        location=f"{spec.path}:{spec.line}" if spec else None,
        attempts=tuple(
            _attempt(attempt.number, attempt.error, attempt.report) for attempt in record.attempts
        ),
        checks=tuple(CheckLine.of(check) for check in (last.checks if last else [])),
        isolation=last.isolation if last else "",
        isolation_description=_isolation_description(record),
        evidence=_evidence_text(record),
        judged=evidence_summary(record.final_report) if record.final_report else None,
        disagreements=tuple(
            DisagreementSummary(
                item.call,
                tuple(OutcomeGroup(g.outcome, tuple(g.attempts)) for g in item.outcomes),
                item.answer,
                item.assumed,
            )
            for item in (evidence.disagreements if evidence else [])
        ),
        examples_added=tuple(evidence.examples_added if evidence else ()),
        applied=record.applied,
        not_applied_reason=record.not_applied_reason,
        error=record.error,
    )


def outcome_text(record: RunRecord) -> str:
    """How a run ended in a few words, including what became of a validated change."""
    status = record.status.value.replace("_", " ")
    if record.status is LoopStatus.VALIDATED and record.applied is not None:
        return f"{status}, {'applied' if record.applied else 'not applied'}"
    return status


def _attempt(number: int, error: str | None, report: ValidationReport | None) -> AttemptSummary:
    failure = report.first_failure() if report is not None else None
    output = failure.output.strip() if failure is not None else ""
    return AttemptSummary(
        number=number,
        error=error,
        checked=evidence_summary(report) if report is not None else None,
        checks=tuple(CheckLine.of(check) for check in (report.checks if report else [])),
        failing_check=CheckLine.of(failure) if failure is not None else None,
        failure_output=output or None,
    )


def _isolation_description(record: RunRecord) -> str:
    """The same for every attempt of a run: said once."""
    reports = [attempt.report for attempt in record.attempts if attempt.report is not None]
    return next((r.isolation_description for r in reversed(reports) if r.isolation_description), "")


def _last_report(record: RunRecord) -> ValidationReport | None:
    return record.final_report or (record.attempts[-1].report if record.attempts else None)


# ---------------------------------------------------------------- --json


def json_payload(record: RunRecord) -> dict[str, Any]:
    """The ``--json`` object of a run that ran (`error_payload` for one that did not)."""
    summary = summarize(record)
    payload: dict[str, Any] = {
        **error_payload(summary.status.value, summary.error, record.id),
        "diff": record.diff,
        "checks": [_check_json(line) for line in summary.checks],
        "attempts": len(record.attempts),
        "tokens": record.tokens,
        "target": summary.symbol,
        "isolation": summary.isolation,
        "environment": record.environment.model_dump() if record.environment else None,
        "evidence": _evidence_json(record),
    }
    if payload["error"] is None:
        del payload["error"]
    return payload


def _check_json(line: CheckLine) -> dict[str, Any]:
    passed, ran = line.verdict == "passed", line.verdict != "not run"
    return {"name": line.name, "passed": passed, "ran": ran, "verdict": line.verdict}


def _evidence_text(record: RunRecord) -> str | None:
    """What the samples and the user showed, and how the spec tests came to be."""
    parts = [evidence_phrase(record.evidence) if record.evidence is not None else None]
    parts += [_round_phrase(item) for item in record.spec_test_rounds]
    return "; ".join(part for part in parts if part) or None


def _round_phrase(item: SpecTestRound) -> str:
    """``a second round of spec tests for what the first left unchecked (…): 0/2 -> 2/2
    mutants killed``."""
    unchecked = "; ".join(gap.removeprefix("no test checks ") for gap in item.unchecked)
    after = f" -> {item.killed_after}" if item.killed_after else ""
    return (
        f"a second round of spec tests for what the first left unchecked ({unchecked}): "
        f"{item.killed_before}{after} mutants killed"
    )


def error_payload(status: str, error: str | None, run_id: str | None) -> dict[str, Any]:
    """The keys every ``--json`` object has, also when the run never started or was cancelled."""
    return {"status": status, "error": error, "diff": "", "checks": [], "attempts": 0,
            "tokens": 0, "run_id": run_id}  # fmt: skip


def _evidence_json(record: RunRecord) -> dict[str, Any]:
    """Examples, tests and their mutants, samples, questions."""
    report = _last_report(record)
    checks = {check.name: check for check in (report.checks if report else [])}
    examples = checks.get(SPEC_EXAMPLES)
    spec_tests = checks.get(GENERATED_TESTS)
    mutation = spec_tests.mutation if spec_tests else None
    evidence = record.evidence or Evidence(samples=0)
    return {
        "examples_run": examples.count if examples and examples.passed else 0,
        "spec_tests": {
            "counted": bool(spec_tests and spec_tests.passed and spec_tests.evidence),
            "tests": spec_tests.count if spec_tests else None,
            "mutants": mutation.mutants if mutation else None,
            "killed": mutation.killed if mutation else None,
            "mutation_score": mutation.score if mutation and mutation.mutants else None,
            "not_counted": mutation.idle_tests if mutation else [],
            "frozen": record.spec_tests is not None,
            "second_round": next(
                (item.model_dump(exclude={"tests"}) for item in record.spec_test_rounds), None
            ),
        },
        "samples": evidence.samples,
        "agreeing": evidence.agreeing if evidence.samples else 0,
        "inputs": len(evidence.inputs),
        "probe_seed": evidence.probe_seed,
        "probe_skipped": evidence.probe_skipped,
        "questions_asked": evidence.questions_asked,
        "answered": evidence.answered,
        "assumed": evidence.assumed,
        "examples_added": evidence.examples_added,
        "disagreements": [item.model_dump() for item in evidence.disagreements],
        "confirmations": [item.model_dump() for item in evidence.confirmations],
    }
