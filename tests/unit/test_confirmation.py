"""Choosing the case to confirm and reading the answer (pure logic, no sandbox)."""

from __future__ import annotations

from specloop.loop.confirmation import (
    SOMETHING_ELSE,
    YES,
    Case,
    Confirming,
    choose_case,
    input_weights,
    question_for,
    read_reply,
    unconfirmed_message,
)
from specloop.loop.disagreement import evidence_phrase, typed_outcome
from specloop.loop.models import CaseConfirmation, Evidence, Question
from specloop.validate.behaviour import Outcome

CALLS = ["pop([])", "pop([1])", "pop([1, 2])"]


def returns(value: str) -> Outcome:
    return Outcome(kind="return", key=f"return:int:{value}", text=f"return {value}", value=value)


RAISES = Outcome(kind="raise", key="raise:IndexError", text="raise IndexError")
NEVER = Outcome(kind="timeout", key="timeout", text="does not finish")
ACCEPTED = [RAISES, returns("1"), returns("2")]


def test_the_case_is_where_the_code_differs_from_the_most_mutants():
    mutants = [
        [returns("0"), returns("1"), returns("2")],
        [RAISES, returns("1"), returns("1")],
        [RAISES, returns("1"), returns("0")],
    ]
    case = choose_case(CALLS, ACCEPTED, mutants)
    assert case is not None
    assert (case.call, case.outcome) == ("pop([1, 2])", returns("2"))
    assert case.rules_out == frozenset({1, 2})
    assert case.alternatives == [returns("1"), returns("0")]
    assert case.example == [">>> pop([1, 2])", "2"]
    # Once those are ruled out, the next case is the one that rules out the rest.
    follow = choose_case(CALLS, ACCEPTED, mutants, case.rules_out)
    assert follow is not None and follow.call == "pop([])" and follow.rules_out == {0}


def test_no_case_where_nothing_differs_or_no_example_can_state_it():
    assert choose_case(CALLS, ACCEPTED, [ACCEPTED, ACCEPTED]) is None
    accepted = [NEVER, returns("1"), returns("2")]
    assert choose_case(CALLS, accepted, [[RAISES, returns("1"), returns("2")]]) is None


def test_the_question_shows_the_case_and_dismissing_it_assumes_nothing():
    case = choose_case(CALLS, ACCEPTED, [[returns("0"), returns("1"), returns("2")]])
    assert case is not None
    question = question_for(1, case)
    assert question.text == "`pop([])` raises IndexError. Is that right?"
    assert question.options == [YES, "return 0", SOMETHING_ELSE]
    assert "not validated" in question.dismissal()
    assert "assume" in Question(id="q", text="?", options=["a", "b"], assumption="a").dismissal()


def test_yes_makes_the_case_an_example():
    case = choose_case(CALLS, ACCEPTED, [[returns("0"), returns("1"), returns("2")]])
    assert case is not None
    for reply in (YES, "y", "yes", "raise IndexError"):
        meaning = read_reply(reply, case)
        assert meaning.confirmed and meaning.correction is None
        assert meaning.examples[0] == ">>> pop([])  # doctest: +IGNORE_EXCEPTION_DETAIL"


def test_another_answer_is_the_spec_for_another_attempt():
    case = choose_case(CALLS, ACCEPTED, [[returns("0"), returns("1"), returns("2")]])
    assert case is not None
    picked = read_reply("return 0", case)
    assert not picked.confirmed and picked.examples == [">>> pop([])", "0"]
    assert picked.correction == "`pop([])` raises IndexError, which is wrong: it must return 0."
    typed = read_reply("None", case)
    assert typed.examples == [">>> pop([])"] and typed.correction is not None
    vague = read_reply(SOMETHING_ELSE, case)
    assert vague.examples == [] and vague.correction is not None and not vague.confirmed
    words = read_reply("it should return the last item", case)
    assert words.examples == [] and "the last item" in (words.correction or "")


def test_no_answer_is_never_evidence():
    case = choose_case(CALLS, ACCEPTED, [[returns("0"), returns("1"), returns("2")]])
    assert case is not None
    meaning = read_reply(None, case)
    assert not meaning.confirmed and meaning.examples == [] and meaning.correction is None
    message = unconfirmed_message(case, "it was not confirmed")
    assert "`pop([])` raises IndexError" in message and ">>> pop([])" in message


