"""Confirmation: when nothing the run may count checks the accepted code, show one case and ask.

A run whose checks all pass while none of them counts (no spec example, no existing
test, spec tests that fail nowhere or kill no mutant) has code that may well be right
and no evidence that it is. Instead of ending "not validated", the run shows the user
one concrete case of what the code does and asks whether it is right (TiCoder's
"is this right?"): the case is the probe input on which the accepted code differs from
the most of its mutants (`choose_case`), so a Yes rules out the most wrong code. The
options are Yes, what the mutants do there, and "something else".

`read_reply` says what the answer means; this module owns those rules:
- Yes: the case becomes a doctest example in the docstring, and the spec examples check
  then runs it on the code: counted evidence once the confirmed cases rule out `ENOUGH`
  of the mutants that some probe input tells apart from the code (a mutant that behaves
  like it on every input cannot be ruled out by any case, so it is not asked for). The
  cases the user stated earlier in the run (answers to behaviour questions, corrections)
  count towards that as well (`Confirming.given`): when they are all the evidence there
  is, one answer alone does not make code validated.
- What a mutant does, or a value typed as a Python literal ("4", "raise ValueError"):
  the right outcome becomes an example in the spec, and another attempt is made.
- "Something else" without a value: the model is told the case is wrong, and another
  attempt is made (it must be confirmed again).
- No answer (dismissed, timed out, nobody to ask, no question left): never evidence; the
  run stays not validated and names the case to confirm.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from specloop.loop.disagreement import (
    calls_in,
    doctest_lines,
    matching,
    outcome_sentence,
    typed_outcome,
)
from specloop.loop.models import Question
from specloop.validate.behaviour import Outcome
from specloop.validate.mutation import Mutant, mutants, spread

MUTANTS = 12
"""Mutants of the accepted code a case is chosen against (spread over the function)."""
CALL_TIMEOUT_S = 0.25
"""Per call, when the accepted code and its mutants run on the probe inputs."""
ENOUGH = 0.8
"""The share of the distinguishable mutants confirmed cases must rule out before they count
as evidence (`Confirming.distinguishable`)."""
YES = "Yes"
SOMETHING_ELSE = "No, something else"
_MAX_ALTERNATIVES = 2
_YES_WORDS = {"y", "yes", "yes, that is right", "right", "correct", "ok"}


class ConfirmationQuestion(Question):
    """A question about one case of the accepted code: dismissed, it confirms nothing."""

    def dismissal(self) -> str:
        return "Dismiss: nothing is confirmed, and the change stays not validated"


@dataclass(frozen=True)
class Case:
    """One input and what the accepted code does on it."""

    call: str
    outcome: Outcome
    alternatives: list[Outcome] = field(default_factory=list)
    """What the accepted code's mutants do on this input, most common first."""
    rules_out: frozenset[int] = frozenset()
    """The mutants (by index) that do something else here: what a Yes rules out."""

    @property
    def example(self) -> list[str]:
        """The case as doctest lines, as a Yes writes it into the docstring."""
        return doctest_lines(self.call, self.outcome)

    def said(self) -> str:
        """``clamp(1, 5, 0) returns 0``: what the code does, as a sentence."""
        return f"`{self.call}` {outcome_sentence(self.outcome.text)}"


def mutants_of(module_source: str, symbol: str) -> list[Mutant]:
    """The mutants of ``symbol`` a case is chosen against, to run on the probe inputs."""
    return spread(mutants(module_source, symbol), MUTANTS)


def input_weights(
    calls: Sequence[str],
    samples: Sequence[Sequence[Outcome]],
    mutants: Sequence[Sequence[Sequence[Outcome]]],
) -> list[int]:
    """Per input, how many of the samples' mutants (``mutants[i]``: those of ``samples[i]``)
    differ there from their sample in a way an example can state: what an answer about
    that input rules out besides the samples, so a question about the samples' disagreement
    (`disagreement.settle`) prefers the input whose answer also confirms the most."""
    weights = [0] * len(calls)
    for sample, theirs in zip(samples, mutants, strict=True):
        for row in theirs:
            for index, (call, ours, other) in enumerate(zip(calls, sample, row, strict=True)):
                if other.key != ours.key and doctest_lines(call, ours):
                    weights[index] += 1
    return weights


def choose_case(
    calls: Sequence[str],
    accepted: Sequence[Outcome],
    mutants: Sequence[Sequence[Outcome]],
    ruled_out: frozenset[int] = frozenset(),
    preferred: int = 0,
) -> Case | None:
    """The input on which the accepted code differs from the most mutants not yet
    ``ruled_out`` by a confirmed case (ties: the earliest input). The first ``preferred``
    inputs (the spec's own examples) come first when one of them rules out any: the
    user wrote them, so they are the quickest to answer and what the spec cares about.

    Only an outcome a doctest can state qualifies (a value cut to fit a message, or a
    call that does not finish, cannot be written as an example). None: no input rules
    out another mutant.
    """
    cases = [
        _case(call, outcome, [row[index] for row in mutants], ruled_out)
        for index, (call, outcome) in enumerate(zip(calls, accepted, strict=True))
    ]
    for pool in (cases[:preferred], cases):
        found = [case for case in pool if case is not None]
        if found:
            return max(found, key=lambda case: len(case.rules_out))  # first of the best
    return None


