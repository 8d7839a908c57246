"""The pydantic models every stage hands to the next: the loop's contracts.

The models the LLM must produce (Clarification, Plan, Candidate) double as the
JSON schemas sent as ``response_format``; keep their fields few and described.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from specloop.validate.report import ValidationReport


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stage(StrEnum):
    PREPARE = "prepare"
    """Finding the target, gathering its context, starting the model."""
    CLARIFY = "clarify"
    PLAN = "plan"
    GENERATE = "generate"
    VALIDATE = "validate"


class SpecItem(_Model):
    """One written request that belongs to the target: a TODO-style comment or a stub docstring."""

    kind: str = Field(description='"comment" or "docstring".')
    line: int = Field(description="1-based first line.")
    marker: str | None = Field(default=None, description="TODO, FIXME, XXX or HACK.")
    text: str
    ambiguous: bool = Field(description="The detector labels it ambiguous (docs/rubric.md).")


class LoopSpec(_Model):
    """What the user asked for: a function or class, and every spec written for it.

    The same whichever line of the target the user pointed at: its docstring (when it
    is a stub's) and every TODO/FIXME in its body or directly above it.
    """

    path: str = Field(description="File path relative to the project root.")
    line: int = Field(description="1-based line of the target's def or class keyword.")
    first_line: int = Field(description="1-based first line of the target, decorators included.")
    last_line: int = Field(description="1-based last line of the target.")
    kind: str = Field(description='"comment", "docstring" or "symbol" (no spec, just a symbol).')
    text: str = Field(description="The specs' words, one per line (empty for a bare symbol).")
    symbol: str = Field(description='Qualified name of the target, e.g. "Account.charge".')
    symbol_kind: str = Field(description='"function", "method" or "class".')
    items: list[SpecItem] = Field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        """Some spec leaves a facet open, so the loop asks before it plans."""
        return any(item.ambiguous for item in self.items)


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
    import_name: str = Field(
        default="", description="The module's dotted name, as the tests import it."
    )
    regression_tests: list[str] = Field(
        default_factory=list,
        description="Test files that import the target's module: run as a regression check, "
        "not shown to the model.",
    )


# ---------------------------------------------------------------- what the model produces


class Question(_Model):
    id: str = Field(description='A short identifier, e.g. "q1".')
    text: str = Field(description="One clarifying question about the spec.")
    options: list[str] = Field(
        min_length=2, max_length=4, description="2 to 4 concrete, mutually exclusive answers."
    )
    assumption: str = Field(description="The option taken if the user does not answer.")

    def dismissal(self) -> str:
        """What declining the question does, as a front end tells the user."""
        return f"Dismiss to assume: {self.assumption}"


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


class GroupOutcome(_Model):
    """What some samples did on one input."""

    outcome: str = Field(description='"return 5", "raise ValueError", "does not finish".')
    attempts: list[int] = Field(description="The attempts whose candidates did this.")


class Disagreement(_Model):
    """An input on which the validated samples did different things, and what settled it."""

    call: str = Field(description='The call, e.g. "clamp(1, 5, 0)".')
    outcomes: list[GroupOutcome]
    question_id: str | None = None
    answer: str | None = Field(default=None, description="The outcome taken, if one was.")
    assumed: bool = Field(default=False, description="Taken as the majority, not answered.")


class CaseConfirmation(_Model):
    """A case of the accepted code shown to the user for confirmation, and what they said."""

    call: str = Field(description='The call, e.g. "clamp(1, 5, 0)".')
    outcome: str = Field(description='What the accepted code did: "return 0".')
    attempt: int = Field(description="The attempt whose code it was.")
    question_id: str | None = Field(default=None, description="None: no question was left.")
    answer: str | None = Field(default=None, description="None: not answered.")
    confirmed: bool = False


class Evidence(_Model):
    """Evidence that does not depend on the model: samples, probe inputs, questions, examples."""

    samples: int = Field(default=1, description="Candidates that passed validation.")
    distinct: int | None = Field(default=None, description="How many of them differ in code.")
    probe_seed: int = 0
    inputs: list[str] = Field(default_factory=list, description="The probe calls, in order.")
    input_origins: list[str] = Field(default_factory=list)
    probe_skipped: str | None = Field(default=None, description="Why no input was probed.")
    groups: int = Field(default=1, description="Behaviour groups among the samples at first.")
    agreeing: int = Field(default=1, description="Samples that agree with the accepted one.")
    disagreements: list[Disagreement] = Field(default_factory=list)
    examples_added: list[str] = Field(
        default_factory=list, description="Doctest lines added to the docstring from answers."
    )
    chosen_attempt: int | None = None
    confirmations: list[CaseConfirmation] = Field(
        default_factory=list, description="Cases shown for confirmation, in order."
    )

    @property
    def confirmed(self) -> list[CaseConfirmation]:
        return [item for item in self.confirmations if item.confirmed]

    @property
    def questions_asked(self) -> int:
        return sum(1 for item in self.disagreements if item.question_id)

    @property
    def answered(self) -> int:
        return sum(1 for item in self.disagreements if item.answer and not item.assumed)

    @property
    def assumed(self) -> int:
        return sum(1 for item in self.disagreements if item.assumed)


class SpecTestRound(_Model):
    """A second round of spec tests: what the first left unchecked, and what it killed."""

    unchecked: list[str] = Field(
        description="What no test of the first round checked, as the test writer was told."
    )
    tests: str = Field(description="The tests of this round (frozen, like the first).")
    killed_before: str = Field(description='The first round\'s mutation score, e.g. "3/12".')
    killed_after: str | None = Field(
        default=None, description="Both rounds' score on the same code (None: not judged)."
    )


class LoopStatus(StrEnum):
    VALIDATED = "validated"
    UNVALIDATED = "unvalidated"
    NEEDS_CLARIFICATION = "needs_clarification"
    CANCELLED = "cancelled"
    """The user stopped the run, or did not accept its plan."""
    ERROR = "error"
    CLARIFIED = "clarified"
    """Clarify rewrote a TODO from the user's answers; no code was generated."""


class EnvironmentInfo(_Model):
    """The Python the checks of a run used, and how it was found."""

    python: str
    version: str
    source: str
    description: str = Field(description='"checks ran with .venv/bin/python (3.12), ..."')


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
    spec_tests: str | None = Field(
        default=None, description="Tests written from the spec before generation: frozen."
    )
    spec_test_rounds: list[SpecTestRound] = Field(
        default_factory=list,
        description="More spec tests, asked for when the first kill too few mutants.",
    )
    attempts: list[Attempt] = Field(default_factory=list)
    evidence: Evidence | None = None
    final_report: ValidationReport | None = Field(
        default=None,
        description="The accepted sample's report, answered examples and judged tests included.",
    )
    diff: str = ""
    environment: EnvironmentInfo | None = Field(
        default=None, description="The Python environment the checks ran with."
    )
    usage: list[Usage] = Field(default_factory=list)
    exchanges: list[Exchange] = Field(default_factory=list)
    error: str | None = None
    error_kind: str | None = Field(
        default=None,
        description='What kind of error ended the run: "config" (a setting to '
        'fix: key, model, endpoint), "timeout", "rate_limit", ...',
    )
    duration_s: float = 0.0
    applied: bool | None = Field(
        default=None, description="Whether the validated change was applied (None: not offered)."
    )
    not_applied_reason: str | None = None

    @property
    def tokens(self) -> int:
        return sum(usage.prompt_tokens + usage.completion_tokens for usage in self.usage)
