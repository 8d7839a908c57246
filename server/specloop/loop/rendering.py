"""A run record as a document a person reads: what was asked, decided, tried and checked.

Editors show it when a run ends without a validated change (and on request); it is
Markdown, so it reads well as plain text too. The JSON record stays the source; this
is a view of it (a formatter over `summary.py`), with long outputs cut to what explains
the failure.
"""

from __future__ import annotations

from specloop.loop.models import LoopStatus, RunRecord
from specloop.loop.summary import AttemptSummary, RunSummary, Verdict, summarize

_OUTPUT_LIMIT = 2_500
_INPUTS_SHOWN = 12

_HEADLINES = {
    LoopStatus.VALIDATED: "Validated",
    LoopStatus.UNVALIDATED: "Not validated: nothing was applied",
    LoopStatus.NEEDS_CLARIFICATION: "Needs clarification: nothing was applied",
    LoopStatus.CANCELLED: "Cancelled: nothing was applied",
    LoopStatus.ERROR: "Stopped by an error: nothing was applied",
    LoopStatus.CLARIFIED: "Clarified: the TODO was rewritten from your answers",
}


def render_record(record: RunRecord) -> str:
    summary = summarize(record)
    spec = record.spec
    target = f"`{spec.symbol}` in {spec.path}:{spec.line}" if spec else "(no target)"
    lines = [
        f"# specloop run {record.id}",
        "",
        f"**{_HEADLINES[record.status]}** — {target}",
        "",
        f"Model: {record.model or '(none)'} · {len(record.attempts)} attempt(s) · "
        f"{record.tokens} tokens · {record.duration_s:.1f} s",
    ]
    if record.error:
        lines += ["", f"> {record.error}"]
    if record.applied is not None:
        applied = "yes" if record.applied else f"no — {record.not_applied_reason or 'declined'}"
        lines += ["", f"Applied: {applied}"]
    if spec and spec.items:
        lines += ["", "## Spec", ""]
        lines += [
            f"- line {item.line} ({item.marker or item.kind}): {item.text}" for item in spec.items
        ]
    if record.clarification and record.clarification.questions:
        lines += ["", "## Questions", ""]
        answers = {answer.question_id: answer for answer in record.answers}
        for question in record.clarification.questions:
            answer = answers.get(question.id)
            said = f"{answer.answer}{' (assumed)' if answer.assumed else ''}" if answer else "—"
            lines.append(f"- {question.text} → **{said}**")
    if record.plan:
        lines += ["", "## Plan", ""]
        lines += [f"{number}. {step}" for number, step in enumerate(record.plan.steps, 1)]
    for attempt in summary.attempts:
        lines += ["", *_attempt(attempt)]
    if summary.evidence is not None:
        lines += ["", *_evidence(record, summary)]
    if record.diff:
        heading = "Change" if record.status is LoopStatus.VALIDATED else "Last candidate"
        lines += ["", f"## {heading}", "", "```diff", record.diff.rstrip("\n"), "```"]
    if record.context_omitted:
        lines += ["", "## Left out of the model's context", ""]
        lines += [f"- {note}" for note in record.context_omitted]
    if record.environment is not None:
        lines += ["", "## Python", "", record.environment.description[0].upper()
                  + record.environment.description[1:] + "."]  # fmt: skip
    if summary.isolation_description:  # the same for every attempt: said once, at the end
        lines += ["", f"Isolation: {summary.isolation_description}"]
    return "\n".join(lines) + "\n"


def _evidence(record: RunRecord, summary: RunSummary) -> list[str]:
    """Samples, the inputs they were compared on, the questions, the judged spec tests."""
    evidence = record.evidence
    assert evidence is not None
    lines = ["## Evidence beyond the model", "", f"{summary.evidence}."]
    if evidence.inputs:
        lines.append(
            f"Probe inputs (seed {evidence.probe_seed}): "
            + ", ".join(f"`{call}`" for call in evidence.inputs[:_INPUTS_SHOWN])
            + (
                f" and {len(evidence.inputs) - _INPUTS_SHOWN} more"
                if len(evidence.inputs) > _INPUTS_SHOWN
                else ""
            )
        )
    for item in summary.disagreements:
        lines += ["", f"Samples disagree on `{item.call}`:"]
        lines += [
            f"- {group.outcome} — attempt{'s' if len(group.attempts) > 1 else ''} "
            f"{', '.join(map(str, group.attempts))}"
            for group in item.groups
        ]
        if item.answer:
            lines.append(
                f"→ **{item.answer}**" + (" (assumed: the majority)" if item.assumed else "")
            )
    if summary.examples_added:
        lines += ["", "Examples added to the docstring:", "", "```", *summary.examples_added, "```"]
    if summary.judged is not None:
        lines += ["", f"The accepted sample, judged: {summary.judged}"]
    return lines


_REPORT_MARKS: dict[Verdict, str] = {"passed": "✓", "failed": "✗", "not run": "○ not run:"}


def _attempt(attempt: AttemptSummary) -> list[str]:
    lines = [f"## Attempt {attempt.number}"]
    if attempt.error:
        lines += ["", f"The candidate could not be used: {attempt.error}"]
    if attempt.checked is None:
        return lines
    lines += ["", attempt.checked, ""]
    for check in attempt.checks:
        lines.append(f"- {_REPORT_MARKS[check.verdict]} {check.name} ({check.duration_s:.2f} s)")
    if attempt.failing_check is not None and attempt.failure_output:
        output = attempt.failure_output
        if len(output) > _OUTPUT_LIMIT:
            output = "…" + output[-_OUTPUT_LIMIT:]
        lines += ["", f"What {attempt.failing_check.name} said:", "", "```", output, "```"]
    return lines
