"""Behaviour probing: what counts as the same behaviour, grouping, and runs in the real sandbox."""

from __future__ import annotations

from pathlib import Path

from specloop.validate import probe_runner
from specloop.validate.behaviour import (
    Outcome,
    ProbeRequest,
    group_by_behaviour,
    most_telling_input,
    outcomes_at,
    parse_outcomes,
    run_probes,
    split_inputs,
)
from specloop.validate.sandbox import SandboxLimits


def outcome(function, *arguments: str, timeout_s: float = 0.5) -> Outcome:
    return Outcome.model_validate(probe_runner.call_one(function, arguments, timeout_s))


def test_values_exceptions_and_hangs_are_behaviours():
    assert outcome(lambda x: x + 1, "1").text == "return 2"
    assert outcome(lambda x: 1 // x, "0").key == "raise:ZeroDivisionError"

    def hang(x):
        while True:
            pass

    assert outcome(hang, "1", timeout_s=0.1).kind == "timeout"

    def recurse(x):
        return recurse(x)

    assert outcome(recurse, "1").key == "raise:RecursionError"


def test_floats_agree_to_nine_digits_and_nan_equals_nan():
    assert outcome(lambda: 0.1 + 0.2).key == outcome(lambda: 0.3).key
    assert outcome(lambda: 0.3001).key != outcome(lambda: 0.3).key
    assert outcome(lambda: float("nan")).key == outcome(lambda: float("nan")).key
    assert outcome(lambda: 2.0).key != outcome(lambda: 2).key, "an int is not a float"


def test_unhashable_and_unorderable_results_compare_by_content():
    assert outcome(lambda: {"b": [1], "a": {2}}).key == outcome(lambda: {"a": {2}, "b": [1]}).key
    # 8 and 16 share a hash slot: these equal sets iterate in different orders
    assert list({8, 16}) != list({16, 8})
    assert outcome(lambda: {8, 16}).key == outcome(lambda: {16, 8}).key
    assert outcome(lambda: [1, 2]).key != outcome(lambda: (1, 2)).key

    class Point:
        pass

    assert outcome(Point).key == outcome(Point).key, "object addresses are ignored"


def test_arguments_are_fresh_for_every_call():
    def pop(items):
        items.pop()
        return len(items)

    results = list(probe_runner.call_all(pop, [["[1, 2]"], ["[1, 2]"]], 0.5))
    assert [result["text"] for result in results] == ["return 1", "return 1"]


def row(*keys: str) -> list[Outcome]:
    return [Outcome(kind="return", key=key, text=f"return {key}", value=key) for key in keys]


def test_grouping_puts_the_largest_group_first_and_finds_the_telling_input():
    groups = group_by_behaviour([row("1", "2", "3"), row("1", "2", "4"), row("1", "9", "4")])
    assert [group.members for group in groups] == [[0], [1], [2]]
    assert split_inputs(groups) == [1, 2]
    assert most_telling_input(groups) == 1  # 2 outcomes at both; the first split wins ties
    groups = group_by_behaviour([row("1", "2"), row("1", "3"), row("1", "2"), row("5", "6")])
    assert [group.members for group in groups] == [[0, 2], [1], [3]]
    # input 0 splits 3 vs 1; input 1 splits 2/1/1 (three outcomes): ask there
    assert most_telling_input(groups) == 1
    assert [(item.text, members) for item, members in outcomes_at(groups, 1)] == [
        ("return 2", [0, 2]), ("return 3", [1]), ("return 6", [3]),
    ]  # fmt: skip
    assert most_telling_input(group_by_behaviour([row("1"), row("1")])) is None


def test_weights_break_ties_between_equally_telling_inputs_only():
    groups = group_by_behaviour([row("1", "2", "3"), row("1", "2", "4"), row("1", "9", "4")])
    assert most_telling_input(groups, [0, 1, 5]) == 2  # a tie (2 outcomes each): heaviest
    groups = group_by_behaviour([row("1", "2"), row("1", "3"), row("1", "2"), row("5", "6")])
    assert most_telling_input(groups, [9, 0]) == 1  # three outcomes beat any weight


def test_a_process_stopped_half_way_did_not_finish_the_rest():
    line = probe_runner.LINE_PREFIX + (
        '{"index": 1, "kind": "return", "key": "return:int:1", "text": "return 1"}'
    )
    outcomes = parse_outcomes(f"noise printed by the candidate\n{line}\n", 3)
    assert [item.kind for item in outcomes] == ["timeout", "return", "timeout"]


async def test_candidates_run_in_the_sandbox_and_a_hang_is_its_own_behaviour(tmp_path: Path):
    (tmp_path / "calc.py").write_text("def half(n):\n    ...\n")
    sources = [
        "def half(n):\n    return n // 2\n",
        # prints far more than the sandbox keeps of its output
        "def half(n):\n    print('chatty' * 1_000_000)\n    return n >> 1\n",
        "def half(n):\n    if n < 0:\n        raise ValueError(n)\n    return n // 2\n",
        "def half(n):\n    while n < 0:\n        pass\n    return n // 2\n",
    ]
    request = ProbeRequest(
        project_root=tmp_path,
        module_path="calc.py",
        function="half",
        sources=sources,
        inputs=[["4"], ["-3"]],
        limits=SandboxLimits(wall_s=20.0),
        open_buffers={},
        call_timeout_s=0.3,
    )
    outcomes = await run_probes(request)
    assert [[item.text for item in row] for row in outcomes] == [
        ["return 2", "return -2"],
        ["return 2", "return -2"],
        ["return 2", "raise ValueError"],
        ["return 2", "does not finish"],
    ]
    groups = group_by_behaviour(outcomes)
    assert [group.members for group in groups] == [[0, 1], [2], [3]]


async def test_a_candidate_the_timer_cannot_stop_is_stopped_by_the_sandbox(tmp_path: Path):
    (tmp_path / "calc.py").write_text("def half(n):\n    ...\n")
    stubborn = (
        "import signal\n\n\n"
        "def half(n):\n"
        "    if n < 0:\n"
        "        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "        while True:\n"
        "            pass\n"
        "    return n // 2\n"
    )
    request = ProbeRequest(
        project_root=tmp_path,
        module_path="calc.py",
        function="half",
        sources=[stubborn],
        inputs=[["4"], ["-3"], ["8"]],
        limits=SandboxLimits(wall_s=3.0, cpu_s=3),
        open_buffers={},
        call_timeout_s=0.3,
    )
    (outcomes,) = await run_probes(request)
    # The wall-clock limit stopped the process: what it had not reported did not finish.
    assert [item.text for item in outcomes] == ["return 2", "does not finish", "does not finish"]


def test_among_inputs_that_split_as_many_ways_the_more_even_split_is_asked():
    """Input 0 splits the four candidates 3 vs 1, input 1 splits them 2 vs 2: an answer
    at input 1 rules out two candidates whichever it is, at input 0 maybe only one."""
    groups = group_by_behaviour([row("1", "a"), row("1", "a"), row("1", "b"), row("2", "b")])
    assert split_inputs(groups) == [0, 1]
    assert most_telling_input(groups) == 1
