"""The docstring rules that generalise (analysis/doc_gaps.py, issue 23 item 6): each rule
flags its gap, with examples present too where it reads them, and clear docstrings stay
clear."""

import pytest

from specloop.analysis.ambiguity import FacetKind, Label, assess
from specloop.analysis.tiers import Tier, tier_of
from tests.unit.test_docstring_specs import stub

PAIRS = "def close_pairs(values: list[float], gap: float) -> bool"


# --- an open choice offered as examples ----------------------------------------------


def test_options_given_as_examples_are_an_open_choice_even_with_examples():
    spec = stub(
        PAIRS,
        "Tell whether two of the values meet a certain condition (e.g. nearer or further\n"
        "apart than gap).\n\n>>> close_pairs([1.0, 1.2], 0.5)\nTrue",
    )
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert "docstring-choice-examples" in assessment.rules
    choice = next(f for f in assessment.facets if f.kind is FacetKind.CHOICE)
    assert "Which condition exactly?" in choice.question
    assert "nearer" in choice.question


@pytest.mark.parametrize(
    "text",
    [
        "Keep the words that meet a certain condition, e.g. shorter or longer than n.",
        "Keep the words of length n, then apply extra filters, such as dropping stop words.",
    ],
)
def test_options_or_a_class_given_by_examples_are_open(text: str):
    spec = stub("def keep(words: list[str], n: int) -> list[str]", text)
    assert "docstring-choice-examples" in assess(spec).rules


def test_examples_of_a_stated_rule_are_not_a_choice():
    spec = stub(
        PAIRS,
        "Return True when two of the values are nearer to each other than gap\n"
        "(for example 1.0 and 1.2 with a gap of 0.5).\n\n>>> close_pairs([1.0, 1.2], 0.5)\nTrue",
    )
    assert assess(spec).label is Label.CLEAR


# --- words that leave the rule to the implementer, beside examples -----------------


@pytest.mark.parametrize(
    "text",
    [
        "Sort the words by length or another key.",
        "Join the words with a suitable separator.",
        "Order the words in some way and return them.",
        "Compute the result based on the words and return it.",
    ],
)
def test_a_rule_left_to_the_implementer_is_open_even_with_examples(text: str):
    spec = stub("def tidy(words: list[str]) -> str", f"{text}\n\n>>> tidy(['b', 'a'])\n'a b'")
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert "docstring-choice-beside-examples" in assessment.rules


def test_a_stated_rule_with_examples_stays_clear():
    spec = stub(
        "def tidy(words: list[str]) -> str",
        "Sort the words alphabetically and join them with single spaces.\n\n"
        ">>> tidy(['b', 'a'])\n'a b'",
    )
    assert assess(spec).label is Label.CLEAR


# --- opposites joined by "or" --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Return the largest or smallest element of the list.",
        "Count the pairs of values that are closer or farther apart than gap.",
    ],
)
def test_opposites_left_to_choose_are_an_open_choice(text: str):
    spec = stub(
        "def pick(values: list[float], gap: float) -> float", f"{text}\n\n>>> pick([1.0], 1.0)\n1.0"
    )
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert "docstring-either-way" in assessment.rules


@pytest.mark.parametrize(
    "text",
    [
        "Return True if the values are increasing or decreasing.",
        "Return the sum of the values; they may be positive or negative.",
        "Return the first element, or the last when first_only is False.",
    ],
)
def test_a_disjunction_in_a_condition_or_input_is_no_choice(text: str):
    spec = stub("def pick(values: list[float], gap: float) -> float", text)
    assert "docstring-either-way" not in assess(spec).rules


# --- vague quantities --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Drop some items from the front of the list and return the rest.",
        "Return a certain part of the word, counted from its end.",
        "Keep only a few elements of the list and return them.",
        "Return a number of items from the list.",
        "Return most of the items in the list.",
    ],
)
def test_a_quantity_without_its_size_is_asked_about(text: str):
    spec = stub("def head(items: list[str]) -> list[str]", f"{text}\n\n>>> head(['a'])\n['a']")
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert "docstring-vague-quantity" in assessment.rules


@pytest.mark.parametrize(
    "text",
    [
        "Return the first three items of the list.",
        "Return the number of items, at most 3.",
        "Some backends cache the result; return the items in their original order.",
        "Return the items; in some cases the list is empty, then return an empty list.",
    ],
)
def test_a_stated_quantity_or_a_generic_some_stays_clear(text: str):
    spec = stub("def head(items: list[str]) -> list[str]", f"{text}\n\n>>> head(['a'])\n['a']")
    assert "docstring-vague-quantity" not in assess(spec).rules


