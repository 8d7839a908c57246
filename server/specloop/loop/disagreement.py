"""Validated samples that behave differently: the split becomes a question, the answer a test.

`settle` takes the samples that passed validation, runs them on the probe inputs (in the
sandbox, `validate/behaviour.py`) and groups them by behaviour. One group: the samples
agree, and that is evidence. Several: the input whose answer rules out the most becomes
a question whose options are the concrete outcomes ("`clamp(1, 5, 0)`: raise ValueError
· return 5 · return 0"), asked through the front end; the answer drops the samples that
contradict it and becomes a doctest line for the docstring; repeat up to
``max_questions``. Declined (or answered with the stated assumption by a non-interactive
front end): the majority behaviour is taken and said to be assumed — unless ``no_assume``,
or there is no strict majority (that would be a coin flip): then the run needs
clarification, and the disagreement is shown. Still split after the budget: needs
clarification too. This module owns those rules; every front end goes through it.
"""

from __future__ import annotations

import ast
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from specloop.loop.models import Disagreement, Evidence, GroupOutcome, Question
from specloop.loop.probes import ProbeSet
from specloop.validate.behaviour import (
    BehaviourGroup,
    Outcome,
    group_by_behaviour,
    most_telling_input,
    outcomes_at,
)
from specloop.validate.probe_runner import canonical

Ask = Callable[[Sequence[Question]], Awaitable[list[str | None]]]
MAX_OPTIONS = 4


@dataclass
class Settlement:
    """Which sample is accepted (its index in the pool), or why none is."""

    evidence: Evidence
    chosen: int | None = None
    needs_clarification: str | None = None
    """Set when the samples still disagree and nothing may be assumed: says where and how."""
    examples: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    """The answer as doctest lines when no sample does what it says: the spec for another
    round of attempts."""


def call_text(function: str, arguments: Sequence[str]) -> str:
    return f"{function.rsplit('.', 1)[-1]}({', '.join(arguments)})"


_IGNORE_DETAIL = "  # doctest: +IGNORE_EXCEPTION_DETAIL"


def doctest_lines(call: str, outcome: Outcome) -> list[str]:
    """The answer as a doctest: the call and its value, or the exception it raises."""
    if outcome.kind == "return":
        value = outcome.value or "None"
        if value.endswith("…"):
            return []  # cut to fit a message: not the value a doctest would print
        return [f">>> {call}"] if value == "None" else [f">>> {call}", value]
    if outcome.kind == "raise":
        name = outcome.text.removeprefix("raise ")
        return [
            f">>> {call}{_IGNORE_DETAIL}",
            "Traceback (most recent call last):",
            "    ...",
            name,
        ]
    return []  # "does not finish" cannot be written as an example


def calls_in(examples: Sequence[str]) -> list[str]:
    """The calls of doctest lines as `doctest_lines` writes them (``>>> f(1)``: ``f(1)``)."""
    return [
        line.removeprefix(">>> ").removesuffix(_IGNORE_DETAIL)
        for line in examples
        if line.startswith(">>> ")
    ]


def question_for(number: int, call: str, outcomes: Sequence[tuple[Outcome, list[int]]]) -> Question:
    options = [outcome.text for outcome, _ in outcomes[:MAX_OPTIONS]]
    return Question(
        id=f"d{number}",
        text=f"The samples disagree on `{call}`. What should it do?",
        options=options,
        assumption=options[0],
    )


def matching(answer: str, outcomes: Sequence[tuple[Outcome, list[int]]]) -> Outcome | None:
    """The outcome the answer names: an option, or a value typed as a Python literal."""
    text = answer.strip()
    for outcome, _ in outcomes:
        if text == outcome.text:
            return outcome
    for outcome, _ in outcomes:
        if outcome.kind == "return" and outcome.value is not None:
            typed = text.removeprefix("return ").strip()
            if typed == outcome.value or _same_literal(typed, outcome.value):
                return outcome
        if outcome.kind == "raise" and text in (outcome.text.removeprefix("raise "), outcome.text):
            return outcome
    return None


