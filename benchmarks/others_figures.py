"""The detector on the docstring set written by others (benchmarks/corpus/others.py).

Prints, for the dev half and the held-out half side by side, how often each kind of
item is flagged — clear originals (target <= 10%), incomplete ``cut`` variants, the
real ambiguous docstrings, interface stubs (notes) — and precision / recall of
``ambiguous``; then each rule's precision on the dev half (a new rule enters the
precise tier only at >= 0.90 there). ``show_dev_errors`` lists the dev half's errors
only: the held-out half's are never shown.

Run:  .venv/bin/python -m benchmarks.others_figures [--show-errors]
(also printed by ``benchmarks/docstring_detector.py``).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.corpus.agreement import cohen_kappa, read_labels, scores
from benchmarks.corpus.docstring_corpus import stub_source
from benchmarks.corpus.fetch import ensure_sources
from benchmarks.corpus.others import SECOND, SOURCES, load_labelled, read_item, split_of_row
from specloop.analysis.findings import Finding, find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.specs import SpecKind
from specloop.analysis.text import LineIndex, encode
from specloop.analysis.tiers import PRECISE_RULES

SPLITS = ("dev", "held-out")
ROWS = (
    ("clear originals (target <=10%)", lambda r: r["label"] == "clear"),
    ("incomplete: cut mid-sentence", lambda r: r["source"] == "cut"),
    ("ambiguous as written", lambda r: r["source"] != "cut" and r["label"] == "ambiguous"),
    ("interface stubs (notes)", lambda r: r["label"] == "note"),
)


def _docstring_finding(source: bytes, line: int | None = None) -> Finding | None:
    lines = LineIndex.of(source)
    for finding in find_specs(source, parse(source), lines):
        if finding.spec.kind is not SpecKind.DOCSTRING:
            continue
        if line is None or lines.line_of(finding.spec.start) + 1 == line:
            return finding
    return None


def predict(rows: list[dict[str, Any]], roots: dict[str, Path]) -> dict[str, Finding | None]:
    """Stubs are read in their file (their class decides if they are interfaces); the
    rest as a stub function with the item's signature and docstring."""
    found: dict[str, Finding | None] = {}
    for row in rows:
        if row["source"] == "real-stub":
            file = roots[row["project"]] / row["path"]
            found[row["id"]] = _docstring_finding(file.read_bytes(), row["line"])
        else:
            spec = read_item(row, roots)
            source = stub_source(spec.signature, spec.docstring)
            found[row["id"]] = _docstring_finding(encode(source))
    return found


def _guess(finding: Finding | None) -> str:
    return finding.label.value if finding else "missed"


def print_figures(rows: list[dict[str, Any]], found: dict[str, Finding | None]) -> None:
    print("\ndocstrings written by others (benchmarks/corpus/others.py): flagged ambiguous")
    print(f"{'':<34}" + "".join(f"{split:<26}" for split in SPLITS))
    for name, keep in ROWS:
        line = f"{name:<34}"
        for split in SPLITS:
            chosen = [r for r in rows if split_of_row(r) == split and keep(r)]
            flagged = sum(_guess(found[r["id"]]) == "ambiguous" for r in chosen)
            rate = (
                f"{flagged / len(chosen):6.1%} ({flagged:>2}/{len(chosen):<2})" if chosen else "-"
            )
            line += f"{rate:<26}"
        print(line)
    line = f"{'ambiguous: P / R':<34}"
    for split in SPLITS:
        pairs = [(r["label"], _guess(found[r["id"]])) for r in rows if split_of_row(r) == split]
        precision, recall, _, _ = scores(pairs)
        line += f"{f'P {precision:.2f} R {recall:.2f}':<26}"
    print(line)
    fired: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        finding = found[row["id"]]
        if split_of_row(row) != "dev" or _guess(finding) != "ambiguous" or finding is None:
            continue
        for rule in finding.assessment.rules:
            fired[rule][0] += 1
            fired[rule][1] += row["label"] == "ambiguous"
    print("  rule precision on this set's dev half:")
    for rule, (count, right) in sorted(fired.items(), key=lambda kv: -kv[1][0]):
        tier = "precise" if rule in PRECISE_RULES else "broad"
        print(f"    {rule:<32} fired {count:>3}  P {right / count:.2f}  {tier}")


def print_second_reader(rows: list[dict[str, Any]], second: dict[str, dict[str, Any]]) -> None:
    """How a second reader labels the same items (one blind pass by the rubric,
    ``others_labels_b.jsonl``): the share of each row it calls ambiguous, next to the
    detector's above, and its agreement with the first labels on the real docstrings
    (a cut is ambiguous by construction, so only the real ones have two readings)."""
    print("  a second reader (blind, by the rubric) calls ambiguous:")
    for name, keep in ROWS:
        line = f"    {name:<30}"
        for split in SPLITS:
            chosen = [r for r in rows if split_of_row(r) == split and keep(r) and r["id"] in second]
            flagged = sum(second[r["id"]]["label"] == "ambiguous" for r in chosen)
            rate = (
                f"{flagged / len(chosen):6.1%} ({flagged:>2}/{len(chosen):<2})" if chosen else "-"
            )
            line += f"{rate:<26}"
        print(line)
    real = [r for r in rows if r["source"] != "cut" and r["id"] in second]
    pairs = [(r["label"], second[r["id"]]["label"]) for r in real]
    agree = sum(first == other for first, other in pairs) / len(pairs)
    print(
        f"    first vs second, real docstrings: n={len(pairs)} agree {agree:.1%} "
        f"kappa {cohen_kappa(pairs):.3f}"
    )


def show_dev_errors(
    rows: list[dict[str, Any]], found: dict[str, Finding | None], roots: dict[str, Path]
) -> None:
    """The dev half's disagreements with the labels (third-party text, printed locally)."""
    print("\nothers' docstrings, dev half: disagreements (label -> predicted)")
    for row in rows:
        guess = _guess(found[row["id"]])
        if split_of_row(row) != "dev" or guess == row["label"]:
            continue
        finding = found[row["id"]]
        rules = ",".join(finding.assessment.rules) if finding else ""
        text = read_item(row, roots).docstring.replace("\n", " ")
        print(f"  {row['label']:>9} -> {guess:<9} {row['id']} [{rules}]\n      {text[:240]!r}")


def run(show_errors: bool = False) -> None:
    roots = ensure_sources(sources=SOURCES)
    rows = load_labelled()
    found = predict(rows, roots)
    print_figures(rows, found)
    if SECOND.exists():
        print_second_reader(rows, read_labels(SECOND))
    if show_errors:
        show_dev_errors(rows, found, roots)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true", help="the dev half's errors")
    run(parser.parse_args().show_errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