FOUR_MUTANTS = [
    [returns("0"), returns("1"), returns("2")],  # wrong on pop([])
    [returns("0"), returns("1"), returns("2")],
    [RAISES, returns("1"), returns("1")],  # wrong on pop([1, 2])
    [RAISES, returns("1"), returns("1")],
]


def test_confirming_asks_until_enough_mutants_are_ruled_out():
    confirming = Confirming(CALLS, ACCEPTED, FOUR_MUTANTS)
    first = confirming.next_case()
    assert first is not None and first.call == "pop([])"  # a tie: the earliest input
    confirming.confirmed(first)
    assert not confirming.enough  # half of them is not enough
    second = confirming.next_case()
    assert second is not None and second.call == "pop([1, 2])"
    confirming.confirmed(second)
    assert confirming.enough
    assert confirming.next_case() is None


def test_cases_the_user_stated_count_like_confirmed_ones():
    confirming = Confirming(CALLS, ACCEPTED, FOUR_MUTANTS)
    raised = [
        ">>> pop([])  # doctest: +IGNORE_EXCEPTION_DETAIL",
        "Traceback (most recent call last):",
        "    ...",
        "IndexError",
    ]
    confirming.given([">>> pop([1, 2])", "2", *raised, ">>> elsewhere(1)", "1"])
    assert confirming.ruled_out == {0, 1, 2, 3}
    assert confirming.next_case() is None


def test_typed_values_compare_like_probed_ones():
    typed = typed_outcome("[1, 2]")
    assert typed is not None and typed.key == "return:list:[int:1,int:2]"
    assert typed_outcome("raise KeyError('x')") == Outcome(
        kind="raise", key="raise:KeyError", text="raise KeyError"
    )
    assert typed_outcome("the last one") is None


def test_the_evidence_names_the_confirmed_cases():
    evidence = Evidence(
        confirmations=[
            CaseConfirmation(call="pop([])", outcome="raise IndexError", attempt=1),
            CaseConfirmation(
                call="pop([1])", outcome="return 1", attempt=1, confirmed=True, answer="Yes"
            ),
        ]
    )
    assert evidence_phrase(evidence).endswith("; 1 case confirmed by you: `pop([1])` returns 1")


def test_mutants_no_input_tells_apart_do_not_count_against_enough():
    # Two mutants behave like the code on every input (no case can rule them out): one
    # confirmed case that rules out the two others is enough.
    mutants = [ACCEPTED, ACCEPTED, *FOUR_MUTANTS[:2]]
    confirming = Confirming(CALLS, ACCEPTED, mutants)
    assert confirming.distinguishable == {2, 3}
    case = confirming.next_case()
    assert case is not None and case.rules_out == {2, 3}
    confirming.confirmed(case)
    assert confirming.enough and confirming.next_case() is None


def test_an_input_weighs_as_many_as_the_samples_mutants_an_answer_there_rules_out():
    other = [RAISES, returns("1"), returns("1")]  # a second sample
    mutants_of_first = [[returns("0"), returns("1"), returns("2")], other]
    mutants_of_second = [[RAISES, returns("5"), returns("1")], [NEVER, returns("1"), NEVER]]
    weights = input_weights(CALLS, [ACCEPTED, other], [mutants_of_first, mutants_of_second])
    # pop([]): a mutant of each; pop([1]): one of the second; pop([1, 2]): one of each
    assert weights == [2, 1, 2]
    # A sample's outcome no example can state (it does not finish) rules nothing out.
    assert input_weights(CALLS, [[NEVER, NEVER, NEVER]], [[ACCEPTED]]) == [0, 0, 0]


def test_a_case_is_not_asked_when_the_questions_left_cannot_confirm_enough():
    confirming = Confirming(CALLS, ACCEPTED, FOUR_MUTANTS)  # two cases needed
    assert not confirming.attainable(0) and not confirming.attainable(1)
    assert confirming.attainable(2) and confirming.ruled_out == frozenset()
    confirming.confirmed(choose_case(CALLS, ACCEPTED, FOUR_MUTANTS) or _no_case())
    assert confirming.attainable(1)
    assert not Confirming(CALLS, ACCEPTED, [ACCEPTED]).attainable(3)  # nothing to rule out


def _no_case() -> Case:
    raise AssertionError("a case was expected")
