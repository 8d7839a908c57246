"""The tier table of the detector benchmarks (benchmarks/tier_table.py): a broad-tier flag
counts as no flag for the precise tier, and each group prints both tiers per half."""

from __future__ import annotations

import pytest
from benchmarks.tier_table import guess, print_tier_table

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
    rows = [line for line in capsys.readouterr().out.splitlines() if "batch 1" in line]
    [row] = rows
    # Precise tier: 1 of 2 ambiguous found, no false flag; both tiers: 2 of 3 flags right.
    assert "P 1.00 R 0.50 MISSED" in row
    assert "P 0.67 R 1.00" in row
    assert "P 0.50 n=2" in row  # the broad tier alone
    assert row.endswith("P 1.00 R 1.00")  # the human reference: the same labels
