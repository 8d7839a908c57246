"""Behaviour of several candidates on the same inputs: run them in the sandbox, group them.

`run_probes` runs each candidate module in one sandbox (a copy of the project, as for
the other checks) on every probe input, one process per candidate, through
`probe_runner`; `group_by_behaviour` puts candidates that did the same thing on every
input into one `BehaviourGroup`; `most_telling_input` picks the input on which the
groups split most (ties: the earliest, so spec examples and edge values come before
random inputs). Two candidates behave alike when, input by input, both returned values
with the same canonical key, both raised the same exception type, or both ran out of
time (`probe_runner.canonical`). A candidate whose process was stopped at the sandbox's
wall-clock limit did not finish the inputs it had left: that is its behaviour there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from specloop.analysis.modules import import_name
from specloop.validate import probe_runner
from specloop.validate.environment import PythonEnvironment
from specloop.validate.project_copy import ProjectCopy, run_copy
from specloop.validate.sandbox import (
    Isolation,
    Sandbox,
    SandboxLimits,
    detect_isolation,
    refusal,
)

PROBE_SCRIPT = "specloop_probe.py"
PROBE_REQUEST = "specloop_probe_request.json"
RUNNER_SOURCE = Path(probe_runner.__file__).read_text(encoding="utf-8")
CALL_TIMEOUT_S = 1.0
"""How long one call may take before it counts as not finishing."""
OUTPUT_LIMIT = 4 * 1024 * 1024
"""Every input's outcome must come back, not just the last few (outcome lines are bounded)."""
_NOT_FINISHED = {"kind": "timeout", "key": "timeout", "text": "does not finish"}


class Outcome(BaseModel):
    """What one call did: ``return`` (with the value's repr), ``raise`` or ``timeout``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    key: str = Field(description="Equal keys are the same behaviour.")
    text: str = Field(description='As a user reads it: "return 5", "raise ValueError".')
    value: str | None = Field(default=None, description="The returned value's repr.")


class BehaviourGroup(BaseModel):
    """Candidates (by their index in the pool) that behaved alike on every input."""

    model_config = ConfigDict(extra="forbid")

    members: list[int]
    outcomes: list[Outcome]


@dataclass(frozen=True)
class ProbeRequest:
    project_root: Path
    module_path: str
    """Relative to the project root: where each candidate module is placed."""
    function: str
    """Qualified name of the function to call (``clamp``; ``Account.rate`` for a static one)."""
    sources: Sequence[str]
    """The whole module with each candidate in place."""
    inputs: Sequence[Sequence[str]]
    """Each input: the arguments as Python literals (source text)."""
    limits: SandboxLimits
    open_buffers: dict[str, str]
    allow_unisolated: bool = False
    call_timeout_s: float = CALL_TIMEOUT_S
    isolation: Isolation | None = None
    environment: PythonEnvironment | None = None
    """The project's Python environment; None: specloop's own."""
    files: ProjectCopy | None = None
    """The run's copy of the project (`project_copy`); None: the sandbox copies it."""


class ProbeRefused(Exception):
    """The sandbox is not available with the isolation the settings require."""


async def run_probes(request: ProbeRequest) -> list[list[Outcome]]:
    """Per candidate, per input, what the call did (run in the sandbox, never here)."""
    isolation = request.isolation
    if isolation is None:
        isolation = await asyncio.to_thread(detect_isolation)
    refused = refusal(isolation, request.allow_unisolated)
    if refused is not None:
        raise ProbeRefused(refused)
    module = request.module_path
    dotted = import_name(request.project_root, module)
    results = []
    async with Sandbox(isolation, request.environment) as sandbox:
        files = run_copy(request.files, request.project_root, request.open_buffers)
        await asyncio.to_thread(files.fill, sandbox, module, [])
        sandbox.write(PROBE_SCRIPT, RUNNER_SOURCE)
        payload = {
            "module": dotted,
            "function": request.function,
            "inputs": [list(arguments) for arguments in request.inputs],
            "timeout_s": request.call_timeout_s,
        }
        sandbox.write(PROBE_REQUEST, json.dumps(payload))
        for source in request.sources:
            sandbox.write(module, source)
            run = await sandbox.run(
                [sandbox.python, PROBE_SCRIPT, PROBE_REQUEST],
                request.limits,
                output_limit=OUTPUT_LIMIT,
            )
            results.append(parse_outcomes(run.stdout, len(request.inputs)))
    return results


def parse_outcomes(stdout: str, count: int) -> list[Outcome]:
    """The runner's lines, by input; inputs it never reported (stopped, crashed) did not finish."""
    found: dict[int, Outcome] = {}
    for line in stdout.splitlines():
        if not line.startswith(probe_runner.LINE_PREFIX):
            continue
        data = json.loads(line.removeprefix(probe_runner.LINE_PREFIX))
        index = data.pop("index", None)
        if isinstance(index, int) and 0 <= index < count:
            found[index] = Outcome.model_validate(data)
    not_finished = Outcome.model_validate(_NOT_FINISHED)
    return [found.get(index, not_finished) for index in range(count)]


def group_by_behaviour(outcomes: Sequence[Sequence[Outcome]]) -> list[BehaviourGroup]:
    """Candidates with the same outcome on every input, largest group first (ties: earliest)."""
    groups: dict[tuple[str, ...], BehaviourGroup] = {}
    for index, row in enumerate(outcomes):
        signature = tuple(outcome.key for outcome in row)
        group = groups.get(signature)
        if group is None:
            groups[signature] = BehaviourGroup(members=[index], outcomes=list(row))
        else:
            group.members.append(index)
    return sorted(groups.values(), key=lambda group: (-len(group.members), group.members[0]))


def split_inputs(groups: Sequence[BehaviourGroup]) -> list[int]:
    """Indexes of the inputs on which the groups do not all agree."""
    if len(groups) < 2:
        return []
    count = len(groups[0].outcomes)
    return [
        index for index in range(count) if len({group.outcomes[index].key for group in groups}) > 1
    ]


def most_telling_input(
    groups: Sequence[BehaviourGroup], weights: Sequence[int] | None = None
) -> int | None:
    """The input whose answer rules out the most: most distinct outcomes, then the earliest.

    Among inputs with as many outcomes, the one whose largest outcome holds the fewest
    candidates wins (an answer there rules out more, whichever it is); then, given
    ``weights`` (one per input), the heaviest (what else the answer would settle).
    """
    best: tuple[int, int, int, int] | None = None
    for index in split_inputs(groups):
        sizes: dict[str, int] = {}
        for group in groups:
            key = group.outcomes[index].key
            sizes[key] = sizes.get(key, 0) + len(group.members)
        weight = weights[index] if weights is not None else 0
        score = (-len(sizes), max(sizes.values()), -weight, index)
        if best is None or score < best:
            best = score
    return None if best is None else best[3]


def outcomes_at(groups: Sequence[BehaviourGroup], index: int) -> list[tuple[Outcome, list[int]]]:
    """The distinct outcomes at input ``index``, each with the candidates that had it."""
    seen: dict[str, tuple[Outcome, list[int]]] = {}
    for group in groups:
        outcome = group.outcomes[index]
        entry = seen.setdefault(outcome.key, (outcome, []))
        entry[1].extend(group.members)
    return sorted(seen.values(), key=lambda entry: (-len(entry[1]), min(entry[1])))