def typed_outcome(text: str) -> Outcome | None:
    """A value typed as a Python literal (``4``, ``return [1, 2]``) or ``raise ValueError``."""
    if text.startswith("raise "):
        name = text.removeprefix("raise ").strip().split("(", 1)[0]
        if name.isidentifier():
            return Outcome(kind="raise", key=f"raise:{name}", text=f"raise {name}")
        return None
    literal = text.removeprefix("return ").strip()
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    shown = repr(value)
    key = f"return:{canonical(value)}"
    return Outcome(kind="return", key=key, text=f"return {shown}", value=shown)


def _same_literal(left: str, right: str) -> bool:
    try:
        return bool(ast.literal_eval(left) == ast.literal_eval(right))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def _strict_majority(groups: Sequence[BehaviourGroup]) -> BehaviourGroup | None:
    if len(groups) == 1 or len(groups[0].members) > len(groups[1].members):
        return groups[0]
    return None


async def settle(
    attempts: Sequence[int],
    outcomes: Sequence[Sequence[Outcome]],
    probes: ProbeSet,
    function: str,
    ask: Ask,
    max_questions: int,
    no_assume: bool,
    weights: Sequence[int] | None = None,
) -> Settlement:
    """Group the samples (``outcomes[i]``: per input, for ``attempts[i]``), ask, pick one.

    ``weights`` (one per input) break ties between equally telling inputs: where nothing
    counts as evidence, how many of the samples' mutants an answer there rules out too
    (`confirmation.input_weights`), so the answer also serves as a confirmed case.
    """
    calls = [call_text(function, arguments) for arguments in probes.inputs]
    groups = group_by_behaviour(outcomes)
    evidence = Evidence(
        samples=len(attempts),
        probe_seed=probes.seed,
        inputs=calls,
        input_origins=list(probes.origins),
        probe_skipped=probes.skipped,
        groups=len(groups),
    )
    settlement = Settlement(evidence)

    asked = 0
    while len(groups) > 1:
        index = most_telling_input(groups, weights)
        assert index is not None  # different groups differ somewhere
        disagreement = _described(calls[index], outcomes_at(groups, index), attempts)
        evidence.disagreements.append(disagreement)
        if asked >= max_questions and asked > 0:
            settlement.needs_clarification = (
                f"The samples still disagree after {asked} question(s): {_shown(disagreement)}."
            )
            return settlement
        at = outcomes_at(groups, index)
        reply = None
        if max_questions > 0:
            asked += 1
            question = question_for(asked, calls[index], at)
            disagreement.question_id = question.id
            [reply] = await ask([question])
        if reply is None:  # declined, or not asked (no question budget)
            narrowed = _assumed(groups, index, no_assume, disagreement, settlement)
        else:
            narrowed = _answered(groups, index, at, reply, calls[index], disagreement, settlement)
        if narrowed is None:
            return settlement
        groups = narrowed
    return _chose(settlement, groups[0], attempts)


def _assumed(
    groups: list[BehaviourGroup],
    index: int,
    no_assume: bool,
    disagreement: Disagreement,
    settlement: Settlement,
) -> list[BehaviourGroup] | None:
    """The majority's behaviour, said to be assumed; None (and why) when none may be taken."""
    majority = _majority_or_why(groups, no_assume)
    if isinstance(majority, str):
        shown = _shown(disagreement)
        settlement.needs_clarification = f"The samples disagree and {majority}: {shown}."
        return None
    disagreement.answer, disagreement.assumed = majority.outcomes[index].text, True
    return [majority]


