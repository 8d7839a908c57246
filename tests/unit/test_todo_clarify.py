"""Clarifying a TODO without a model: facets to questions, answers to a clear comment."""

from __future__ import annotations

import pytest

from specloop.analysis.ambiguity import Label, assess
from specloop.analysis.parsing import parse
from specloop.analysis.specs import Spec, extract_specs
from specloop.analysis.text import LineIndex, encode
from specloop.loop import todo_clarify
from specloop.loop.todo_clarify import (
    DO_IT,
    DROP_IT,
    KEEP_AS_NOTE,
    PROPAGATE,
    Draft,
    Parameter,
    answer,
    next_question,
    parameters_of,
    rewritten,
)


def spec_in(source: str) -> Spec:
    data = encode(source)
    [spec] = extract_specs(data, parse(data), LineIndex.of(data))
    return spec


def clarify(source: str, signature: str, choices: list[str]) -> tuple[Draft, list[str]]:
    """Answer the questions in order with ``choices``; the draft and the questions asked."""
    draft = Draft.of(spec_in(source))
    parameters = parameters_of(signature)
    asked = []
    for choice in choices:
        question = next_question(draft, parameters)
        assert question is not None, f"no question left for {choice!r}"
        assert choice in question.options, question.options
        asked.append(question.text)
        draft = answer(draft, question, choice)
    assert next_question(draft, parameters) is None, "the draft should be settled"
    return draft, asked


def relabel(source: bytes) -> Label:
    return assess(spec_in(source.decode())).label


CHARGE = "def charge(amount):\n    # TODO: handle errors\n    return amount\n"


def test_error_handling_options_come_from_the_parameters():
    parameters = parameters_of("def charge(self, amount, note: str, items: list[str], when=None):")
    assert [p.name for p in parameters] == ["amount", "note", "items", "when"]
    assert todo_clarify.error_options(parameters) == [
        "raise ValueError when `amount` is negative",
        "raise ValueError when `note` is empty",
        "raise ValueError when `items` is empty",
        "raise ValueError when `when` is None",
    ]
    assert todo_clarify.error_options([Parameter("widget", None, False)]) == []


def test_an_error_answer_rewrites_the_todo_into_a_clear_spec():
    draft, asked = clarify(
        CHARGE, "def charge(amount, note: str):", ["raise ValueError when `amount` is negative"]
    )
    assert "Which errors" in asked[0]
    source = rewritten(encode(CHARGE), draft)
    assert source.decode() == CHARGE.replace(
        "handle errors", "handle errors: raise ValueError when `amount` is negative."
    )
    assert relabel(source) is Label.CLEAR


def test_letting_errors_propagate_keeps_a_note_that_asks_for_nothing():
    draft, _ = clarify(CHARGE, "def charge(amount):", [PROPAGATE])
    source = rewritten(encode(CHARGE), draft).decode()
    assert "# NOTE: handle errors: errors propagate to the caller." in source
    assert "TODO" not in source


MAYBE = "def get(key):\n    # TODO: maybe cache this?\n    return key\n"


def test_an_open_choice_is_asked_first_and_can_drop_the_todo():
    draft, asked = clarify(MAYBE, "def get(key):", [DROP_IT])
    assert "is this decided" in asked[0]
    assert rewritten(encode(MAYBE), draft).decode() == "def get(key):\n    return key\n"


def test_doing_a_hedged_todo_removes_the_hedge_and_asks_what_is_still_open():
    draft, asked = clarify(MAYBE, "def get(key):", [DO_IT, KEEP_AS_NOTE])
    assert len(asked) == 2 and "Only you can say" in asked[1]
    assert rewritten(encode(MAYBE), draft).decode() == MAYBE.replace(
        "TODO: maybe cache this?", "NOTE: cache this"
    )


def test_a_trailing_todo_keeps_its_code_and_crlf_endings():
    source = "def f(limit: int):\r\n    return limit  # TODO: handle errors\r\n"
    draft, _ = clarify(source, "def f(limit: int):", ["raise ValueError when `limit` is negative"])
    out = rewritten(encode(source), draft).decode()
    assert out == source.replace(
        "# TODO: handle errors", "# TODO: handle errors: raise ValueError when `limit` is negative."
    )
    hedged = "def f(limit: int):\r\n    return limit  # TODO: maybe clamp it?\r\n"
    draft, _ = clarify(hedged, "def f(limit: int):", [DROP_IT])
    assert rewritten(encode(hedged), draft).decode() == "def f(limit: int):\r\n    return limit\r\n"


def test_a_long_answer_wraps_into_continuation_lines_that_read_as_one_spec():
    signature = "def f(a_rather_long_parameter_name_for_an_amount: int):"
    source = f"{signature}\n    # TODO(alice): handle errors\n    pass\n"
    choice = "raise ValueError when `a_rather_long_parameter_name_for_an_amount` is negative"
    draft, _ = clarify(source, signature, [choice])
    out = rewritten(encode(source), draft).decode()
    comment_lines = [line for line in out.splitlines() if line.lstrip().startswith("#")]
    assert len(comment_lines) == 2 and comment_lines[0].startswith(
        "    # TODO(alice): handle errors"
    )
    assert comment_lines[1].startswith("    #   ")
    assert all(len(line) <= todo_clarify.LINE_WIDTH for line in comment_lines)
    assert spec_in(out).text == f"handle errors: {choice}."


@pytest.mark.parametrize(
    "signature",
    ["def f(", "class C:", "def f(*args, **kwargs):"],
)
def test_odd_signatures_give_no_parameter_options(signature: str):
    assert todo_clarify.error_options(parameters_of(signature)) == []


def test_an_answer_in_the_user_s_own_words_becomes_the_todo():
    own = "keep each value for 60 seconds, keyed by `key`"
    draft = Draft.of(spec_in(MAYBE))
    choice = next_question(draft, [])
    assert choice is not None and not todo_clarify.takes_own_words(choice)
    draft = answer(draft, choice, DO_IT)
    question = next_question(draft, [])
    assert question is not None and todo_clarify.takes_own_words(question)
    draft = answer(draft, question, own)
    assert next_question(draft, []) is None, "the user's words settle it"
    assert rewritten(encode(MAYBE), draft).decode() == MAYBE.replace("maybe cache this?", own + ".")
