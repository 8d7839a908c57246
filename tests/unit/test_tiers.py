"""Confidence tiers: the rule that fired decides the tier, test files demote stubs, the
severity mapping, and `reported` keeping the tiers asked for."""

from __future__ import annotations

import pytest

from specloop.analysis.findings import Finding, find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.selection import reported
from specloop.analysis.text import LineIndex
from specloop.analysis.tiers import (
    MIN_SUPPORT,
    PRECISE_RULES,
    THIN_EVIDENCE,
    Tier,
    is_test_path,
    placement,
    severity_of,
)
from specloop.defaults import Severity, Tiers


def findings(source: str, path: str | None = None) -> list[Finding]:
    data = source.encode()
    return find_specs(data, parse(data), LineIndex.of(data), path=path)


def todo(text: str) -> Finding:
    [finding] = findings(f"def charge(amount):\n    # TODO: {text}\n    return amount\n")
    return finding


def stub(docstring: str, path: str | None = None) -> Finding:
    [finding] = findings(f'def refund(order):\n    """{docstring}"""\n    ...\n', path)
    return finding


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("maybe cache this?", "question"),
        ("perhaps use a dict here", "open-choice"),
        ("handle errors", "error-words"),
        ("handle some cases of overflow", "indefinite-values"),
        ("figure out why this leaks memory", "indirect-question"),
    ],
)
def test_a_finding_from_a_precise_rule_is_in_the_precise_tier(text: str, rule: str):
    finding = todo(text)
    assert rule in finding.assessment.rules
    assert rule in PRECISE_RULES
    assert finding.tier is Tier.PRECISE
    assert finding.data()["tier"] == "precise"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("headers may be a plain dict here", "states-a-fact"),
        ("refactor", "vague-verb"),
        ("populate", "terse"),
        ("make this faster", "soft-criterion"),
        ("use a proper conditional statement here", "open-values"),
    ],
)
def test_a_finding_only_broad_rules_fired_on_is_in_the_broad_tier(text: str, rule: str):
    finding = todo(text)
    assert finding.assessment.rules == (rule,) or rule in finding.assessment.rules
    assert not set(finding.assessment.rules) & PRECISE_RULES
    assert finding.tier is Tier.BROAD
    assert finding.data()["tier"] == "broad"


def test_one_precise_rule_among_broad_ones_makes_the_finding_precise():
    finding = todo("refactor this, maybe?")
    assert "vague-verb" in finding.assessment.rules
    assert "question" in finding.assessment.rules
    assert finding.tier is Tier.PRECISE


def test_every_rule_id_is_recorded_even_when_its_facet_is_hidden_by_a_more_specific_one():
    # "handle" (a vague verb) and "errors" both fire; the message leads with the values.
    finding = todo("handle errors somehow")
    assert {"vague-verb", "error-words"} <= set(finding.assessment.rules)


@pytest.mark.parametrize(
    "path",
    [
        "tests/decorators/tests.py",
        "pkg/test_views.py",
        "pkg/views_test.py",
        "conftest.py",
        "src/testing/helpers.py",
        "tests/migrations/test_migrations_plan/0005_fifth.py",
        "app/fixtures/stubs.py",
        "doc/data/messages/fixme/good.py",
        "docs/examples/quickstart.py",
    ],
)
def test_stub_docstrings_in_test_files_and_fixtures_are_broad(path: str):
    assert is_test_path(path)
    # "A method" on a helper in a test file is a placeholder, not a spec.
    assert stub("A method", path).tier is Tier.BROAD
    # Even a docstring a precise rule flags: in a test file, a stub is a helper.
    assert stub("Refund it somehow.", path).tier is Tier.BROAD


@pytest.mark.parametrize(
    "path", ["billing/views.py", "src/contest.py", "latest/api.py", "src/docsite/api.py", None]
)
def test_stub_docstrings_elsewhere_keep_their_rules_tier(path: str | None):
    if path is not None:
        assert not is_test_path(path)
    assert stub("Refund it somehow.", path).tier is Tier.PRECISE


def test_todo_comments_in_test_files_keep_their_rules_tier():
    source = "def test_charge():\n    # TODO: maybe cache this?\n    assert True\n"
    [finding] = findings(source, "tests/test_billing.py")
    assert finding.tier is Tier.PRECISE


@pytest.mark.parametrize(
    ("configured", "broad"),
    [
        (Severity.ERROR, Severity.INFORMATION),
        (Severity.WARNING, Severity.INFORMATION),
        (Severity.INFORMATION, Severity.HINT),
        (Severity.HINT, Severity.HINT),
    ],
)
def test_the_broad_tier_is_reported_one_step_quieter(configured: Severity, broad: Severity):
    assert severity_of(Tier.PRECISE, configured) is configured
    assert severity_of(Tier.BROAD, configured) is broad


def test_reported_keeps_the_tiers_asked_for():
    source = (
        "def charge(amount):\n"
        "    # TODO: maybe cache this?\n"
        "    # TODO: refactor\n"
        "    return amount\n"
    )
    data = source.encode()
    lines = LineIndex.of(data)
    found = find_specs(data, parse(data), lines)
    assert [f.tier for f in found] == [Tier.PRECISE, Tier.BROAD]
    default = reported(found, data, lines)
    assert [f.spec.text for f in default] == ["maybe cache this?"]
    everything = reported(found, data, lines, tiers=Tiers.ALL)
    assert [f.spec.text for f in everything] == ["maybe cache this?", "refactor"]


def test_all_labels_reports_every_spec_whatever_its_tier():
    source = "def charge(amount):\n    # TODO: refactor\n    return amount\n"
    data = source.encode()
    lines = LineIndex.of(data)
    found = find_specs(data, parse(data), lines)
    assert reported(found, data, lines) == []
    assert reported(found, data, lines, all_labels=True) == found


@pytest.mark.parametrize(
    ("fired", "right", "tier"),
    [
        (74, 71, Tier.PRECISE),  # question on the dev halves
        (24, 22, Tier.PRECISE),  # soft-criterion over three batches' dev halves: 0.917
        (32, 28, Tier.BROAD),  # soft-criterion over four: 0.875
        (10, 9, Tier.PRECISE),  # indirect-question
        (10, 9, Tier.PRECISE),  # the least evidence that places a rule: one error in ten
        (10, 8, Tier.BROAD),
        (31, 26, Tier.BROAD),  # vague-verb: 0.84
        (9, 9, Tier.BROAD),  # right every time, but too few times to tell
        (1, 1, Tier.BROAD),
        (0, 0, Tier.BROAD),  # never fired: no evidence
    ],
)
def test_a_rule_is_placed_precise_only_on_enough_precise_firings(
    fired: int, right: int, tier: Tier
):
    assert MIN_SUPPORT == 10
    assert placement(fired, right) is tier


def test_the_rules_kept_on_thin_evidence_are_precise_rules_and_grow_no_further():
    # They predate the minimum support; no rule joins them (docs/rubric.md, part 5).
    assert THIN_EVIDENCE <= PRECISE_RULES
    assert {
        "trailing-off",
        "error-words",
        "move-without-destination",
        "aside-choice",
        "bare-trigger",
    } == THIN_EVIDENCE
