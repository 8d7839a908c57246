"""`specloop implement FILE:LINE`: the loop from a terminal or CI.

Progress goes to stderr (a live line on a terminal, plain lines otherwise);
stdout gets the plan, the diff and the validation report, or with --json
exactly one JSON line. Only a validated result is ever written by --apply, and
only if the file did not change while the loop ran.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from specloop.loop.models import Answer, LoopStatus, Question, RunRecord, Stage

if TYPE_CHECKING:
    from specloop.loop.llm import ModelConfig
    from specloop.loop.runner import Answerer

EXIT_VALIDATED = 0
EXIT_NOT_VALIDATED = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class ImplementOptions:
    target: str
    model: str | None = None
    api_base: str | None = None
    api_key_env: str | None = None
    max_attempts: int = 3
    json_output: bool = False
    apply: bool = False
    answers_file: Path | None = None
    no_assume: bool = False
    timeout_s: float = 120.0
    check_timeout_s: float = 30.0
    stage_models: Mapping[str, str] = field(default_factory=dict)
    temperature: float = 0.2


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


async def _implement(options: ImplementOptions) -> int:
    from specloop.loop.context import TargetError, resolve_target
    from specloop.loop.llm import LLMAdapter, LLMError
    from specloop.loop.runner import Budget, LoopRequest, run_loop
    from specloop.validate.sandbox import SandboxLimits

    path, line = _parse_target(options.target)
    root = Path.cwd()
    resolved = await asyncio.to_thread(resolve_target, path, line)
    if isinstance(resolved, TargetError):
        raise UsageError(resolved.reason)
    spec = resolved.model_copy(update={"path": _relative_to(path, root)})
    answers = _load_answers(options.answers_file)
    progress = Progress(sys.stderr)
    async with AsyncExitStack() as stack:
        config = await _model_config(options, stack, progress)
        llm = LLMAdapter(config)
        request = LoopRequest(
            root=root,
            spec=spec,
            budget=Budget(max_attempts=options.max_attempts),
            limits=SandboxLimits(
                wall_s=options.check_timeout_s, cpu_s=max(1, int(options.check_timeout_s))
            ),
            secret_names=(options.api_key_env,) if options.api_key_env else (),
        )
        try:
            outcome = await run_loop(
                request, llm, _answerer(options, answers, progress), progress.event
            )
        except LLMError as error:  # pragma: no cover - run_loop records these itself
            raise UsageError(str(error)) from error
    progress.done()
    record = outcome.record
    applied = False
    if options.apply and outcome.validated and outcome.new_source is not None:
        applied = _apply(root / spec.path, outcome.original_source, outcome.new_source)
    _print_result(options, record, applied)
    return EXIT_VALIDATED if outcome.validated else EXIT_NOT_VALIDATED


async def _model_config(
    options: ImplementOptions, stack: AsyncExitStack, progress: Progress
) -> ModelConfig:
    from specloop.loop.llm import ModelConfig

    model = options.model or os.environ.get("SPECLOOP_MODEL")
    api_base = options.api_base or os.environ.get("SPECLOOP_API_BASE")
    api_key_env = options.api_key_env or os.environ.get("SPECLOOP_API_KEY_ENV")
    if model:
        return ModelConfig(
            model=model,
            api_base=api_base,
            api_key_env=api_key_env,
            timeout_s=options.timeout_s,
            temperature=options.temperature,
            stage_models={Stage(name): value for name, value in options.stage_models.items()},
        )
    from specloop.loop.local_model import LocalModelMissing, LocalModelServer

    progress.note("No model configured: starting the embedded model (SmolLM2-135M)")
    try:
        server = await stack.enter_async_context(LocalModelServer())
    except LocalModelMissing as error:
        raise UsageError(str(error)) from error
    return ModelConfig(
        model=f"openai/{server.model_name}",
        api_base=server.base_url,
        timeout_s=options.timeout_s,
        schema_format="json_object",
        max_tokens=1024,
    )


def _parse_target(target: str) -> tuple[Path, int]:
    file, _, line = target.rpartition(":")
    if not file or not line.isdigit() or int(line) < 1:
        raise UsageError(f"Expected FILE:LINE (e.g. src/billing.py:12), got {target!r}.")
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"No such file: {file}.")
    return path, int(line)


def _relative_to(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError as error:
        raise UsageError(
            f"{path} is outside the current directory; run specloop from the project root."
        ) from error


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


def _answerer(options: ImplementOptions, given: dict[str, str], progress: Progress) -> Answerer:
    from specloop.loop.runner import assume_defaults

    async def answer(questions: Sequence[Question]) -> list[Answer] | None:
        answers: list[Answer] = []
        unanswered = [question for question in questions if question.id not in given]
        answers.extend(
            Answer(question_id=question.id, answer=given[question.id], assumed=False)
            for question in questions
            if question.id in given
        )
        if not unanswered:
            return answers
        if sys.stdin.isatty() and sys.stderr.isatty() and not options.json_output:
            progress.pause()
            for question in unanswered:
                answers.append(await asyncio.to_thread(_ask, question))
            return answers
        if options.no_assume:
            return None
        return answers + assume_defaults(unanswered)

    return answer


def _ask(question: Question) -> Answer:
    print(f"\n{question.text}", file=sys.stderr)
    for number, option in enumerate(question.options, 1):
        default = " (default)" if option == question.assumption else ""
        print(f"  {number}. {option}{default}", file=sys.stderr)
    reply = input("Choose a number, type an answer, or press Enter for the default: ").strip()
    if not reply:
        return Answer(question_id=question.id, answer=question.assumption, assumed=True)
    if reply.isdigit() and 1 <= int(reply) <= len(question.options):
        return Answer(
            question_id=question.id, answer=question.options[int(reply) - 1], assumed=False
        )
    return Answer(question_id=question.id, answer=reply, assumed=False)


def _apply(module: Path, original: str, new_source: str) -> bool:
    """Write the validated module, unless the file changed since the loop read it."""
    if module.read_text(encoding="utf-8") != original:
        print(
            f"specloop implement: {module} changed while the loop ran; not applied.",
            file=sys.stderr,
        )
        return False
    temporary = module.with_name(f".{module.name}.specloop.tmp")
    temporary.write_text(new_source, encoding="utf-8")
    os.replace(temporary, module)
    return True


def _print_result(options: ImplementOptions, record: RunRecord, applied: bool) -> None:
    checks = [
        {"name": check.name, "passed": check.passed}
        for attempt in record.attempts[-1:]
        if attempt.report is not None
        for check in attempt.report.checks
    ]
    if options.json_output:
        payload: dict[str, Any] = {
            "status": record.status.value,
            "diff": record.diff,
            "checks": checks,
            "attempts": len(record.attempts),
            "tokens": record.tokens,
            "run_id": record.id,
        }
        if record.error:
            payload["error"] = record.error
        if options.apply:
            payload["applied"] = applied
        print(json.dumps(payload))
        return
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
    print(_verdict(record, applied), file=out)
    for attempt in record.attempts:
        _print_attempt(attempt, out)
    print(f"Run record: specloop runs show {record.id}", file=out)


def _verdict(record: RunRecord, applied: bool) -> str:
    if record.status is LoopStatus.VALIDATED:
        tail = " and applied." if applied else "; rerun with --apply to write it."
        return f"VALIDATED after {len(record.attempts)} attempt(s){tail}"
    if record.status is LoopStatus.NEEDS_CLARIFICATION:
        questions = record.clarification.questions if record.clarification else []
        asked = "; ".join(question.text for question in questions)
        return f"NEEDS CLARIFICATION: {asked} (answer with --answers FILE)."
    reason = f" {record.error}" if record.error else ""
    return f"NOT VALIDATED ({record.status.value}); nothing was applied.{reason}"


def _print_attempt(attempt: Any, out: TextIO) -> None:
    if attempt.error:
        print(f"  attempt {attempt.number}: {attempt.error}", file=out)
    if attempt.report is None:
        return
    for check in attempt.report.checks:
        mark = "pass" if check.passed else "FAIL"
        print(
            f"  attempt {attempt.number}: {mark} {check.name} ({check.duration_s:.2f} s)", file=out
        )


def _report_usage_error(options: ImplementOptions, message: str) -> None:
    if options.json_output:
        print(
            json.dumps(
                {
                    "status": "error",
                    "error": message,
                    "diff": "",
                    "checks": [],
                    "attempts": 0,
                    "tokens": 0,
                    "run_id": None,
                }
            )
        )
    print(f"specloop implement: {message}", file=sys.stderr)


class Progress:
    """Stage progress on stderr: one live line on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._width = 0

    def event(self, event: Any) -> None:
        attempt = f" (attempt {event.attempt})" if event.attempt else ""
        self._show(f"[{event.stage.value}]{attempt} {event.message}")

    def note(self, message: str) -> None:
        self._show(message)

    def pause(self) -> None:
        if self.live and self._width:
            self.stream.write("\n")
            self._width = 0

    def done(self) -> None:
        self.pause()

    def _show(self, text: str) -> None:
        if self.live:
            padding = " " * max(0, self._width - len(text))
            self.stream.write(f"\r{text}{padding}")
            self._width = len(text)
        else:
            self.stream.write(f"specloop: {text}\n")
        self.stream.flush()
