"""The pydantic models every stage hands to the next: the loop's contracts.

The models the LLM must produce (Clarification, Plan, Candidate) double as the
JSON schemas sent as ``response_format``; keep their fields few and described.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stage(StrEnum):
    CLARIFY = "clarify"
    PLAN = "plan"
    GENERATE = "generate"
    VALIDATE = "validate"


class LoopSpec(_Model):
    """What the user asked for: the spec at a line, and the symbol it belongs to."""

    path: str = Field(description="File path, as given by the user.")
    line: int = Field(description="1-based line of the spec or symbol.")
    kind: str = Field(description='"comment", "docstring" or "symbol" (no spec, just a symbol).')
    text: str = Field(description="The spec's words (empty for a bare symbol).")
    symbol: str = Field(description='Qualified name of the target, e.g. "Account.charge".')
    symbol_kind: str = Field(description='"function", "method" or "class".')


class TestReference(_Model):
    path: str
    name: str
    source: str


class Context(_Model):
    """What the model sees about the code, bounded by a token budget."""

    spec: LoopSpec
    module_path: str
    target_source: str = Field(description="The current source of the target definition.")
    signature: str
    docstring: str | None = None
    imports: list[str] = Field(default_factory=list, description="Import lines of the module.")
    callees: list[str] = Field(default_factory=list, description="Signatures it calls.")
    callers: list[str] = Field(default_factory=list, description="Signatures that call it.")
    tests: list[TestReference] = Field(default_factory=list)
    omitted: list[str] = Field(default_factory=list, description="Left out to fit the budget.")
    token_estimate: int = 0


# ---------------------------------------------------------------- what the model produces


class Question(_Model):
    id: str = Field(description='A short identifier, e.g. "q1".')
    text: str = Field(description="One clarifying question about the spec.")
    options: list[str] = Field(
        min_length=2, max_length=4, description="2 to 4 concrete, mutually exclusive answers."
    )
    assumption: str = Field(description="The option taken if the user does not answer.")


class Clarification(_Model):
    needed: bool = Field(description="True only if a competent engineer would have to guess.")
    questions: list[Question] = Field(default_factory=list, max_length=3)


class Plan(_Model):
    steps: list[str] = Field(min_length=1, max_length=8, description="What the change does.")
    touched_symbols: list[str] = Field(
        min_length=1, description="Qualified names of the symbols the change edits."
    )
    checks: list[str] = Field(
        default_factory=list, description="Behaviours the tests should check, one per item."
    )


class Candidate(_Model):
    code: str = Field(description="The complete new definition of the target symbol.")
    imports: list[str] = Field(
        default_factory=list, description='Import statements it needs, e.g. "import math".'
    )


class GeneratedTests(_Model):
    code: str = Field(description="pytest test functions written from the spec alone.")


# ---------------------------------------------------------------- what the loop records


class Answer(_Model):
    question_id: str
    answer: str
    assumed: bool = Field(description="True when the question's assumption was taken.")


class CheckResult(_Model):
    name: str
    passed: bool
    output: str = ""
    duration_s: float = 0.0
    evidence: bool = Field(
        default=False,
        description="It ran the new code against real expectations and they held: "
        "examples from the spec, existing tests, or spec tests that fail on the old code.",
    )


class ValidationReport(_Model):
    checks: list[CheckResult] = Field(default_factory=list)

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


class Usage(_Model):
    """Tokens, cost and time spent in one stage."""

    stage: Stage
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0


class Exchange(_Model):
    """One request to the model and what came back (secrets redacted)."""

    stage: Stage
    attempt: int
    messages: list[dict[str, str]]
    response: str
    duration_s: float
    error: str | None = None


class Attempt(_Model):
    number: int
    candidate: Candidate | None = None
    report: ValidationReport | None = None
    error: str | None = None


class LoopStatus(StrEnum):
    VALIDATED = "validated"
    UNVALIDATED = "unvalidated"
    NEEDS_CLARIFICATION = "needs_clarification"
    ERROR = "error"


class RunRecord(_Model):
    id: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    status: LoopStatus = LoopStatus.ERROR
    model: str = ""
    spec: LoopSpec | None = None
    context_omitted: list[str] = Field(default_factory=list)
    clarification: Clarification | None = None
    answers: list[Answer] = Field(default_factory=list)
    plan: Plan | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    diff: str = ""
    usage: list[Usage] = Field(default_factory=list)
    exchanges: list[Exchange] = Field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0

    @property
    def tokens(self) -> int:
        return sum(usage.prompt_tokens + usage.completion_tokens for usage in self.usage)
