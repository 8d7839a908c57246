"""One run, four formats — the terminal, --json, the editor's message, the Markdown report —
agree on each check's verdict and on how the run ended, because all four format one
summary (`loop/summary.py`)."""

from __future__ import annotations

import contextlib
import io
import re

from specloop.implement import ImplementOptions, _print_result
from specloop.loop.models import Attempt, LoopSpec, LoopStatus, RunRecord
from specloop.loop.rendering import render_record
from specloop.loop.summary import json_payload, summarize
from specloop.lsp.loop_feature import _ending
from specloop.validate.report import CheckResult, ValidationReport

SPEC = LoopSpec(path="pricing.py", line=1, first_line=1, last_line=8, kind="comment",
                text="handle errors", symbol="discount", symbol_kind="function")  # fmt: skip


def check(name: str, passed: bool, ran: bool = True) -> CheckResult:
    return CheckResult(name=name, passed=passed, ran=ran, output="" if passed else "why")


RECORD = RunRecord(
    id="20261205-000000-abcdef",
    status=LoopStatus.UNVALIDATED,
    spec=SPEC,
    attempts=[
        Attempt(number=1, report=ValidationReport(checks=[
            check("syntax", True), check("ruff", True), check("spec examples", False)])),
        Attempt(number=2, error="the candidate did not parse"),
        Attempt(number=3, report=ValidationReport(checks=[
            check("syntax", True), check("sandbox", False, ran=False)])),
    ],
)  # fmt: skip
EXPECTED = {
    (1, "syntax", "passed"), (1, "ruff", "passed"), (1, "spec examples", "failed"),
    (3, "syntax", "passed"), (3, "sandbox", "not run"),
}  # fmt: skip


def terminal_verdicts(text: str) -> set[tuple[int, str, str]]:
    marks = {"pass": "passed", "FAIL": "failed", "NOT RUN": "not run"}
    found = re.findall(r"^  attempt (\d+): (pass|FAIL|NOT RUN) (.+) \(\d", text, re.MULTILINE)
    return {(int(number), name, marks[mark]) for number, mark, name in found}


def report_verdicts(text: str) -> set[tuple[int, str, str]]:
    marks = {"✓": "passed", "✗": "failed", "○ not run:": "not run"}
    verdicts = set()
    for section in re.split(r"^## Attempt ", text, flags=re.MULTILINE)[1:]:
        number = int(section.split("\n", 1)[0])
        for mark, name in re.findall(r"^- (✓|✗|○ not run:) (.+) \(\d", section, re.MULTILINE):
            verdicts.add((number, name, marks[mark]))
    return verdicts


def test_the_terminal_the_json_the_editor_and_the_report_agree_on_one_run() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _print_result(ImplementOptions(target="pricing.py:1"), RECORD, False, None)
    terminal = out.getvalue()
    report = render_record(RECORD)
    payload = json_payload(RECORD)
    editor = _ending(RECORD)

    assert terminal_verdicts(terminal) == EXPECTED
    assert report_verdicts(report) == EXPECTED
    last_attempt = {(name, verdict) for number, name, verdict in EXPECTED if number == 3}
    assert {(c["name"], c["verdict"]) for c in payload["checks"]} == last_attempt
    assert [c["ran"] for c in payload["checks"]] == [True, False]

    # How it ended: the same status everywhere, and the check that did not pass named
    # the same way (it could not run: nobody says it failed).
    assert payload["status"] == "unvalidated" and summarize(RECORD).outcome == "unvalidated"
    assert "NOT VALIDATED (unvalidated)" in terminal
    assert "**Not validated: nothing was applied**" in report
    assert "sandbox could not run after 3 attempt(s)" in editor
    assert "sandbox FAILED" not in report and "✗ sandbox" not in report
