"""How a run talks to whoever started it: the front-end protocol and what passes through it.

The terminal (`specloop implement`), the language server and the benchmarks each
implement `FrontEnd`; the run (`loop/orchestrate.py`) and the runner call it and never
know which one they talk to. Every method may take as long as the user takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from specloop.loop.models import Answer, Plan, Question, Stage

if TYPE_CHECKING:
    from specloop.loop.orchestrate import Proposal


@dataclass(frozen=True)
class ProgressEvent:
    stage: Stage
    attempt: int
    message: str
    run_id: str | None = None
    """Set on the first event of a run, so a front end can name its record."""

    def line(self) -> str:
        """One line for a progress bar or a log: ``[generate] attempt 2: Writing charge``."""
        attempt = f" attempt {self.attempt}:" if self.attempt else ""
        return f"[{self.stage.value}]{attempt} {self.message}"


@dataclass(frozen=True)
class Offered:
    """What became of a proposal: applied, or why not (a sentence the user can act on)."""

    applied: bool
    reason: str | None = None
    conflict: bool = False
    """Not applied because the user changed the target meanwhile: running again may help."""
    declined: bool = False
    """Not applied because the user said so: their decision, not a problem."""
    part: str | None = None
    """Applied only the part of the change the user kept, which passed the run's checks on
    its own (`orchestrate.check_part`): their evidence."""


class FrontEnd(Protocol):
    def progress(self, event: ProgressEvent) -> None:
        """Show what the run is doing now."""

    async def ask(self, questions: Sequence[Question]) -> list[str | None]:
        """Per question, in order: what the user answered, or None when they declined
        (dismissed it, or nobody is there to ask). What a decline means is the run's
        policy (`settle_replies`), never the front end's."""

    async def review_plan(self, symbol: str, plan: Plan) -> bool:
        """Whether the user accepts the plan before any code is generated."""

    async def offer(self, proposal: Proposal) -> Offered:
        """Offer a validated change for review; only validated changes are ever offered."""


def settle_replies(
    questions: Sequence[Question], replies: Sequence[str | None], no_assume: bool
) -> list[Answer] | None:
    """The one policy for declined questions, the same in every front end: each takes its
    stated assumption (or its first option), recorded as assumed — or, with
    ``no_assume``, the run stops for clarification (None)."""
    answers = []
    for question, reply in zip(questions, replies, strict=True):
        if reply is not None:
            answers.append(Answer(question_id=question.id, answer=reply, assumed=False))
            continue
        if no_assume:
            return None
        choice = question.assumption if question.assumption in question.options else None
        answers.append(
            Answer(question_id=question.id, answer=choice or question.options[0], assumed=True)
        )
    return answers
