"""Generated code that tries to escape, run in each isolation mode: contained or not, how fast.

Usage::

    .venv/bin/python -m benchmarks.sandbox_escapes
    .venv/bin/python -m benchmarks.sandbox_escapes --disk-spread 20   # run it while the suite runs

For every attempt of ``tests/support/escapes.py`` (write outside the sandbox; read
/etc/shadow, /root and ~/.ssh with TMPDIR inside the home folder; TCP to localhost and
three kinds of Unix sockets; a fork bomb; 4 x 900 MB of memory; 2 GB of disk; sleep
forever; kill the parent and another process of the user; leave a daemon) it prints,
per mode, whether it was contained, how long containing it took, and what was left
behind (processes, temporary folders).

Modes: ``namespaces`` (what generated code gets by default), ``landlock`` (what it
gets without namespaces when the user accepts weaker isolation, ``allowUnisolated``),
and ``none`` (no isolation at all: why specloop refuses to run generated code without
namespaces unless told otherwise, and what it still cleans up).

Then, per isolated mode, specloop itself stopped mid-run (SIGTERM, then SIGKILL) while
its sandboxed command and that command's child run: the processes, sandbox folders
and pids cgroups left five seconds later, and left once the next specloop started.

Then the forging section: the red team's candidates of ``tests/support/forging.py``
(exit early, fake a summary, hook the exit, read the frozen tests, walk the checker's
stack, behave only under a test runner...) validated in each isolated mode: how many
were caught out of how many tried.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.support.escapes import (
    ATTEMPTS,
    LIMITS,
    Outcome,
    disk_written_mb,
    run_attempt,
    stop_specloop_mid_run,
)
from tests.support.escapes import attempt as escape_named
from tests.support.forging import FORGED, candidate, project, request

from specloop.validate import supervisor
from specloop.validate.pipeline import validate
from specloop.validate.sandbox import Isolation, IsolationLevel, detect_isolation


def cell(outcome: Outcome) -> str:
    verdict = "contained" if outcome.contained else "ESCAPED"
    left = outcome.leftover_processes + outcome.leftover_folders
    leftovers = f", {left} LEFT" if left else ""
    return f"{verdict} {outcome.seconds:4.1f}s{leftovers}"


async def main() -> int:
    modes = {
        "namespaces": detect_isolation(),
        "landlock": Isolation(IsolationLevel.LANDLOCK, landlock_abi=supervisor.landlock_abi()),
        "none": Isolation(),
    }
    for name, isolation in modes.items():
        print(f"{name:>10}: {isolation.describe()}")
    limits = LIMITS
    print(
        f"\nlimits: {limits.memory_mb} MB in all, {limits.max_processes} processes, "
        f"{limits.disk_mb} MB of disk, {limits.wall_s:g} s wall clock\n"
    )
    print(f"{'attempt':<44}" + "".join(f"{name:>24}" for name in modes))
    started = time.monotonic()
    escaped: dict[str, int] = dict.fromkeys(modes, 0)
    for attempt in ATTEMPTS:
        cells = []
        for name, isolation in modes.items():
            if name == "namespaces" and not isolation.namespaces:
                cells.append("n/a on this machine")
                continue
            outcome = await run_attempt(attempt, isolation)
            escaped[name] += not outcome.contained or bool(
                outcome.leftover_processes + outcome.leftover_folders
            )
            cells.append(cell(outcome))
        print(f"{attempt.name:<44}" + "".join(f"{text:>24}" for text in cells), flush=True)
    print(f"\n{time.monotonic() - started:.0f} s in all")
    for name, count in escaped.items():
        print(f"  {name:>10}: {len(ATTEMPTS) - count} of {len(ATTEMPTS)} contained, nothing left")
    isolated = {name: modes[name] for name in ("namespaces", "landlock")}
    left = stopped_mid_run(isolated)
    forged = await forging(isolated)
    return 0 if escaped["namespaces"] == escaped["landlock"] == forged == left == 0 else 1


def stopped_mid_run(modes: dict[str, Isolation]) -> int:
    """specloop stopped while its sandbox runs: what is left of it (processes/folders/groups)."""
    print("\nspecloop stopped mid-run: processes / folders / cgroups left\n")
    print(f"{'signal':<12}{'mode':<12}{'5 s later':>14}{'after next start':>20}")
    total = 0
    for number in (signal.SIGTERM, signal.SIGKILL):
        for name in modes:
            after, after_next = stop_specloop_mid_run(name, number)
            total += after.processes + after.groups + after_next.total
            print(
                f"{number.name:<12}{name:<12}"
                f"{f'{after.processes} / {after.folders} / {after.groups}':>14}"
                f"{f'{after_next.processes} / {after_next.folders} / {after_next.groups}':>20}",
                flush=True,
            )
    print("  (a SIGKILLed specloop cannot remove its folder; the next one does)")
    return total


async def disk_spread(runs: int) -> int:
    """The disk attempts ``runs`` times in Landlock mode (watched, not a kernel limit)."""
    isolation = Isolation(IsolationLevel.LANDLOCK, landlock_abi=supervisor.landlock_abi())
    print(f"Landlock mode, limit {LIMITS.disk_mb} MB: MB written or held before the stop\n")
    failures = 0
    for name in ("fill 2 GB of disk", "40 x 15 MB in deleted files held open"):
        written = []
        for _ in range(runs):
            outcome = await run_attempt(escape_named(name), isolation)
            written.append(disk_written_mb(outcome.result))
            failures += not outcome.contained
        print(
            f"{name:<44} min {min(written)}  median {statistics.median(written):g}  "
            f"max {max(written)}  (contained {runs - failures} of {runs})",
            flush=True,
        )
    return failures


async def forging(modes: dict[str, Isolation]) -> int:
    """Candidates that fake their verdict (tests/support/forging.py): caught, and why."""
    print("\nForging: a candidate for f(x) -> 2 * x that is wrong outside the checks\n")
    print(f"{'trick':<72}" + "".join(f"{name:>12}" for name in modes))
    validated = dict.fromkeys(modes, 0)
    for trick, body in FORGED.items():
        cells = []
        for name, isolation in modes.items():
            with tempfile.TemporaryDirectory() as folder:
                root = project(Path(folder) / "project")
                report = await validate(request(root, candidate(body), isolation))
            validated[name] += report.passed
            cells.append("VALIDATED" if report.passed else "caught")
        print(f"{trick:<72}" + "".join(f"{text:>12}" for text in cells), flush=True)
    for name, count in validated.items():
        print(f"  {name:>10}: {len(FORGED) - count} of {len(FORGED)} forged candidates caught")
    return sum(validated.values())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--disk-spread", type=int, metavar="RUNS", help="only the disk attempts, RUNS times each"
    )
    arguments = parser.parse_args()
    if arguments.disk_spread:
        sys.exit(asyncio.run(disk_spread(arguments.disk_spread)))
    sys.exit(asyncio.run(main()))
