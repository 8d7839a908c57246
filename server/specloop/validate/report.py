"""What validation found: one `CheckResult` per check, the `ValidationReport`, and its evidence.

These are the contracts `validate/` hands to the loop (and the loop to its records and
front ends), so they live here, where the checks that make them live; `loop/` imports
them, never the other way round.

``ValidationReport.passed`` is the one definition of "validated": every check passed and
at least one of them exercised the new code. ``evidence_summary`` is the one sentence
every front end shows next to a validated change.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SANDBOX = "sandbox"
SYNTAX = "syntax"
STATIC = "static"
SPEC_EXAMPLES = "spec examples"
EXISTING_TESTS = "tests"
REGRESSION_TESTS = "regression tests"
GENERATED_TESTS = "generated tests"
REACH = "reach"
"""The candidate read for tricks that fake a verdict (`validate/reach.py`)."""


class MutationJudgement(BaseModel):
    """What the tests did to the mutants of the accepted code."""

    model_config = ConfigDict(extra="forbid")

    mutants: int = Field(description="Mutants the tests ran against.")
    killed: int = Field(description="Mutants on which some test failed (or that never finished).")
    kills: dict[str, int] = Field(default_factory=dict, description="Test name -> mutants killed.")
    survivors: list[str] = Field(default_factory=list, description="Mutants no test noticed.")
    made: int = Field(default=0, description="Mutants made before the cap.")

    @property
    def idle_tests(self) -> list[str]:
        """Tests that killed no mutant: they do not count as evidence."""
        return sorted(name for name, kills in self.kills.items() if kills == 0)

    @property
    def counted_tests(self) -> int:
        return sum(1 for kills in self.kills.values() if kills > 0)

    @property
    def score(self) -> str:
        return f"{self.killed}/{self.mutants}"


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    passed: bool
    output: str = ""
    duration_s: float = 0.0
    evidence: bool = Field(
        default=False,
        description="It ran the new code against real expectations and they held: "
        "examples from the spec, existing tests, or spec tests that fail on the old code.",
    )
    count: int | None = Field(
        default=None, description="How many examples or tests ran, when the check counts them."
    )
    ran: bool = Field(
        default=True,
        description="False when the check could not run at all (the sandbox was refused).",
    )
    mutation: MutationJudgement | None = Field(
        default=None, description="For spec tests: what they did to mutants of the accepted code."
    )


class ValidationReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[CheckResult] = Field(default_factory=list)
    isolation: str = Field(
        default="",
        description='How generated code was isolated: "namespaces", "landlock", '
        '"none", or "" when none of it ran.',
    )
    isolation_description: str = ""
    environment: str = Field(
        default="",
        description="The Python the checks ran with: ``checks ran with .venv/bin/python (3.12), "
        ".venv in the project; its own pytest``; empty when none of them ran code.",
    )

    @property
    def passed(self) -> bool:
        """Every check passed and at least one of them exercised the new code."""
        return self.all_checks_passed and self.has_evidence

    @property
    def all_checks_passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def has_evidence(self) -> bool:
        return any(check.passed and check.evidence for check in self.checks)

    def first_failure(self) -> CheckResult | None:
        return next((check for check in self.checks if not check.passed), None)

    @property
    def not_run(self) -> CheckResult | None:
        """The check that could not run at all (generated code was refused the sandbox)."""
        return next((check for check in self.checks if not check.ran), None)


def evidence_summary(report: ValidationReport) -> str:
    """What was checked, as a user reads it next to a change.

    ``validated: 5 checks — syntax, ruff, 1 spec example, 2 existing tests, 2 spec tests
    that fail on the old code``; a check that passed without counting as evidence says so.
    """
    phrases = [_phrase(check) for check in report.checks]
    verdict = "validated" if report.passed else "not validated"
    count = len(report.checks)
    summary = f"{verdict}: {count} check{'s' if count != 1 else ''} — {', '.join(phrases)}"
    if report.isolation and report.isolation != "namespaces":
        summary += f"; generated code ran with weaker isolation ({report.isolation})"
    return summary


def _phrase(check: CheckResult) -> str:
    if not check.ran:
        return f"{_name(check)} NOT RUN"
    if not check.passed:
        return f"{_name(check)} FAILED"
    if check.name in (SYNTAX, STATIC):
        return _name(check)
    if check.name == REACH:
        return "nothing that could fake a verdict"
    if check.name == REGRESSION_TESTS:
        return "the module's other tests still pass"
    if not check.evidence:
        if check.mutation is not None and check.mutation.mutants:
            return (
                f"{_name(check)} (not counted: they kill none of {check.mutation.mutants} mutants)"
            )
        return f"{_name(check)} (not counted: they show nothing about the change)"
    counted = _counted(check)
    judgement = check.mutation
    if judgement is not None and judgement.mutants:
        kill = "kills" if check.count == 1 else "kill"
        counted += f" and {kill} {judgement.killed} of {judgement.mutants} mutants"
        if judgement.idle_tests:
            counted += f" ({len(judgement.idle_tests)} killing none not counted)"
    return counted


def _name(check: CheckResult) -> str:
    names = {STATIC: "ruff", GENERATED_TESTS: "spec tests", REACH: "reading the code for tricks"}
    return names.get(check.name, check.name)


def _counted(check: CheckResult) -> str:
    nouns = {
        SPEC_EXAMPLES: ("spec example", "spec examples", ""),
        EXISTING_TESTS: ("existing test", "existing tests", ""),
        GENERATED_TESTS: ("spec test", "spec tests", " that fail on the old code"),
    }
    singular, plural, tail = nouns.get(check.name, (check.name, check.name, ""))
    if check.count is None:
        return f"{plural}{tail}"
    fails = tail.replace("fail", "fails") if check.count == 1 else tail
    return f"{check.count} {singular if check.count == 1 else plural}{fails}"
