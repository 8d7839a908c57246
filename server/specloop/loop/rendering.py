"""A run record as a document a person reads: what was asked, decided, tried and checked.

Editors show it when a run ends without a validated change (and on request); it is
Markdown, so it reads well as plain text too. The JSON record stays the source; this
is a view of it, with long outputs cut to what explains the failure.
"""

from __future__ import annotations

from specloop.loop.disagreement import evidence_phrase
from specloop.loop.models import Attempt, LoopStatus, RunRecord
from specloop.validate.report import evidence_summary

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


def outcome_text(record: RunRecord) -> str:
    """How a run ended in a few words, including what became of a validated change."""
    status = record.status.value.replace("_", " ")
    if record.status is LoopStatus.VALIDATED and record.applied is not None:
        return f"{status}, {'applied' if record.applied else 'not applied'}"
    return status


def render_record(record: RunRecord) -> str:
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
    isolation = next(
        (attempt.report.isolation_description for attempt in reversed(record.attempts)
         if attempt.report and attempt.report.isolation_description), None,
    )  # fmt: skip
    if isolation:  # the same for every attempt of a run: said once
        lines += ["", f"Isolation: {isolation}"]
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
    for attempt in record.attempts:
        lines += ["", *_attempt(attempt)]
    if record.evidence is not None:
        lines += ["", *_evidence(record)]
    if record.diff:
        heading = "Change" if record.status is LoopStatus.VALIDATED else "Last candidate"
        lines += ["", f"## {heading}", "", "```diff", record.diff.rstrip("\n"), "```"]
    if record.context_omitted:
        lines += ["", "## Left out of the model's context", ""]
        lines += [f"- {note}" for note in record.context_omitted]
    if record.environment is not None:
        lines += ["", "## Python", "", record.environment.description[0].upper()
                  + record.environment.description[1:] + "."]  # fmt: skip
    return "\n".join(lines) + "\n"


def _evidence(record: RunRecord) -> list[str]:
    """Samples, the inputs they were compared on, the questions, the judged spec tests."""
    evidence = record.evidence
    assert evidence is not None
    lines = ["## Evidence beyond the model", "", f"{evidence_phrase(evidence)}."]
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
    for item in evidence.disagreements:
        lines += ["", f"Samples disagree on `{item.call}`:"]
        lines += [
            f"- {group.outcome} — attempt{'s' if len(group.attempts) > 1 else ''} "
            f"{', '.join(map(str, group.attempts))}"
            for group in item.outcomes
        ]
        if item.answer:
            lines.append(
                f"→ **{item.answer}**" + (" (assumed: the majority)" if item.assumed else "")
            )
    if evidence.examples_added:
        lines += [
            "",
            "Examples added to the docstring:",
            "",
            "```",
            *evidence.examples_added,
            "```",
        ]
    if record.final_report is not None:
        lines += ["", f"The accepted sample, judged: {evidence_summary(record.final_report)}"]
    return lines


def _attempt(attempt: Attempt) -> list[str]:
    lines = [f"## Attempt {attempt.number}"]
    if attempt.error:
        lines += ["", f"The candidate could not be used: {attempt.error}"]
    report = attempt.report
    if report is None:
        return lines
    lines += ["", evidence_summary(report), ""]
    for check in report.checks:
        mark = "✓" if check.passed else "✗"
        lines.append(f"- {mark} {check.name} ({check.duration_s:.2f} s)")
    failure = report.first_failure()
    if failure is not None and failure.output.strip():
        output = failure.output.strip()
        if len(output) > _OUTPUT_LIMIT:
            output = "…" + output[-_OUTPUT_LIMIT:]
        lines += ["", f"What {failure.name} said:", "", "```", output, "```"]
    return lines
