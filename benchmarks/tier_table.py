"""The confidence tiers on the labelled corpus: per tier, per batch and pooled, per half.

Shared by `benchmarks/todo_detector.py` and `benchmarks/docstring_detector.py`. For each
group of items (the three TODO batches, the three pooled, the stub docstrings) and each
half it prints precision / recall of `ambiguous` for the precise tier alone (what users
see by default; recall is over *all* ambiguous items), for both tiers together (what
``tiers = "all"`` shows) and the precision of the broad tier's flags alone, next to the
human reference: the first labelling pass scored
with the second as the truth, on the same items. The held-out target for the precise
tier is P >= 0.92 at R >= 0.60 on every batch and pooled.

`print_rule_precision` prints what the tiers were chosen from: each rule's precision on
the dev halves only (a rule is precise when it is right at least 0.90 of the time
there; see `specloop.analysis.tiers`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from benchmarks.corpus.agreement import scores
from specloop.analysis.findings import Finding
from specloop.analysis.tiers import PRECISE_RULES, Tier

SPLITS = ("dev", "held-out")
TARGET_PRECISION = 0.92
TARGET_RECALL = 0.60
GROUPS: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("TODO batch 1", lambda i: i["kind"] == "todo" and i.get("batch") == 1),
    ("TODO batch 2", lambda i: i["kind"] == "todo" and i.get("batch") == 2),
    ("TODO batch 3", lambda i: i["kind"] == "todo" and i.get("batch") == 3),
    ("TODO pooled", lambda i: i["kind"] == "todo"),
    ("stub docstrings", lambda i: i["kind"] == "docstring"),
]


def guess(finding: Finding | None, precise_only: bool) -> str:
    """The label a front end shows: a broad-tier flag is no flag under the default."""
    if finding is None:
        return "missed"
    if precise_only and finding.label.value == "ambiguous" and finding.tier is not Tier.PRECISE:
        return "clear"
    return finding.label.value


def print_tier_table(
    items: list[dict[str, Any]],
    gold: dict[str, str],
    found: dict[str, Finding | None],
    split: Callable[[dict[str, Any]], str],
    first: dict[str, dict[str, Any]],
    second: dict[str, dict[str, Any]] | None,
) -> None:
    print("\nconfidence tiers: ambiguous P / R (R over all ambiguous items)")
    header = f"{'':<17}{'half':<10}{'n':>5}{'amb':>5}  {'precise tier':<25}{'both tiers':<18}"
    print(header + f"{'broad alone':<18}human (first vs second)")
    for name, keep in GROUPS:
        for half in SPLITS:
            chosen = [item for item in items if keep(item) and split(item) == half]
            if not chosen:
                continue
            precise = [(gold[i["id"]], guess(found[i["id"]], True)) for i in chosen]
            both = [(gold[i["id"]], guess(found[i["id"]], False)) for i in chosen]
            p, r, _, amb = scores(precise)
            pb, rb, _, _ = scores(both)
            broad = [
                gold[i["id"]] == "ambiguous"
                for i in chosen
                if (f := found[i["id"]]) is not None
                and f.label.value == "ambiguous"
                and f.tier is Tier.BROAD
            ]
            alone = f"P {sum(broad) / len(broad):.2f} n={len(broad)}" if broad else "-"
            met = p >= TARGET_PRECISION and r >= TARGET_RECALL
            mark = ("met" if met else "MISSED") if half == "held-out" and "TODO" in name else ""
            human = "-"
            if second is not None:
                pairs = [
                    (second[i["id"]]["label"], first[i["id"]]["label"])
                    for i in chosen
                    if i["id"] in second
                ]
                hp, hr, _, _ = scores(pairs)
                human = f"P {hp:.2f} R {hr:.2f}"
            print(
                f"{name:<17}{half:<10}{len(chosen):>5}{amb:>5}  "
                f"{f'P {p:.2f} R {r:.2f} {mark}':<25}{f'P {pb:.2f} R {rb:.2f}':<18}"
                f"{alone:<18}{human}"
            )
    print(f"  (held-out target for the precise tier: P >= {TARGET_PRECISION} at R >= 0.60)")


def print_rule_precision(
    items: list[dict[str, Any]],
    gold: dict[str, str],
    found: dict[str, Finding | None],
    split: Callable[[dict[str, Any]], str],
) -> None:
    """How often each rule is right when it fires, on the dev halves only."""
    fired: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        finding = found[item["id"]]
        if split(item) != "dev" or finding is None or finding.label.value != "ambiguous":
            continue
        for rule in finding.assessment.rules:
            counts = fired[(item["kind"], rule)]
            counts[0] += 1
            counts[1] += gold[item["id"]] == "ambiguous"
    print("\nrule precision on the dev halves (what the tiers are chosen from)")
    for (kind, rule), (count, right) in sorted(fired.items(), key=lambda kv: (kv[0][0], -kv[1][0])):
        tier = Tier.PRECISE.value if rule in PRECISE_RULES else Tier.BROAD.value
        print(f"  {kind:<10}{rule:<30} fired {count:>4}  P {right / count:.2f}  {tier}")
