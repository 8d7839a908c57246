"""The evidence sentence every front end shows, and a run record rendered for reading."""

from __future__ import annotations

from specloop.loop.models import (
    Answer,
    Attempt,
    Clarification,
    LoopSpec,
    LoopStatus,
    Plan,
    Question,
    RunRecord,
    SpecItem,
)
from specloop.loop.rendering import render_record
from specloop.validate.report import CheckResult, ValidationReport, evidence_summary


def check(name: str, passed: bool = True, evidence: bool = False, count: int | None = None):
    return CheckResult(name=name, passed=passed, evidence=evidence, count=count)


def test_the_evidence_names_each_check_with_what_it_counted():
    report = ValidationReport(
        checks=[
            check("syntax"),
            check("static"),
            check("spec examples", evidence=True, count=1),
            check("tests", evidence=True, count=2),
            check("generated tests", evidence=True, count=1),
        ]
    )
    assert evidence_summary(report) == (
        "validated: 5 checks — syntax, ruff, 1 spec example, 2 existing tests, "
        "1 spec test that fails on the old code"
    )


def test_checks_that_prove_nothing_or_fail_say_so():
    report = ValidationReport(
        checks=[
            check("syntax"),
            check("static"),
            check("generated tests", evidence=False, count=3),
            check("tests", passed=False),
        ]
    )
    summary = evidence_summary(report)
    assert summary.startswith("not validated: 4 checks")
    assert "spec tests (not counted: they show nothing about the change)" in summary
    assert summary.endswith("tests FAILED")
    assert evidence_summary(ValidationReport(checks=[check("syntax"), check("static")])) == (
        "not validated: 2 checks — syntax, ruff"
    )


def test_a_rendered_record_reads_as_a_report():
    spec = LoopSpec(
        path="pricing.py",
        line=1,
        first_line=1,
        last_line=8,
        kind="comment",
        text="handle errors",
        symbol="discount",
        symbol_kind="function",
        items=[
            SpecItem(kind="comment", line=7, marker="TODO", text="handle errors", ambiguous=True)
        ],
    )
    failing = ValidationReport(
        checks=[
            check("syntax"),
            check("static"),
            CheckResult(
                name="spec examples", passed=False, output="Expected:\n    180\nGot:\n    200"
            ),
        ],
        isolation="namespaces",
        isolation_description="namespaces: generated code ran in a new root.",
    )
    question = Question(
        id="q1", text="Negative totals?", options=["raise", "zero"], assumption="raise"
    )
    record = RunRecord(
        id="20261201-000000-abcdef",
        status=LoopStatus.UNVALIDATED,
        model="openai/m",
        spec=spec,
        clarification=Clarification(needed=True, questions=[question]),
        answers=[Answer(question_id="q1", answer="raise", assumed=True)],
        plan=Plan(steps=["Reject negatives"], touched_symbols=["discount"]),
        attempts=[
            Attempt(number=1, report=failing),
            Attempt(number=2, error="did not parse"),
            Attempt(number=3, report=failing),
        ],
        diff="--- a/pricing.py\n+++ b/pricing.py\n@@ -1 +1 @@\n-x\n+y\n",
    )
    text = render_record(record)
    assert text.startswith("# specloop run 20261201-000000-abcdef\n")
    for expected in (
        "**Not validated: nothing was applied** — `discount` in pricing.py:1",
        "- line 7 (TODO): handle errors",
        "- Negative totals? → **raise (assumed)**",
        "1. Reject negatives",
        "## Attempt 1",
        "not validated: 3 checks — syntax, ruff, spec examples FAILED",
        "What spec examples said:",
        "Got:\n    200",
        "The candidate could not be used: did not parse",
        "## Last candidate",
        "```diff\n--- a/pricing.py",
    ):
        assert expected in text, expected
    assert text.count("Isolation: namespaces: generated code ran in a new root.") == 1
