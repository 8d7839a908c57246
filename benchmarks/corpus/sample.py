"""Draw, review and write the labelled TODO-spec sample (corpus building only).

Subcommands (run from anywhere; the sdists are fetched on demand):

- ``sample [OUT]`` -- extract every spec from the pinned sdists, draw the
  deterministic stratified sample and write a review worklist (spec text with
  +-10 lines of code around it) to ``OUT`` (default: the gitignored cache). The
  worklist holds third-party text: it is for the labeller and is never committed.
- ``write LABELS`` -- read the labeller's decisions (TSV: sample id, label,
  comma-separated facets, then optional columns that are ignored, e.g. a reason)
  and write ``batch1_labelled.jsonl`` (references only).
- ``batch2`` / ``batch3`` / ``batch4`` -- draw a later batch of comments (see below)
  and write ``batch<N>_refs.jsonl`` (references, no labels: both
  labelling passes of a batch live with the docstring corpus' labels, see
  ``LABELLING.md``).
- ``verify`` -- check that every row of ``batch1_labelled.jsonl`` and of the later
  batches still points at a spec with the same fingerprint in the extracted sdists.

Sampling: 80% comments, 20% stub docstrings. Each part is split evenly across
projects (a project with fewer specs gives its share to the others), and a
project's comment share is split across markers in proportion to the square root
of their counts, so rare markers (XXX, HACK, FIXME) are represented. Each stratum
(project x marker) is drawn with its own fixed seed over its sorted candidates,
so the sample is reproducible and a change in one stratum leaves the others alone.

The first batch (``batch1_labelled.jsonl``) is drawn from the sources of batch 1 only.
Each later batch, drawn once the batches before it had been tuned on, is comments
only: ``LATER_BATCH_TOTAL`` split evenly across the sources of that batch and every
earlier one (candidates an earlier batch took are left out), markers weighted as
above, each stratum with the batch's own seed. Batch 2 added four sources and so
did batch 3; a batch never draws from the sources added after it, so redrawing an
earlier batch gives back exactly its items. Batch 4 added four sources and draws from
them alone (``OWN_SOURCES_ONLY``): by then every finding over the earlier sources'
trees had been read by reviewers while rules were changed.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.corpus.extract import specs_in_tree
from benchmarks.corpus.fetch import DEFAULT_CACHE_DIR, HERE, ensure_sources, load_sources

SEED = 20240611
LATER_BATCH_SEEDS = {2: 20261202, 3: 20261203, 4: 20261206}
# Batches that draw from their own new sources only: before batch 4 was drawn, reviewers
# had read every finding over the trees of the earlier sources (session 33), so any
# comment of those trees may have shaped a rule.
OWN_SOURCES_ONLY = {4}
TOTAL = 350
LATER_BATCH_TOTAL = 240
COMMENT_SHARE = 0.8
CONTEXT = 10
LABELS_FILE = HERE / "batch1_labelled.jsonl"
LATER_BATCH_FILES = {n: HERE / f"batch{n}_refs.jsonl" for n in LATER_BATCH_SEEDS}
DEFAULT_WORKLIST = DEFAULT_CACHE_DIR.parent / "worklist.txt"
LABELS = {"ambiguous", "clear", "note"}
FACETS = ("what", "target", "values", "done", "choice")
MARKERS = ("TODO", "FIXME", "XXX", "HACK")


def allocate(total: int, weights: dict[str, float], caps: dict[str, int]) -> dict[str, int]:
    """Split ``total`` by ``weights`` (largest remainder) without exceeding ``caps``."""
    alloc = dict.fromkeys(weights, 0)
    remaining = min(total, sum(caps.values()))
    while remaining > 0:
        open_keys = [k for k in weights if alloc[k] < caps[k] and weights[k] > 0]
        wsum = sum(weights[k] for k in open_keys)
        exact = {k: remaining * weights[k] / wsum for k in open_keys}
        share = {k: min(math.floor(exact[k]), caps[k] - alloc[k]) for k in open_keys}
        if sum(share.values()) == 0:
            best = max(open_keys, key=lambda k: (exact[k] - math.floor(exact[k]), k))
            share[best] = 1
        for k, n in share.items():
            alloc[k] += n
        remaining -= sum(share.values())
    return alloc


def all_specs(
    roots: dict[str, Path], up_to_batch: int | None = None, only_batch: int | None = None
) -> list[dict[str, Any]]:
    """Every spec of the pinned sdists (the sources up to one batch, or of one batch only),
    with project and version."""
    sources = [
        s
        for s in load_sources()
        if (up_to_batch is None or s.get("batch", 1) <= up_to_batch)
        and (only_batch is None or s.get("batch", 1) == only_batch)
    ]
    versions = {s["project"]: s["version"] for s in sources}
    specs = []
    for project, root in roots.items():
        if project not in versions:
            continue
        for spec in specs_in_tree(root):
            spec["project"], spec["version"] = project, versions[project]
            specs.append(spec)
    return specs


def draw(specs: list[dict[str, Any]], seed: int = SEED) -> list[dict[str, Any]]:
    """Return the first batch's stratified, deterministic sample (see the module docstring)."""
    n_comments = round(TOTAL * COMMENT_SHARE)
    chosen = _stratified(specs, MARKERS, n_comments, seed)
    chosen += _stratified(specs, ("docstring",), TOTAL - n_comments, seed)
    return _numbered(chosen)


