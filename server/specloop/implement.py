"""`specloop implement FILE:LINE`: the terminal front end of the loop.

The run itself is `loop.orchestrate.run`; this module turns flags into settings, reads
the file into a snapshot, asks questions on the terminal (or takes --answers, or the
stated assumptions), shows progress on stderr (a live line on a terminal, plain lines
otherwise) and prints the plan, the diff and the validation report on stdout — or
with --json exactly one JSON line. A validated change is written by --apply only if
the file on disk still holds the text the run started from; the write keeps the
file's bytes otherwise exactly as they were (line endings included).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError

from specloop.config import Settings
from specloop.loop.front_end import Offered, ProgressEvent
from specloop.loop.models import (
    LoopStatus,
    Plan,
    Question,
    RunRecord,
)
from specloop.loop.summary import RunSummary, Verdict, error_payload, json_payload, summarize

if TYPE_CHECKING:
    from specloop.loop.orchestrate import Proposal

EXIT_VALIDATED = 0
EXIT_NOT_VALIDATED = 1
EXIT_USAGE = 2
EXIT_NOT_APPLIED = 3
"""Validated, but --apply could not write it (the file changed meanwhile, or is read-only)."""

ENVIRONMENT_SETTINGS = {
    "model": "SPECLOOP_MODEL",
    "api_base": "SPECLOOP_API_BASE",
    "api_key_env": "SPECLOOP_API_KEY_ENV",
}
"""Settings the environment may supply when no flag does."""

_STAGES = ("clarify", "plan", "generate")


@dataclass(frozen=True)
class ImplementOptions:
    target: str
    json_output: bool = False
    apply: bool = False
    answers_file: Path | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)
    """Setting name -> value given on the command line (None: not given)."""
    stage_models: Sequence[str] = ()
    """``STAGE=MODEL`` items."""


class UsageError(Exception):
    """A problem with how specloop was called or configured (exit code 2)."""


def run_implement(options: ImplementOptions) -> int:
    try:
        return asyncio.run(_implement(options))
    except UsageError as error:
        _report_usage_error(options, str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("specloop implement: cancelled; no file was changed.", file=sys.stderr)
        return EXIT_NOT_VALIDATED


def settings_from_flags(options: ImplementOptions) -> Settings:
    """The flags over the environment over the defaults, validated like editor settings."""
    data: dict[str, Any] = {
        name: os.environ[variable]
        for name, variable in ENVIRONMENT_SETTINGS.items()
        if os.environ.get(variable)
    }
    data.update({name: value for name, value in options.flags.items() if value is not None})
    stage_models: dict[str, str] = {}
    for item in options.stage_models:
        stage, _, model = item.partition("=")
        if stage not in _STAGES or not model:
            raise UsageError(
                f"--stage-model takes STAGE=MODEL with STAGE one of {', '.join(_STAGES)}; "
                f"got {item!r}."
            )
        stage_models[stage] = model
    if stage_models:
        data["stage_models"] = stage_models
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"--{'-'.join(str(part) for part in detail['loc']).replace('_', '-')}: "
            f"{detail['msg'][0].lower()}{detail['msg'][1:]}"
            for detail in error.errors()
        )
        raise UsageError(f"Invalid option: {problems}.") from error


async def _implement(options: ImplementOptions) -> int:
    from specloop.loop import orchestrate
    from specloop.loop.provisioning import ModelProvider
    from specloop.loop.snapshot import Project, SnapshotError, read_snapshot

    settings = settings_from_flags(options)
    path, line = _parse_target(options.target)
    root = Path.cwd()
    snapshot = await asyncio.to_thread(read_snapshot, root, path)
    if isinstance(snapshot, SnapshotError):
        raise UsageError(snapshot.reason)
    answers = _load_answers(options.answers_file)
    front_end = TerminalFrontEnd(options, answers, root)
    request = orchestrate.RunRequest(Project(root), snapshot, line, settings)
    run = asyncio.current_task()
    assert run is not None
    stopped_by: list[str] = []
    loop = asyncio.get_running_loop()
    for number in _STOP_SIGNALS:
        # Whatever stops specloop stops the run: its sandbox dies, its record is saved.
        loop.add_signal_handler(number, _stop, run, stopped_by, number)
    try:
        async with ModelProvider() as provider:
            result = await orchestrate.run(request, provider, front_end)
    except asyncio.CancelledError:
        if not stopped_by:
            raise
        front_end.done()
        _print_cancelled(options, front_end.run_id, stopped_by[0])
        return EXIT_NOT_VALIDATED
    finally:
        for number in _STOP_SIGNALS:
            loop.remove_signal_handler(number)
    front_end.done()
    if isinstance(result, orchestrate.Refused):
        raise UsageError(result.reason)
    applied = bool(result.offered and result.offered.applied)
    _print_result(options, result.record, applied, result.offered)
    if result.record.error_kind in ("config", "environment"):
        # a key, a model name, an endpoint or the project's Python to fix: configuration
        return EXIT_USAGE
    if not result.validated:
        return EXIT_NOT_VALIDATED
    return EXIT_NOT_APPLIED if options.apply and not applied else EXIT_VALIDATED


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop(run: asyncio.Task[int], stopped_by: list[str], number: int) -> None:
    stopped_by.append(signal.Signals(number).name)
    run.cancel()


def _print_cancelled(options: ImplementOptions, run_id: str | None, signal_name: str) -> None:
    message = f"Cancelled ({signal_name}); nothing was applied."
    if options.json_output:
        print(json.dumps(error_payload("cancelled", message, run_id)))
    print(f"specloop implement: {message}", file=sys.stderr)
    if run_id is not None:
        print(f"Run record: specloop runs show {run_id}", file=sys.stderr)


class TerminalFrontEnd:
    """Questions on the terminal (or from --answers), progress on stderr, --apply on disk."""

    def __init__(self, options: ImplementOptions, given: Mapping[str, str], root: Path) -> None:
        self.options = options
        self.given = given
        self.root = root
        self.status = StatusLine(sys.stderr)
        self.run_id: str | None = None

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty() and sys.stderr.isatty() and not self.options.json_output

    def progress(self, event: ProgressEvent) -> None:
        self.run_id = event.run_id or self.run_id
        self.status.show(event.line())

    async def ask(self, questions: Sequence[Question]) -> list[str | None]:
        """From --answers, then the terminal when there is one; unanswered: None."""
        replies: list[str | None] = [self.given.get(question.id) for question in questions]
        if self.interactive and None in replies:
            self.status.pause()
            for number, question in enumerate(questions):
                if replies[number] is None:
                    replies[number] = await asyncio.to_thread(_ask, question)
        return replies

    async def review_plan(self, symbol: str, plan: Plan) -> bool:
        if not self.interactive:
            return True  # Nobody to ask: the plan is printed with the result.
        self.status.pause()
        print(f"\nPlan for {symbol}:", file=sys.stderr)
        for number, step in enumerate(plan.steps, 1):
            print(f"  {number}. {step}", file=sys.stderr)
        reply = await asyncio.to_thread(input, "Generate code from this plan? [Y/n] ")
        return reply.strip().lower() in ("", "y", "yes")

    async def offer(self, proposal: Proposal) -> Offered:
        from specloop.loop.snapshot import write_back

        if not self.options.apply:
            return Offered(False, "Rerun with --apply to write it.")
        refused = await asyncio.to_thread(write_back, self.root, proposal.base, proposal.new_text)
        return Offered(refused is None, refused)

    def done(self) -> None:
        self.status.pause()


def _parse_target(target: str) -> tuple[Path, int]:
    file, _, line = target.rpartition(":")
    if not file or not line.isdigit() or int(line) < 1:
        raise UsageError(f"Expected FILE:LINE (e.g. src/billing.py:12), got {target!r}.")
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"No such file: {file}.")
    return path, int(line)


def _load_answers(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"Cannot read answers from {path}: {error}.") from error
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise UsageError(f'{path} must hold a JSON object like {{"q1": "raise ValueError"}}.')
    return {str(key): value for key, value in data.items()}


def _ask(question: Question) -> str | None:
    """The option or the words typed; None (Enter) declines, which takes the default."""
    print(f"\n{question.text}", file=sys.stderr)
    for number, option in enumerate(question.options, 1):
        default = " (default)" if option == question.assumption else ""
        print(f"  {number}. {option}{default}", file=sys.stderr)
    enter = "for the default" if question.assumption else "to leave it unconfirmed"
    reply = input(f"Choose a number, type an answer, or press Enter {enter}: ").strip()
    if not reply:
        return None
    if reply.isdigit() and 1 <= int(reply) <= len(question.options):
        return question.options[int(reply) - 1]
    return reply


def _print_result(
    options: ImplementOptions, record: RunRecord, applied: bool, offered: Offered | None
) -> None:
    if options.json_output:
        payload = json_payload(record)
        if options.apply:
            payload["applied"] = applied
            if offered is not None and offered.reason and not applied:
                payload["not_applied"] = offered.reason
        print(json.dumps(payload))
        return
    summary = summarize(record)
    out = sys.stdout
    if record.clarification and record.answers:
        print("Decisions:", file=out)
        for answer in record.answers:
            print(
                f"  {answer.question_id}: {answer.answer}"
                + (" (assumed)" if answer.assumed else ""),
                file=out,
            )
    if record.plan:
        print("Plan:", file=out)
        for number, step in enumerate(record.plan.steps, 1):
            print(f"  {number}. {step}", file=out)
    if record.diff:
        heading = (
            "Validated change:"
            if record.status is LoopStatus.VALIDATED
            else "Last candidate (NOT validated, not applied):"
        )
        print(f"\n{heading}\n{record.diff}", file=out)
    print(_verdict(record, applied, offered), file=out)
    for attempt in summary.attempts:
        if attempt.error:
            print(f"  attempt {attempt.number}: {attempt.error}", file=out)
        for check in attempt.checks:
            mark = _TERMINAL_MARKS[check.verdict]
            said = f"{mark} {check.name} ({check.duration_s:.2f} s)"
            print(f"  attempt {attempt.number}: {said}", file=out)
    for line in _evidence_lines(summary):
        print(line, file=out)
    if record.environment is not None:
        print(f"Python: {record.environment.description}", file=out)
    if summary.isolation_description:
        print(f"Isolation: {summary.isolation_description}", file=out)
    print(f"Run record: specloop runs show {record.id}", file=out)


_TERMINAL_MARKS: dict[Verdict, str] = {"passed": "pass", "failed": "FAIL", "not run": "NOT RUN"}


def _verdict(record: RunRecord, applied: bool, offered: Offered | None) -> str:
    if record.status is LoopStatus.VALIDATED:
        if applied:
            tail = " and applied."
        else:
            tail = f"; not applied: {offered.reason}" if offered and offered.reason else "."
        return f"VALIDATED after {len(record.attempts)} attempt(s){tail}"
    if record.status is LoopStatus.NEEDS_CLARIFICATION and record.error:
        split = record.evidence.disagreements if record.evidence else []
        hint = next(
            (
                f' Answer with --answers FILE, e.g. {{"{item.question_id}": '
                f'"{item.outcomes[0].outcome}"}}, or run it on a terminal.'
                for item in reversed(split)
                if item.question_id and not item.answer
            ),
            "",
        )
        return f"NEEDS CLARIFICATION: {record.error} Nothing was applied.{hint}"
    if record.status is LoopStatus.NEEDS_CLARIFICATION:
        questions = record.clarification.questions if record.clarification else []
        asked = "; ".join(question.text for question in questions)
        return f"NEEDS CLARIFICATION: {asked} (answer with --answers FILE)."
    reason = f" {record.error}" if record.error else ""
    return f"NOT VALIDATED ({record.status.value}); nothing was applied.{reason}"


def _evidence_lines(summary: RunSummary) -> list[str]:
    """The samples and questions, for the text report."""
    if summary.evidence is None:
        return []
    lines = [f"Evidence: {summary.evidence}."]
    if summary.judged is not None:
        lines.append(f"  the accepted sample, judged: {summary.judged}")
    for item in summary.disagreements:
        lines.append(f"  samples disagree on {item.call}:")
        for group in item.groups:
            attempts = ", ".join(map(str, group.attempts))
            lines.append(
                f"    {group.outcome}  (attempt{'s' if len(group.attempts) > 1 else ''} {attempts})"
            )
        if item.answer:
            how = "assumed: the majority" if item.assumed else "answered"
            lines.append(f"    -> {item.answer} ({how})")
    if summary.examples_added:
        lines.append("  examples added to the docstring:")
        lines += [f"    {line}" for line in summary.examples_added]
    return lines


def _report_usage_error(options: ImplementOptions, message: str) -> None:
    if options.json_output:
        print(json.dumps(error_payload("error", message, None)))
    print(f"specloop implement: {message}", file=sys.stderr)


class StatusLine:
    """Progress on stderr: one live line on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._width = 0

    def show(self, text: str) -> None:
        if self.live:
            padding = " " * max(0, self._width - len(text))
            self.stream.write(f"\r{text}{padding}")
            self._width = len(text)
        else:
            self.stream.write(f"specloop: {text}\n")
        self.stream.flush()

    def pause(self) -> None:
        if self.live and self._width:
            self.stream.write("\n")
            self._width = 0
            self.stream.flush()
