"""Agreement between labelling passes (benchmarks/corpus/agreement.py): kappa, label files."""

import json
from pathlib import Path

import pytest
from benchmarks.corpus.agreement import (
    LabelFileError,
    cohen_kappa,
    disagreements,
    gold_labels,
    read_labels,
)


def test_kappa_matches_the_textbook_example():
    # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> p_o 0.7, p_e 0.5.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_kappa_is_one_for_perfect_agreement_and_zero_for_chance():
    assert cohen_kappa([("a", "a"), ("b", "b"), ("c", "c")]) == pytest.approx(1.0)
    chance = [("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]
    assert cohen_kappa(chance) == pytest.approx(0.0)
    assert cohen_kappa([("a", "a")] * 4) == 1.0  # one label throughout: defined as 1.0


def test_kappa_of_three_labels():
    pairs = [("ambiguous", "ambiguous")] * 6 + [("clear", "note"), ("note", "note")] * 2
    # p_o = 8/10; A: amb 6, clear 2, note 2; B: amb 6, note 4 -> p_e = (36 + 8) / 100.
    assert cohen_kappa(pairs) == pytest.approx((0.8 - 0.44) / (1 - 0.44))


def test_kappa_needs_pairs():
    with pytest.raises(ValueError):
        cohen_kappa([])


def write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_a_good_labels_file_is_read_by_id(tmp_path):
    path = write(
        tmp_path / "b.jsonl",
        [
            {"id": "x", "label": "ambiguous", "facets": ["choice"]},
            {"id": "y", "label": "clear", "facets": []},
        ],
    )
    rows = read_labels(path, ["x", "y"])
    assert rows["x"]["label"] == "ambiguous" and rows["y"]["facets"] == []


def test_every_problem_of_a_labels_file_is_named(tmp_path):
    path = write(
        tmp_path / "b.jsonl",
        [
            {"id": "x", "label": "vague", "facets": []},
            {"id": "y", "label": "clear", "facets": ["what"]},
            {"id": "y", "label": "ambiguous", "facets": []},
            {"id": "z", "label": "ambiguous", "facets": ["colour"]},
        ],
    )
    with pytest.raises(LabelFileError) as raised:
        read_labels(path, ["x", "y", "w"])
    message = str(raised.value)
    assert "line 1: label 'vague'" in message
    assert "line 2: facets given for a 'clear' item" in message
    assert "line 3: an ambiguous item needs at least one facet" in message
    assert "line 3: id 'y' appears twice" in message
    assert "line 4: facets ['colour']" in message
    assert "1 ids missing, e.g. ['w']" in message
    assert "1 ids not in the corpus, e.g. ['z']" in message


def test_settled_labels_win_and_open_disagreements_are_listed():
    first = {
        "a": {"label": "clear"},
        "b": {"label": "ambiguous"},
        "c": {"label": "note"},
    }
    second = {"a": {"label": "ambiguous"}, "b": {"label": "clear"}, "c": {"label": "note"}}
    settled = {"b": {"label": "clear", "reason": "the rule is stated"}}
    assert gold_labels(first, settled) == {"a": "clear", "b": "clear", "c": "note"}
    assert disagreements(first, second, settled) == ["a"]
