"""Turning behaviour groups into questions and answers into choices (pure logic, no sandbox)."""

from __future__ import annotations

from collections.abc import Sequence

from specloop.loop.disagreement import doctest_lines, evidence_phrase, matching, settle
from specloop.loop.front_end import settle_replies
from specloop.loop.models import Question
from specloop.loop.probes import ProbeSet
from specloop.validate.behaviour import Outcome

PROBES = ProbeSet(
    0, ("value", "low", "high"), [["5", "0", "3"], ["1", "5", "0"]], ["example", "edge"]
)


def returns(value: str) -> Outcome:
    return Outcome(kind="return", key=f"return:{value}", text=f"return {value}", value=value)


RAISES = Outcome(kind="raise", key="raise:ValueError", text="raise ValueError")
RIGHT = [returns("3"), RAISES]
LOW = [returns("3"), returns("5")]
HIGH = [returns("3"), returns("0")]


class User:
    """Answers each question with a scripted reply (None: declines) and keeps what it saw."""

    def __init__(self, *replies: str | None) -> None:
        self.replies = list(replies)
        self.asked: list[Question] = []

    async def __call__(self, questions: Sequence[Question]) -> list[str | None]:
        self.asked += questions
        return [self.replies.pop(0) for _ in questions]


async def test_agreeing_samples_need_no_question():
    user = User()
    settled = await settle([1, 2, 3], [RIGHT, RIGHT, RIGHT], PROBES, "clamp", user, 3, False)
    assert settled.chosen == 0 and user.asked == []
    assert evidence_phrase(settled.evidence) == "3 samples agree on 2 inputs"


async def test_the_question_offers_the_concrete_outcomes_and_the_answer_chooses():
    user = User("raise ValueError")
    settled = await settle([1, 2, 3], [LOW, RIGHT, HIGH], PROBES, "clamp", user, 3, False)
    (question,) = user.asked
    assert question.text == "The samples disagree on `clamp(1, 5, 0)`. What should it do?"
    assert question.options == ["return 5", "raise ValueError", "return 0"]
    assert settled.chosen == 1 and settled.evidence.chosen_attempt == 2
    assert settled.examples == doctest_lines("clamp(1, 5, 0)", RAISES)
    (disagreement,) = settled.evidence.disagreements
    assert disagreement.answer == "raise ValueError" and not disagreement.assumed
    assert [item.attempts for item in disagreement.outcomes] == [[1], [2], [3]]


async def test_a_typed_value_is_matched_as_a_literal():
    assert matching(" 0 ", [(returns("0"), [0])]) == returns("0")
    assert matching("return 0.0", [(returns("0"), [0])]) == returns("0")
    assert matching("ValueError", [(RAISES, [0])]) == RAISES
    user = User("7")
    settled = await settle([1, 2], [LOW, HIGH], PROBES, "clamp", user, 3, False)
    assert settled.chosen is None and "No sample does what you answered" in (
        settled.needs_clarification or ""
    )


async def test_declined_takes_a_strict_majority_and_says_it_was_assumed():
    settled = await settle([1, 2, 3], [LOW, RIGHT, LOW], PROBES, "clamp", User(None), 3, False)
    assert settled.chosen == 0 and settled.examples == []
    assert settled.evidence.assumed == 1 and settled.evidence.agreeing == 2
    assert "1 assumed: majority behaviour taken" in evidence_phrase(settled.evidence)


async def test_no_majority_or_no_assume_needs_clarification():
    tie = await settle([1, 2], [LOW, RIGHT], PROBES, "clamp", User(None), 3, False)
    assert tie.chosen is None and "no behaviour has a majority" in (tie.needs_clarification or "")
    strict = await settle([1, 2, 3], [LOW, RIGHT, LOW], PROBES, "clamp", User(None), 3, True)
    assert strict.chosen is None
    assert "`clamp(1, 5, 0)`: return 5 (attempts 1, 3) · raise ValueError (attempt 2)" in (
        strict.needs_clarification or ""
    )