# --- a description that stops mid-sentence -----------------------------------------


def test_a_description_that_stops_mid_sentence_is_incomplete():
    spec = stub(
        "def long_words(text: str) -> list[str]",
        "Return the words of text that are longer than\n\n>>> long_words('a bb ccc')\n['ccc']",
    )
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert "docstring-stops-mid-sentence" in assessment.rules
    assert "longer than" in assessment.facets[0].question


@pytest.mark.parametrize(
    "docstring",
    [
        "Return the words of text longer than two letters.",
        "Return the words of text longer than two letters, in order",
        "Return the words of text as is",
        "Return the long words. For example:\n\n>>> long_words('a bb ccc')\n['ccc']",
    ],
)
def test_a_finished_sentence_is_not_cut(docstring: str):
    spec = stub("def long_words(text: str) -> list[str]", docstring)
    assert "docstring-stops-mid-sentence" not in assess(spec).rules


CUT = "def select(items: list[int], key: Callable[[int], bool]) -> list[int]"


@pytest.mark.parametrize(
    "docstring",
    [
        # A word that needs what follows: a determiner, a modal verb, "according".
        "Call the key function only once for every",
        "Select the items containing all",
        "Return the items that the key function can",
        "Partition the items according",
        # A modifier without its noun, after an article, a possessive or a preposition.
        "Iterate over the items of given",
        "Create a function calling its sole",
        # A clause that stops at its subject: no verb after "if all the elements".
        "Return True if all the elements",
        "Stop when the key",
        # An open bracket at the end, or a one-word sentence that opens a comparison.
        "Return the items (",
        "Walk the items, transforming each with key. Same",
    ],
)
def test_a_description_cut_before_its_end_is_incomplete(docstring: str):
    assessment = assess(stub(CUT, docstring))
    assert assessment.label is Label.AMBIGUOUS
    assert "docstring-stops-mid-sentence" in assessment.rules


@pytest.mark.parametrize(
    "docstring",
    [
        "Return the items the key accepts, each once. Do not sort them at all",
        "Return them all",
        "Return the path as given",
        "Return the items in the order given",
        "Return True when the key exists",
        "Return True if both lists are the same",
        "Return the first item, if any",
        "Return the items (in order)",
        "Render a template on GET",
        "Forward the request to the handler, as the RFC says it MUST",
    ],
)
def test_a_finished_clause_or_a_set_phrase_is_not_cut(docstring: str):
    assert "docstring-stops-mid-sentence" not in assess(stub(CUT, docstring)).rules


@pytest.mark.parametrize(
    "docstring",
    [
        "Return the words longer than n.\n\nParameters\n----------\nn : int\n"
        "    The length to compare the words by",
        "Return the words longer than n.\n\nArgs:\n    n: the length to compare the words by",
        "Return the words longer than n.\n\n:param n: the length to compare the words by",
        "Return the words longer than n, as\n:func:`split` gives them.",
    ],
)
def test_sections_are_not_the_description(docstring: str):
    spec = stub("def long_words(text: str) -> list[str]", docstring)
    assert "docstring-stops-mid-sentence" not in assess(spec).rules


# --- a return value the text never states ------------------------------------------


def test_a_task_without_annotation_or_stated_result_leaves_the_output_open():
    spec = stub("def pairs(numbers)", "Given a list of numbers, look at each pair of neighbours.")
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert "docstring-output-unstated" in assessment.rules
    assert FacetKind.OUTPUT in [facet.kind for facet in assessment.facets]


@pytest.mark.parametrize(
    "docstring",
    [
        "Given a list of numbers, return how many pairs of neighbours are equal.",
        "Given a list of numbers, count equal neighbours.\n\n>>> pairs([1, 1, 2])\n1",
        "Look at each pair of neighbours and print the equal ones.",
    ],
)
def test_a_stated_or_shown_result_or_a_non_task_is_not_asked(docstring: str):
    spec = stub("def pairs(numbers)", docstring)
    assert "docstring-output-unstated" not in assess(spec).rules


# --- tiers ---------------------------------------------------------------------------


def test_rules_without_dev_evidence_stay_in_the_broad_tier():
    spec = stub("def pairs(numbers)", "Given a list of numbers, look at each pair of neighbours.")
    assessment = assess(spec)
    assert assessment.rules == ("docstring-output-unstated",)
    assert tier_of(assessment, spec) is Tier.BROAD


def test_rules_precise_on_the_dev_halves_are_in_the_precise_tier():
    spec = stub(PAIRS, "Return True when some values are within gap.")
    assessment = assess(spec)
    assert assessment.rules == ("docstring-vague-quantity",)
    assert tier_of(assessment, spec) is Tier.PRECISE