def draw_later_batch(
    batch: int, specs: list[dict[str, Any]], taken: set[tuple[str, str, int]]
) -> list[dict[str, Any]]:
    """A later batch: comments of its sources that no earlier batch took."""
    fresh = [s for s in specs if (s["project"], s["path"], s["line"]) not in taken]
    return _numbered(_stratified(fresh, MARKERS, LATER_BATCH_TOTAL, LATER_BATCH_SEEDS[batch]))


def _stratified(
    specs: list[dict[str, Any]], kinds: tuple[str, ...], total: int, seed: int
) -> list[dict[str, Any]]:
    strata: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for spec in specs:
        strata[(spec["project"], spec["marker"] or "docstring")].append(spec)
    projects = sorted({s["project"] for s in specs})
    caps = {p: sum(len(strata[(p, k)]) for k in kinds) for p in projects}
    per_project = allocate(total, dict.fromkeys(projects, 1.0), caps)
    chosen: list[dict[str, Any]] = []
    for project in projects:
        counts = {k: len(strata[(project, k)]) for k in kinds}
        weights = {k: math.sqrt(n) for k, n in counts.items()}
        for kind, n in allocate(per_project[project], weights, counts).items():
            pool = sorted(strata[(project, kind)], key=lambda s: (s["path"], s["line"]))
            rng = random.Random(f"{seed}:{project}:{kind}")
            chosen.extend(rng.sample(pool, n))
    return chosen