async def test_still_split_after_the_budget_is_not_a_coin_flip():
    probes = ProbeSet(0, ("x",), [["1"], ["2"]], ["edge", "edge"])
    a, b, c = (
        [returns("1"), returns("1")],
        [returns("2"), returns("1")],
        [returns("1"), returns("3")],
    )
    # Question 1 on input 0 ("return 1" keeps a and c); the budget ends before input 1.
    settled = await settle([1, 2, 3], [a, b, c], probes, "f", User("return 1"), 1, False)
    assert settled.chosen is None
    assert "still disagree after 1 question(s)" in (settled.needs_clarification or "")
    assert [item.call for item in settled.evidence.disagreements] == ["f(1)", "f(2)"]
    settled = await settle(
        [1, 2, 3], [a, b, c], probes, "f", User("return 1", "return 3"), 2, False
    )
    assert settled.chosen == 2 and settled.evidence.questions_asked == 2


def test_doctest_lines_for_values_none_exceptions_and_hangs():
    assert doctest_lines("f(1)", returns("'a'")) == [">>> f(1)", "'a'"]
    assert doctest_lines("f(1)", returns("None")) == [">>> f(1)"]
    assert doctest_lines("f(1)", RAISES)[0] == ">>> f(1)  # doctest: +IGNORE_EXCEPTION_DETAIL"
    assert doctest_lines("f(1)", Outcome(kind="timeout", key="timeout", text="x")) == []


async def test_the_record_view_shows_the_disagreement_and_what_settled_it():
    from specloop.loop.models import LoopStatus, RunRecord
    from specloop.loop.rendering import render_record

    settled = await settle([1, 2, 3], [LOW, RIGHT, LOW], PROBES, "clamp", User(None), 3, False)
    record = RunRecord(id="r1", status=LoopStatus.VALIDATED, evidence=settled.evidence)
    shown = render_record(record)
    assert "## Evidence beyond the model" in shown
    assert "2 of 3 samples agree on 2 inputs after 1 question(s)" in shown
    assert "Samples disagree on `clamp(1, 5, 0)`:" in shown
    assert "- raise ValueError — attempt 2" in shown
    assert "→ **return 5** (assumed: the majority)" in shown


def test_the_phrase_says_when_samples_were_the_same_code():
    from specloop.loop.models import Evidence

    assert evidence_phrase(Evidence(samples=3, distinct=1, agreeing=3)) == (
        "3 samples, all the same code"
    )
    mixed = Evidence(samples=3, distinct=2, agreeing=3, inputs=["f(1)", "f(2)"])
    assert evidence_phrase(mixed) == "3 samples (2 different) agree on 2 inputs"


async def test_without_a_question_budget_nothing_is_asked_and_the_majority_is_assumed():
    user = User()
    settled = await settle([1, 2, 3], [LOW, RIGHT, LOW], PROBES, "clamp", user, 0, False)
    assert user.asked == [] and settled.chosen == 0 and settled.evidence.assumed == 1
    settled = await settle([1, 2, 3], [LOW, RIGHT, LOW], PROBES, "clamp", user, 0, True)
    assert settled.chosen is None and "no-assume" in (settled.needs_clarification or "")


def test_a_declined_question_takes_its_assumption_unless_nothing_may_be_assumed():
    """One policy for every front end: the terminal, the editor and the benchmarks only
    say what the user answered or that they declined."""
    questions = [
        Question(id="q1", text="Which?", options=["a", "b"], assumption="b"),
        Question(id="q2", text="Where?", options=["x", "y"], assumption="y"),
    ]
    answers = settle_replies(questions, ["a", None], no_assume=False)
    assert answers is not None
    assert [(a.answer, a.assumed) for a in answers] == [("a", False), ("y", True)]
    assert settle_replies(questions, ["a", None], no_assume=True) is None
    assert settle_replies(questions, ["a", "x"], no_assume=True) is not None


async def test_weights_choose_between_equally_telling_inputs():
    probes = ProbeSet(0, ("x",), [["1"], ["2"]], ["edge", "edge"])
    a, b, c = (
        [returns("1"), returns("1")],
        [returns("2"), returns("1")],
        [returns("1"), returns("3")],
    )
    user = User("return 3")
    settled = await settle([1, 2, 3], [a, b, c], probes, "f", user, 1, True, [0, 4])
    assert user.asked[0].text == "The samples disagree on `f(2)`. What should it do?"
    assert settled.chosen == 2 and settled.examples == [">>> f(2)", "3"]