def _case(
    call: str, outcome: Outcome, theirs: Sequence[Outcome], ruled_out: frozenset[int]
) -> Case | None:
    """The case of one input, if an example can state it and it rules out some mutant."""
    if not doctest_lines(call, outcome):
        return None
    differing = {
        number
        for number, other in enumerate(theirs)
        if number not in ruled_out and other.key != outcome.key
    }
    if not differing:
        return None
    counts = Counter(theirs[number].key for number in sorted(differing))
    by_key = {theirs[number].key: theirs[number] for number in differing}
    alternatives = [by_key[key] for key, _ in counts.most_common(_MAX_ALTERNATIVES)]
    return Case(call, outcome, alternatives, frozenset(differing))


@dataclass
class Confirming:
    """The cases of one accepted code, asked one at a time until a Yes has ruled out
    `ENOUGH` of its distinguishable mutants: a case that rules out few says little on its own."""

    calls: Sequence[str]
    accepted: Sequence[Outcome]
    mutants: Sequence[Sequence[Outcome]]
    preferred: int = 0
    """The first inputs, from the spec's own examples (`choose_case`)."""
    ruled_out: frozenset[int] = frozenset()

    def next_case(self) -> Case | None:
        """The next case to ask about; None when enough are confirmed or none is left."""
        if self.ruled_out and self.enough:
            return None
        return choose_case(self.calls, self.accepted, self.mutants, self.ruled_out, self.preferred)

    def confirmed(self, case: Case) -> None:
        self.ruled_out |= case.rules_out

    def attainable(self, questions: int) -> bool:
        """Whether Yes to the next ``questions`` cases would make it enough: when not, no
        answer within the budget can validate the code, so none is asked for."""
        trial = Confirming(self.calls, self.accepted, self.mutants, self.preferred, self.ruled_out)
        for _ in range(questions):
            case = trial.next_case()
            if case is None:
                break
            trial.confirmed(case)
        return bool(trial.ruled_out) and trial.enough

    def given(self, examples: Sequence[str]) -> None:
        """Cases the user already stated this run (doctest lines: answers to behaviour
        questions, corrections), which the accepted code does: each rules out the mutants
        that do something else there, as a confirmed case would."""
        for call in calls_in(examples):
            if call not in self.calls:
                continue
            at = list(self.calls).index(call)
            self.ruled_out |= {
                number
                for number, row in enumerate(self.mutants)
                if row[at].key != self.accepted[at].key
            }

    @property
    def enough(self) -> bool:
        """Whether the confirmed cases rule out `ENOUGH` of the mutants a case can rule out."""
        telling = self.distinguishable
        return len(self.ruled_out & telling) >= ENOUGH * len(telling)

    @property
    def distinguishable(self) -> frozenset[int]:
        """The mutants (by index) that differ from the accepted code on some input an example
        can state: only those can be ruled out (the others behave alike on every input)."""
        return frozenset(
            number
            for number, row in enumerate(self.mutants)
            if any(
                theirs.key != ours.key and doctest_lines(call, ours)
                for call, ours, theirs in zip(self.calls, self.accepted, row, strict=True)
            )
        )


def question_for(number: int, case: Case) -> ConfirmationQuestion:
    options = [YES, *(outcome.text for outcome in case.alternatives), SOMETHING_ELSE]
    return ConfirmationQuestion(
        id=f"c{number}",
        text=f"{case.said()}. Is that right?",
        options=options,
        assumption="",
    )


@dataclass(frozen=True)
class Reply:
    """What an answer to a confirmation means for the run."""

    confirmed: bool
    examples: list[str] = field(default_factory=list)
    """Doctest lines the answer adds to the spec (the case, or the right outcome)."""
    correction: str | None = None
    """For another attempt: what the user said the code must do instead (None: confirmed
    or not answered)."""

    @property
    def answered(self) -> bool:
        return self.confirmed or self.correction is not None


def read_reply(reply: str | None, case: Case) -> Reply:
    if reply is None:
        return Reply(False)
    text = reply.strip()
    if text == YES or text.lower() in _YES_WORDS:
        return Reply(True, case.example)
    if text == SOMETHING_ELSE or not text:
        return Reply(False, correction=f"{case.said()}, which is wrong; it must do something else.")
    known = [case.outcome, *case.alternatives]
    wanted = matching(text, [(outcome, []) for outcome in known]) or typed_outcome(text)
    if wanted is None:
        return Reply(False, correction=f"{case.said()}, which is wrong; the user says: {text}")
    if wanted.key == case.outcome.key:
        return Reply(True, case.example)
    return Reply(
        False,
        doctest_lines(case.call, wanted),
        f"{case.said()}, which is wrong: it must {wanted.text}.",
    )


def unconfirmed_message(case: Case | None, why: str) -> str:
    """Why the run is not validated, naming the case the user can confirm."""
    if case is None:
        return (
            f"No check of the new code counts as evidence and {why}: add an example or a "
            "test, then run specloop again."
        )
    example = "\n".join(f"    {line}" for line in case.example)
    return (
        f"No check of the new code counts as evidence, and {why}: {case.said()}. If that is "
        f"right, add it to the docstring as an example and run specloop again:\n{example}"
    )
