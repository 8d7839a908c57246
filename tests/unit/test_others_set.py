"""The docstring set written by others (benchmarks/corpus/others.py): its halves are the
ones fixed before tuning, a cut variant goes with its base, and a cut stops mid-sentence."""

from __future__ import annotations

import pytest
from benchmarks.corpus.others import (
    cut,
    load_labelled,
    others_split,
    read_second_pass,
    split_of_row,
)


def test_the_halves_are_the_ones_fixed_before_tuning():
    rows = load_labelled()
    dev = [row["id"] for row in rows if split_of_row(row) == "dev"]
    assert (len(dev), len(rows)) == (111, 235)
    # The first draw (more-itertools, boltons, fsspec) keeps its halves: the four
    # sdists added later (toolz, funcy, click, humanize) only add rows after it.
    first = [row for row in rows if row["project"] in {"more-itertools", "boltons", "fsspec"}]
    assert (sum(split_of_row(row) == "dev" for row in first), len(first)) == (56, 115)
    assert others_split("ref:boltons/boltons/fileutils.py:228") == "dev"
    assert others_split("ref:boltons/boltons/ioutils.py:83") == "held-out"


def test_a_cut_variant_goes_with_its_base():
    for row in load_labelled():
        if row["source"] == "cut":
            assert split_of_row(row) == others_split(row["base"])


def test_every_row_is_labelled_by_the_rubric():
    assert {row["label"] for row in load_labelled()} <= {"ambiguous", "clear", "note"}


def test_a_cut_keeps_sixty_percent_of_the_first_sentence_and_nothing_after():
    text = "Return the words of text that are longer than n.\n\n>>> f()\n1"
    assert cut(text) == "Return the words of text that"


def test_a_second_pass_is_read_by_number_into_rows_by_id(tmp_path):
    key = {1: "ref:a.py:3", 2: "cut:ref:a.py:3"}
    decisions = tmp_path / "labels.tsv"
    decisions.write_text("2\tambiguous\tvalues,output\tstops short\n1\tclear\t\n")
    assert read_second_pass(decisions, key) == [
        {"id": "ref:a.py:3", "label": "clear", "facets": []},
        {"id": "cut:ref:a.py:3", "label": "ambiguous", "facets": ["values", "output"]},
    ]


@pytest.mark.parametrize(
    "lines",
    [
        "1\tclear\t\n",  # item 2 has no decision
        "1\tclear\t\n2\tambiguous\t\n",  # ambiguous without a facet
        "1\tclear\tvalues\n2\tnote\t\n",  # a facet on a clear item
        "1\tunsure\t\n2\tnote\t\n",  # not a label
    ],
)
def test_a_second_pass_that_is_incomplete_or_off_the_rubric_is_refused(tmp_path, lines):
    decisions = tmp_path / "labels.tsv"
    decisions.write_text(lines)
    with pytest.raises(ValueError):
        read_second_pass(decisions, {1: "ref:a.py:3", 2: "cut:ref:a.py:3"})
