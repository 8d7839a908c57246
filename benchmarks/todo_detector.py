"""Precision, recall and F1 of the `ambiguous` label on the labelled TODO corpus.

The corpus (benchmarks/corpus/batch1_labelled.jsonl) holds references into pinned
sdists (project, version, path, line) and the label a person gave each spec by
the rubric in docs/rubric.md — no third-party text. This script fetches and
extracts the sdists (benchmarks/corpus/fetch.py, cached under
benchmarks/.cache/), runs specloop's own extractor and detector on every
referenced file, matches specs by path and line, and prints:

- precision / recall / F1 of `ambiguous` (the only label that produces a
  diagnostic), overall and per project;
- the confusion table (true label x predicted label, with `missed` when the
  extractor found no spec at that line);
- the same figures on two fixed halves of the corpus: `dev` (whose errors may
  be read while tuning the rules) and `held-out` (only ever scored), so
  over-fitting to the corpus shows up as a gap between the two;
- the confidence tiers over all four batches (batch 1 here, batches 2 to 4 by
  reference in benchmarks/corpus/items.jsonl, scored against their settled labels):
  precision / recall of the precise tier and of both tiers, per batch and pooled, per
  half, next to the human reference (`benchmarks/tier_table.py`); the re-tiering ceiling
  (the best precise-tier precision at R >= 0.60 any placement of today's rules reaches);
  each rule's dev precision and support against the tier it is in; and the sub-rules
  tried for the precise tier, counted on the dev halves only;
- with --show-errors, every disagreement in the dev half, so the rules can be
  reviewed (this prints third-party text locally; it is never stored).

Run: .venv/bin/python -m benchmarks.todo_detector [--show-errors]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.corpus.agreement import scores
from benchmarks.corpus.fetch import ensure_sources
from benchmarks.tier_table import print_rule_precision, print_split_candidates, print_tier_table
from specloop.analysis.findings import Finding, find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.text import LineIndex

HERE = Path(__file__).resolve().parent

LABELS_FILE = HERE / "corpus" / "batch1_labelled.jsonl"
LABELS = ("ambiguous", "clear", "note")
MISSED = "missed"


def load_labels(path: Path = LABELS_FILE) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split_of(row: dict[str, object]) -> str:
    key = f"{row['project']}/{row['path']}:{row['line']}".encode()
    return "dev" if hashlib.sha1(key).digest()[0] % 2 == 0 else "held-out"


def findings_by_line(file: Path) -> dict[int, Finding]:
    source = file.read_bytes()
    lines = LineIndex.of(source)
    return {
        lines.line_of(finding.spec.start) + 1: finding
        for finding in find_specs(source, parse(source), lines)
    }


def predict(rows: list[dict[str, object]], roots: dict[str, Path]) -> list[tuple[str, str]]:
    """(true label, predicted label) for every labelled spec."""
    cache: dict[Path, dict[int, Finding]] = {}
    pairs = []
    for row in rows:
        file = roots[str(row["project"])] / str(row["path"])
        if file not in cache:
            cache[file] = findings_by_line(file)
        finding = cache[file].get(int(str(row["line"])))
        pairs.append((str(row["label"]), finding.label.value if finding else MISSED))
    return pairs


def print_report(rows: list[dict[str, object]], pairs: list[tuple[str, str]]) -> None:
    precision, recall, f1, actual = scores(pairs)
    print(f"corpus: {len(pairs)} labelled specs ({actual} ambiguous)")
    print(f"ambiguous: precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print("\nconfusion (rows: true label, columns: predicted)")
    columns = (*LABELS, MISSED)
    counts = Counter(pairs)
    print(f"{'':>10} " + " ".join(f"{column:>9}" for column in columns))
    for truth in LABELS:
        print(f"{truth:>10} " + " ".join(f"{counts[(truth, c)]:>9}" for c in columns))
    print("\nper split")
    for split in ("dev", "held-out"):
        chosen = [pair for row, pair in zip(rows, pairs, strict=True) if split_of(row) == split]
        p, r, f, n = scores(chosen)
        print(f"  {split:<11} n={len(chosen):<4} ambiguous={n:<4} {_figures(p, r, f)}")
    print("\nper project")
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row, pair in zip(rows, pairs, strict=True):
        grouped[str(row["project"])].append(pair)
    for project, project_pairs in sorted(grouped.items()):
        p, r, f, n = scores(project_pairs)
        print(f"  {project:<11} n={len(project_pairs):<4} ambiguous={n:<4} {_figures(p, r, f)}")


def _figures(precision: float, recall: float, f1: float) -> str:
    return f"P {precision:.2f} R {recall:.2f} F1 {f1:.2f}"


def print_errors(
    rows: list[dict[str, object]],
    pairs: list[tuple[str, str]],
    roots: dict[str, Path],
    show_all: bool,
) -> None:
    half = "whole corpus" if show_all else "dev half"
    print(f"\ndisagreements in the {half} (true -> predicted)")
    for row, (truth, guess) in zip(rows, pairs, strict=True):
        if truth == guess or (split_of(row) != "dev" and not show_all):
            continue
        file = roots[str(row["project"])] / str(row["path"])
        finding = findings_by_line(file).get(int(str(row["line"])))
        text = finding.spec.text if finding else "(no spec extracted)"
        facets = ",".join(f["kind"] for f in finding.facets_data()) if finding else ""
        print(f"  {truth:>9} -> {guess:<9} {row['project']}/{row['path']}:{row['line']}")
        print(f"      {text[:150]!r} [{facets}] true facets={row.get('facets')}")


def print_tiers(roots: dict[str, Path]) -> None:
    """The tier table over the four batches' TODO comments (gold: the settled labels)."""
    from benchmarks import docstring_detector as corpus

    items = [item for item in corpus.load_items() if item["kind"] == "todo"]
    ids = [item["id"] for item in corpus.load_items()]
    first = corpus.read_labels(corpus.LABELS_A, ids)
    second = corpus.read_labels(corpus.LABELS_B, ids) if corpus.LABELS_B.exists() else None
    gold = corpus.gold_labels(first, corpus.read_labels(corpus.SETTLED))
    found = corpus.predict(items, roots)
    halves = lambda item: corpus.item_split(item, {})  # noqa: E731
    print_tier_table(items, gold, found, halves, first, second)
    print_rule_precision(items, gold, found, halves)
    print_split_candidates(items, gold, found, halves)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--show-errors", action="store_true", help="print the disagreements of the dev half"
    )
    parser.add_argument(
        "--all-halves", action="store_true", help="with --show-errors: of both halves"
    )
    args = parser.parse_args()
    roots = ensure_sources()
    rows = load_labels()
    started = time.perf_counter()
    pairs = predict(rows, roots)
    elapsed = time.perf_counter() - started
    print_report(rows, pairs)
    print(f"\nanalysed {len({(r['project'], r['path']) for r in rows})} files in {elapsed:.2f} s")
    print_tiers(roots)
    if args.show_errors:
        print_errors(rows, pairs, roots, args.all_halves)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