def _numbered(chosen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {p: i for i, p in enumerate(s["project"] for s in load_sources())}
    chosen.sort(key=lambda s: (order[s["project"]], s["path"], s["line"]))
    for i, spec in enumerate(chosen, 1):
        spec["id"] = i
    return chosen


def write_worklist(sample: list[dict[str, Any]], roots: dict[str, Path], out: Path) -> None:
    """Write each sampled spec with +-CONTEXT lines of its code, for the labeller."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for spec in sample:
            lines = (roots[spec["project"]] / spec["path"]).read_text("utf-8").splitlines()
            lo, hi = max(1, spec["line"] - CONTEXT), min(len(lines), spec["end_line"] + CONTEXT)
            head = f"{spec['project']} {spec['path']}:{spec['line']} {spec['marker'] or 'DOC'}"
            fh.write(f"=== #{spec['id']} {head}\n")
            for n in range(lo, hi + 1):
                mark = ">" if spec["line"] <= n <= spec["end_line"] else " "
                fh.write(f"{mark}{n:5d} {lines[n - 1]}\n")
    with out.with_suffix(".jsonl").open("w", encoding="utf-8") as fh:
        for spec in sample:
            fh.write(json.dumps(spec) + "\n")


def write_labels(decisions: Path, worklist: Path = DEFAULT_WORKLIST) -> int:
    """Join the labeller's TSV decisions with the sample into ``batch1_labelled.jsonl``."""
    sample = {}
    for line in worklist.with_suffix(".jsonl").read_text("utf-8").splitlines():
        spec = json.loads(line)
        sample[spec["id"]] = spec
    rows = {}
    for raw in decisions.read_text("utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        sid, label, *rest = raw.split("\t")
        facets = [f for f in (rest[0] if rest else "").split(",") if f]
        if label not in LABELS or any(f not in FACETS for f in facets):
            raise ValueError(f"bad decision line: {raw!r}")
        if (label == "ambiguous") != bool(facets):
            raise ValueError(f"ambiguous needs facets, others none: {raw!r}")
        rows[int(sid)] = (label, sorted(facets, key=FACETS.index))
    missing = sorted(set(sample) - set(rows))
    if missing:
        raise ValueError(f"no decision for sample ids {missing[:20]}")
    with LABELS_FILE.open("w", encoding="utf-8") as fh:
        for sid, spec in sorted(sample.items()):
            label, facets = rows[sid]
            row = _reference(spec)
            row.update(label=label, facets=facets)
            fh.write(json.dumps(row) + "\n")
    return len(sample)


def _reference(spec: dict[str, Any]) -> dict[str, Any]:
    keys = ("project", "version", "path", "line", "kind", "marker", "sha1")
    return {k: spec[k] for k in keys}


def write_later_batch(batch: int, roots: dict[str, Path]) -> int:
    """Draw a later batch and write its references (no labels) to ``batch<N>_refs.jsonl``."""
    earlier = [LABELS_FILE] + [path for n, path in LATER_BATCH_FILES.items() if n < batch]
    taken = {(r["project"], r["path"], r["line"]) for path in earlier for r in _rows(path)}
    own = batch if batch in OWN_SOURCES_ONLY else None
    sample = draw_later_batch(batch, all_specs(roots, up_to_batch=batch, only_batch=own), taken)
    with LATER_BATCH_FILES[batch].open("w", encoding="utf-8") as fh:
        for spec in sample:
            fh.write(json.dumps({**_reference(spec), "batch": batch}) + "\n")
    return len(sample)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def verify(roots: dict[str, Path]) -> int:
    """Count reference rows whose (project, path, line, sha1) no longer match a spec."""
    found = {(s["project"], s["path"], s["line"]): s["sha1"] for s in all_specs(roots)}
    bad = 0
    later = [row for path in LATER_BATCH_FILES.values() for row in _rows(path)]
    for row in _rows(LABELS_FILE) + later:
        if found.get((row["project"], row["path"], row["line"])) != row["sha1"]:
            print(f"stale: {row['project']} {row['path']}:{row['line']}")
            bad += 1
    return bad


def main(argv: list[str]) -> int:
    """Command-line entry point (see the module docstring)."""
    cmd = argv[0] if argv else "sample"
    if cmd == "write":
        print(f"wrote {write_labels(Path(argv[1]))} rows to {LABELS_FILE}")
        return 0
    roots = ensure_sources(DEFAULT_CACHE_DIR)
    if cmd == "verify":
        bad = verify(roots)
        print("all rows match" if not bad else f"{bad} stale rows")
        return 1 if bad else 0
    later_batches = {f"batch{n}": n for n in LATER_BATCH_FILES}
    if cmd in later_batches:
        batch = later_batches[cmd]
        print(f"wrote {write_later_batch(batch, roots)} references to {LATER_BATCH_FILES[batch]}")
        return 0
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_WORKLIST
    sample = draw(all_specs(roots, up_to_batch=1))
    write_worklist(sample, roots, out)
    print(f"{len(sample)} specs sampled; worklist at {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
