"""The docstring set written by others (benchmarks/corpus/others.py): its halves are the
ones fixed before tuning, a cut variant goes with its base, and a cut stops mid-sentence."""

from __future__ import annotations

from benchmarks.corpus.others import cut, load_labelled, others_split, split_of_row


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
