"""Agreement between two labelling passes: label files, Cohen's kappa, settled labels.

- ``read_labels(path, ids)`` reads a labels file (``{"id", "label", "facets"}`` per
  line) and says exactly what is wrong with it: unknown labels or facets, facets on
  a label that is not ambiguous, unknown, missing or repeated ids.
- ``cohen_kappa(pairs)`` is Cohen's kappa over (first, second) label pairs.
- ``gold_labels(first, settled)``: the label each item is scored against — the
  settled label where the two passes disagreed and the disagreement was settled,
  otherwise the first pass's (where both agree, that is both passes').
- ``disagreements(first, second, settled)`` lists the pairs still to be settled.

Stdlib only, like the rest of ``benchmarks/corpus``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LABELS = ("ambiguous", "clear", "note")
FACETS = ("what", "target", "values", "done", "choice", "output", "examples")


class LabelFileError(ValueError):
    """A labels file that cannot be used, with every problem found in it."""


def read_labels(path: Path, ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Rows by id; with ``ids``, every id must appear exactly once and no other."""
    problems: list[str] = []
    rows: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not JSON ({error.msg})")
            continue
        problems.extend(f"line {number}: {problem}" for problem in _row_problems(row))
        item_id = row.get("id") if isinstance(row, dict) else None
        if isinstance(item_id, str):
            if item_id in rows:
                problems.append(f"line {number}: id {item_id!r} appears twice")
            rows[item_id] = row
    if ids is not None:
        expected = set(ids)
        missing = sorted(expected - set(rows))
        unknown = sorted(set(rows) - expected)
        if missing:
            problems.append(f"{len(missing)} ids missing, e.g. {missing[:3]}")
        if unknown:
            problems.append(f"{len(unknown)} ids not in the corpus, e.g. {unknown[:3]}")
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise LabelFileError(f"{path}: {len(problems)} problem(s):\n  {shown}{more}")
    return rows


def _row_problems(row: object) -> list[str]:
    if not isinstance(row, dict):
        return ["not a JSON object"]
    problems = []
    if not isinstance(row.get("id"), str):
        problems.append("no string 'id'")
    label = row.get("label")
    if label not in LABELS:
        problems.append(f"label {label!r} is not one of {', '.join(LABELS)}")
    facets = row.get("facets", [])
    if not isinstance(facets, list) or any(facet not in FACETS for facet in facets):
        problems.append(f"facets {facets!r} must be a list drawn from {', '.join(FACETS)}")
    elif facets and label != "ambiguous":
        problems.append(f"facets given for a {label!r} item (only ambiguous items have facets)")
    elif label == "ambiguous" and not facets:
        problems.append("an ambiguous item needs at least one facet")
    return problems


def cohen_kappa(pairs: Iterable[tuple[str, str]]) -> float:
    """Cohen's kappa of two raters over the same items: (p_o - p_e) / (1 - p_e).

    1.0 is perfect agreement, 0.0 agreement no better than chance. When both raters
    use a single and the same label throughout, p_e = 1 and kappa is defined as 1.0.
    """
    pairs = list(pairs)
    if not pairs:
        raise ValueError("kappa needs at least one pair of labels")
    total = len(pairs)
    observed = sum(1 for first, second in pairs if first == second) / total
    first_counts = Counter(first for first, _ in pairs)
    second_counts = Counter(second for _, second in pairs)
    expected = sum(first_counts[label] * second_counts[label] for label in first_counts) / (
        total * total
    )
    if expected == 1.0:
        return 1.0
    return (observed - expected) / (1.0 - expected)


def gold_labels(
    first: dict[str, dict[str, Any]], settled: dict[str, dict[str, Any]]
) -> dict[str, str]:
    return {
        item_id: str(settled[item_id]["label"] if item_id in settled else row["label"])
        for item_id, row in first.items()
    }


def disagreements(
    first: dict[str, dict[str, Any]],
    second: dict[str, dict[str, Any]],
    settled: dict[str, dict[str, Any]],
) -> list[str]:
    """Ids the two passes label differently that have no settled label yet."""
    return sorted(
        item_id
        for item_id, row in first.items()
        if item_id in second and second[item_id]["label"] != row["label"] and item_id not in settled
    )


def scores(pairs: list[tuple[str, str]]) -> tuple[float, float, float, int]:
    """Precision, recall and F1 of the `ambiguous` label over (truth, guess) pairs; its count."""
    true_positive = sum(1 for truth, guess in pairs if truth == guess == "ambiguous")
    predicted = sum(1 for _, guess in pairs if guess == "ambiguous")
    actual = sum(1 for truth, _ in pairs if truth == "ambiguous")
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, actual
