"""The tier table of the detector benchmarks (benchmarks/tier_table.py): a broad-tier flag
counts as no flag for the precise tier, and each group prints both tiers per half; each
rule's dev evidence against its tier; the sub-rules tried, counted on the dev half only;
and the re-tiering ceiling."""

from __future__ import annotations

import pytest
from benchmarks.tier_table import (
    guess,
    print_rule_precision,
    print_split_candidates,
    print_tier_table,
    retiering_ceiling,
)

from specloop.analysis.findings import Finding, find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.text import LineIndex


def todo(text: str) -> Finding:
    source = f"def charge(amount):\n    # TODO: {text}\n    return amount\n".encode()
    [finding] = find_specs(source, parse(source), LineIndex.of(source))
    return finding


def test_a_broad_flag_is_no_flag_for_the_precise_tier():
    broad = todo("refactor")
    assert guess(broad, precise_only=True) == "clear"
    assert guess(broad, precise_only=False) == "ambiguous"
    assert guess(todo("maybe cache this?"), precise_only=True) == "ambiguous"
    assert guess(None, precise_only=True) == "missed"


def test_the_table_prints_each_tier_per_batch_and_half(capsys: pytest.CaptureFixture[str]):
    items = [
        {"id": "a", "kind": "todo", "batch": 1},
        {"id": "b", "kind": "todo", "batch": 1},
        {"id": "c", "kind": "todo", "batch": 1},
    ]
    gold = {"a": "ambiguous", "b": "ambiguous", "c": "clear"}
    found: dict[str, Finding | None] = {
        "a": todo("maybe cache this?"),
        "b": todo("refactor"),
        "c": todo("refactor"),
    }
    labels = {key: {"label": value} for key, value in gold.items()}
    print_tier_table(items, gold, found, lambda item: "held-out", labels, labels)
    out = capsys.readouterr().out.splitlines()
    [row] = [line for line in out if line.startswith("TODO batch 1")]
    # Precise tier: 1 of 2 ambiguous found, no false flag; both tiers: 2 of 3 flags right.
    assert "P 1.00 R 0.50 MISSED" in row
    assert "P 0.67 R 1.00" in row
    assert "P 0.50 n=2" in row  # the broad tier alone
    assert row.endswith("P 1.00 R 1.00")  # the human reference: the same labels


def _items(
    texts: list[tuple[str, str, str]],
) -> tuple[list[dict[str, object]], dict[str, str], dict[str, Finding | None]]:
    """(text, gold label, half) -> items, gold labels and findings, one TODO each."""
    items = [
        {"id": str(n), "kind": "todo", "batch": 1, "half": half}
        for n, (_, _, half) in enumerate(texts)
    ]
    gold = {str(n): label for n, (_, label, _) in enumerate(texts)}
    found: dict[str, Finding | None] = {str(n): todo(text) for n, (text, _, _) in enumerate(texts)}
    return items, gold, found


def test_a_precise_rule_below_the_minimum_support_is_marked_kept_on_thin_evidence(
    capsys: pytest.CaptureFixture[str],
):
    # "Send an error response here": error-words alone, once, right; vague-verb ten
    # times, right every time: its evidence supports the precise tier it is not in.
    texts = [("Send an error response here", "ambiguous", "dev")]
    texts += [(f"refactor part {n} of this", "ambiguous", "dev") for n in range(10)]
    items, gold, found = _items(texts)
    assert found["0"] is not None and found["0"].assessment.rules == ("error-words",)
    print_rule_precision(items, gold, found, lambda item: str(item["half"]))
    out = capsys.readouterr().out
    [errors] = [line for line in out.splitlines() if "error-words" in line]
    assert "evidence broad" in errors and "tier precise" in errors
    assert errors.endswith("kept on thin evidence")
    [verbs] = [line for line in out.splitlines() if "vague-verb" in line]
    assert "fired   10  P 1.00  evidence precise" in verbs
    assert verbs.endswith("DIFFERS from its evidence")


def test_sub_rules_are_counted_on_the_dev_half_only(capsys: pytest.CaptureFixture[str]):
    texts = [
        ("investigate the PyPy slowness", "ambiguous", "dev"),
        ("investigate the slowness on Windows", "clear", "held-out"),
        ("investigate the cache misses", "clear", "held-out"),
    ]
    items, gold, found = _items(texts)
    print_split_candidates(items, gold, found, lambda item: str(item["half"]))
    [inquiry] = [line for line in capsys.readouterr().out.splitlines() if "inquiry" in line]
    assert "fired    1  P 1.00  evidence broad    broad today 1" in inquiry


def test_the_retiering_ceiling_is_the_best_precision_any_choice_of_rules_reaches():
    texts = [
        ("maybe cache this?", "ambiguous", "held-out"),  # question: right
        ("maybe retry?", "clear", "held-out"),  # question: wrong
        ("refactor", "ambiguous", "held-out"),  # terse and vague-verb: right
        ("headers may be a plain dict here", "ambiguous", "held-out"),  # states-a-fact: right
        ("headers may be a plain list here", "clear", "held-out"),  # states-a-fact: wrong
        ("this is fine", "clear", "held-out"),  # states-a-fact: wrong
        ("refactor part 3 of this", "clear", "held-out"),  # vague-verb alone: wrong
    ]
    items, gold, found = _items(texts)
    # Three ambiguous, so R >= 0.60 needs two found. The best choice: the question rule
    # with terse, 2 right of 3 flags ("refactor" is precise when any of its rules is).
    assert retiering_ceiling(items, gold, found) == pytest.approx(2 / 3)
    # With the first unflagged, two of three need terse and states-a-fact: 2 right of 4.
    assert retiering_ceiling(items, gold, {**found, "0": None}) == pytest.approx(2 / 4)
    # With the first and the third unflagged, no choice finds two.
    assert retiering_ceiling(items, gold, {**found, "0": None, "2": None}) is None
