"""Messages read as a careful reviewer would write them: the question a vague word
calls for depends on what kind of word it is (issue 23, item 7)."""

from __future__ import annotations

import pytest

from specloop.analysis.findings import find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.questions import noun_phrase, values_question
from specloop.analysis.text import LineIndex


def message(source: str) -> str:
    data = source.encode()
    [finding] = find_specs(data, parse(data), LineIndex.of(data))
    return finding.message


def todo_message(text: str) -> str:
    return message(f"def charge(amount):\n    # TODO: {text}\n    return amount\n")


def test_a_determiner_is_not_read_as_the_noun():
    text = "this should be handled by some parameter to the ChangeList."
    found = todo_message(text)
    assert "Which some" not in found
    assert 'Which parameter exactly? "some parameter" leaves it to the implementer.' in found


def test_a_list_that_ends_in_etc_asks_what_else():
    found = todo_message("colorize this SQL code with style.SQL_KEYWORD(), etc.")
    assert "Which etc" not in found
    assert 'The list ends in "etc.": what else exactly, and which of it is required?' in found


@pytest.mark.parametrize(
    ("word", "following", "question"),
    [
        ("some parameter", " to the ChangeList", 'Which parameter exactly? "some parameter"'),
        ("more tests", " for this", 'Which tests exactly? "more tests"'),
        ("some special", " cases here", 'Which special cases exactly? "some special cases"'),
        ("some more", " cases.", 'Which cases exactly? "some more cases"'),
        ("some of", " the parsing", '"some of the parsing": which exactly?'),
        ("some better", " way to do this", '"some better": which exactly?'),
        ("etc", "", 'The list ends in "etc.": what else exactly'),
        ("and so on", "", 'The list ends in "and so on": what else exactly'),
        ("something", "", 'What exactly does "something" stand for? Name it.'),
        ("things", "", 'What exactly does "things" stand for? Name them.'),
        ("somehow", "", '"somehow": how exactly? Name the approach.'),
        ("somewhere", "", '"somewhere": where exactly? Name the module, class or function.'),
        ("proper", " conditional", '"proper" by what rule?'),
        ("for later", "", '"for later" until when?'),
        ("edge cases", "", "Which edge cases exactly, and what should happen for each?"),
        ("errors", "", "Which errors, and what should happen: raise, retry, log"),
    ],
)
def test_each_kind_of_vague_word_gets_its_own_question(word: str, following: str, question: str):
    assert values_question(word, following).startswith(question)


@pytest.mark.parametrize(
    ("first", "following", "phrase"),
    [
        ("parameter", " to the ChangeList", "parameter"),
        ("JSONArray", " tests.", "JSONArray tests"),
        ("tests", " warranted here", "tests"),
        ("of", " the parsing", None),
        ("ourselves", "", None),
        ("point", " find out how", None),
    ],
)
def test_the_noun_phrase_is_taken_only_where_the_words_show_where_it_ends(
    first: str, following: str, phrase: str | None
):
    assert noun_phrase(first, following) == phrase


def test_a_docstring_open_choice_with_etc_asks_what_else():
    source = 'def fmt(value):\n    """Format the value with commas, spaces, etc."""\n    ...\n'
    found = message(source)
    assert '"etc": which behaviour' not in found
    assert "The list ends in" in found


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("figure out the encoding", '"figure out" to decide what? Say what the code should do'),
        ("investigate the leak", '"investigate" to decide what?'),
        ("handle the encoding", '"handle" how? Say what the code should do differently.'),
        ("make this faster", '"faster" by how much? Give a target: a time, a size or a'),
        ("this is hacky, rewrite it", '"hacky": what would the clean version do?'),
        ("format the output nicer than this", '"nicer": what would the clean version do?'),
        ("fix the layout properly", '"properly" by what measure?'),
    ],
)
def test_vague_verbs_and_soft_criteria_get_questions_that_fit_them(text: str, question: str):
    assert question in todo_message(text)