def _answered(
    groups: list[BehaviourGroup],
    index: int,
    at: Sequence[tuple[Outcome, list[int]]],
    reply: str,
    call: str,
    disagreement: Disagreement,
    settlement: Settlement,
) -> list[BehaviourGroup] | None:
    """The samples that do what the user answered; None (and why) when none does."""
    chosen = matching(reply, at)
    disagreement.answer = chosen.text if chosen is not None else reply
    if chosen is None:
        settlement.needs_clarification = (
            f"No sample does what you answered for `{call}` ({reply}); "
            "add it as an example to the docstring and run specloop again."
        )
        stated = typed_outcome(reply.strip())
        settlement.unmatched = doctest_lines(call, stated) if stated is not None else []
        return None
    settlement.examples += doctest_lines(call, chosen)
    return [group for group in groups if group.outcomes[index].key == chosen.key]


def _described(
    call: str, at: Sequence[tuple[Outcome, list[int]]], attempts: Sequence[int]
) -> Disagreement:
    """The samples' outcomes on one input, each with the attempts that had it."""
    return Disagreement(
        call=call,
        outcomes=[
            GroupOutcome(outcome=outcome.text, attempts=[attempts[i] for i in members])
            for outcome, members in at
        ],
    )


def _chose(settlement: Settlement, final: BehaviourGroup, attempts: Sequence[int]) -> Settlement:
    settlement.chosen = final.members[0]
    evidence = settlement.evidence
    evidence.agreeing = len(final.members)
    evidence.chosen_attempt = attempts[final.members[0]]
    evidence.examples_added = list(settlement.examples)
    return settlement


def _majority_or_why(groups: Sequence[BehaviourGroup], no_assume: bool) -> BehaviourGroup | str:
    """The behaviour a strict majority of samples has, or why none may be taken."""
    if no_assume:
        return "nothing may be assumed (no-assume)"
    return _strict_majority(groups) or "no behaviour has a majority"


def _shown(disagreement: Disagreement) -> str:
    outcomes = " · ".join(
        f"{item.outcome} (attempt{'s' if len(item.attempts) > 1 else ''} "
        f"{', '.join(map(str, item.attempts))})"
        for item in disagreement.outcomes
    )
    return f"`{disagreement.call}`: {outcomes}"


def _samples_phrase(evidence: Evidence) -> str:
    if evidence.samples <= 1:
        return "1 sample (no other sample to compare behaviour with)"
    if evidence.distinct == 1:
        return f"{evidence.samples} samples, all the same code"
    if evidence.probe_skipped:
        return f"{evidence.samples} samples, not compared: {evidence.probe_skipped}"
    inputs = len(evidence.inputs)
    samples = f"{evidence.samples} samples"
    if evidence.distinct is not None and evidence.distinct < evidence.samples:
        samples += f" ({evidence.distinct} different)"
    if evidence.groups == 1:
        return f"{samples} agree on {inputs} inputs"
    phrase = (
        f"{evidence.agreeing} of {samples} agree on {inputs} inputs after "
        f"{evidence.questions_asked} question(s) ({evidence.answered} answered"
    )
    if evidence.assumed:
        phrase += f", {evidence.assumed} assumed: majority behaviour taken"
    return phrase + ")"


def evidence_phrase(evidence: Evidence) -> str:
    """The evidence beyond the checks, as a reviewer reads it: the samples, then the cases
    the user confirmed (``1 case confirmed by you: `largest([])` returns 0``)."""
    phrase = _samples_phrase(evidence)
    confirmed = [f"`{item.call}` {outcome_sentence(item.outcome)}" for item in evidence.confirmed]
    if confirmed:
        cases = "case" if len(confirmed) == 1 else "cases"
        phrase += f"; {len(confirmed)} {cases} confirmed by you: {', '.join(confirmed)}"
    return phrase


def outcome_sentence(outcome_text: str) -> str:
    """``return 0`` -> ``returns 0``, ``raise X`` -> ``raises X``: an outcome in a sentence."""
    verb, _, rest = outcome_text.partition(" ")
    return {"return": f"returns {rest}", "raise": f"raises {rest}"}.get(verb, outcome_text)
