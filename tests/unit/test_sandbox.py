"""The sandbox: isolation levels, escape attempts contained, limits, cleanup and cancellation.

These tests expect what CI's machines have: Linux with user (or root) namespaces and
Landlock. Where that is missing they fail rather than skip: a sandbox that silently
runs with less isolation than expected is exactly what they guard against.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from specloop.validate import supervisor
from specloop.validate.sandbox import (
    ALLOWED_ENVIRONMENT,
    OUTPUT_LIMIT,
    Isolation,
    IsolationLevel,
    Sandbox,
    SandboxLimits,
    detect_isolation,
    refusal,
)
from tests.support import escapes
from tests.support.processes import processes_with

FAST = SandboxLimits(cpu_s=2, memory_mb=512, wall_s=10.0)
ESCAPE_LIMITS = SandboxLimits(cpu_s=10, memory_mb=1024, wall_s=4.0, max_processes=64)


def landlock() -> Isolation:
    return Isolation(IsolationLevel.LANDLOCK, landlock_abi=supervisor.landlock_abi())


MODES: dict[str, Callable[[], Isolation]] = {"namespaces": detect_isolation, "landlock": landlock}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box


async def python(box: Sandbox, code: str, limits: SandboxLimits = FAST, *args: str):
    return await box.run([sys.executable, "-c", code, *args], limits)


# ---------------------------------------------------------------- what this machine gives


def test_this_machine_gives_generated_code_the_namespace_sandbox():
    isolation = detect_isolation()
    assert isolation.level is IsolationLevel.NAMESPACES, isolation.describe()
    assert isolation.describe().startswith("namespaces: ")


def test_this_machine_has_landlock_for_when_namespaces_are_missing():
    assert supervisor.landlock_abi() >= 6, "Landlock ABI 6+ (kernel 6.12+) is expected here"


def test_without_namespaces_generated_code_is_refused_unless_the_user_accepts_less():
    weaker = landlock()
    reason = refusal(weaker, allow_unisolated=False)
    assert reason is not None
    assert reason.startswith("Generated code was not run")
    assert "allowUnisolated" in reason and "--allow-unisolated" in reason
    assert refusal(weaker, allow_unisolated=True) is None
    assert refusal(detect_isolation(), allow_unisolated=False) is None


@pytest.mark.parametrize(
    ("isolation", "expected"),
    [
        (Isolation(IsolationLevel.NAMESPACES, drop_to=(65534, 65534)), "namespaces: "),
        (Isolation(IsolationLevel.LANDLOCK, landlock_abi=7), "Landlock (no namespaces here)"),
        (Isolation(IsolationLevel.LANDLOCK, landlock_abi=4), "could signal your other processes"),
        (Isolation(), "none: "),
    ],
)
def test_each_level_is_described_in_a_sentence(isolation: Isolation, expected: str):
    text = isolation.describe()
    assert expected in text and text.endswith(".")


# ---------------------------------------------------------------- escapes, in both modes


@pytest.mark.parametrize("attempt", escapes.ATTEMPTS, ids=[a.name for a in escapes.ATTEMPTS])
@pytest.mark.parametrize("mode", list(MODES))
async def test_an_escape_attempt_is_contained_and_leaves_nothing(
    mode: str, attempt: escapes.Attempt
):
    outcome = await escapes.run_attempt(attempt, MODES[mode](), ESCAPE_LIMITS)
    assert outcome.contained, f"{outcome.detail}\n{outcome.result}"
    assert outcome.leftover_processes == 0
    assert outcome.leftover_folders == 0
    assert outcome.seconds < ESCAPE_LIMITS.wall_s + 3


async def test_without_isolation_nothing_confines_the_code_but_the_tree_is_still_swept():
    """What allowUnisolated on a machine with neither namespaces nor Landlock means."""
    written = await escapes.run_attempt(
        escapes.attempt("write outside the sandbox"), Isolation(), ESCAPE_LIMITS
    )
    assert not written.contained
    daemon = await escapes.run_attempt(
        escapes.attempt("leave a daemon"), Isolation(), ESCAPE_LIMITS
    )
    assert daemon.contained and daemon.leftover_processes == 0


@pytest.mark.parametrize("mode", list(MODES))
async def test_the_child_environment_is_an_allowlist(mode: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPECLOOP_TEST_SECRET_KEY", "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter3")
    monkeypatch.setenv("UNRELATED", "value")
    with Sandbox(MODES[mode]()) as box:
        result = await python(box, "import os; print(' '.join(sorted(os.environ)))")
    assert result.ok, result.stderr
    names = set(result.stdout.split())
    assert names <= ALLOWED_ENVIRONMENT, names - ALLOWED_ENVIRONMENT
    assert "HOME" in names and "hunter" not in result.stdout


@pytest.mark.parametrize("mode", list(MODES))
async def test_the_command_can_work_in_its_own_folders(mode: str):
    with Sandbox(MODES[mode]()) as box:
        box.write("pkg/mod.py", "VALUE = 42\n")
        code = (
            "import os, pkg.mod\n"
            "for folder in (os.environ['HOME'], os.environ['TMPDIR']):\n"
            "    open(os.path.join(folder, 'f'), 'w').write('ok')\n"
            "print(pkg.mod.VALUE)\n"
        )
        result = await python(box, code)
    assert result.ok, result.stderr
    assert result.stdout.strip() == "42"


async def test_the_child_runs_as_nobody_when_we_are_root():
    isolation = detect_isolation()
    with Sandbox(isolation) as box:
        result = await python(box, "import os; print(os.getuid(), os.getgid(), os.getgroups())")
    if isolation.user_namespace:
        assert result.stdout.split()[:2] == ["0", "0"]  # root of its own user namespace
    else:
        assert isolation.drop_to is not None
        assert result.stdout.split() == [*map(str, isolation.drop_to), "[]"]


# ---------------------------------------------------------------- basics


async def test_runs_a_command_in_the_sandbox_and_captures_its_output(sandbox: Sandbox):
    sandbox.write("pkg/mod.py", "VALUE = 42\n")
    result = await python(
        sandbox, "import os, sys, pkg.mod; print(pkg.mod.VALUE, os.getcwd()); sys.exit(3)"
    )
    assert result.returncode == 3
    assert not result.timed_out
    assert result.stdout.split() == ["42", str(sandbox.path)]
    assert result.reason is None


async def test_copy_in_copies_project_files_to_the_same_relative_paths(
    sandbox: Sandbox, tmp_path: Path
):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "util.py").write_text("def twice(x):\n    return 2 * x\n")
    sandbox.copy_in(tmp_path, ["pkg/util.py"])
    result = await python(sandbox, "from pkg.util import twice; print(twice(21))")
    assert result.stdout.strip() == "42"


def test_paths_outside_the_sandbox_are_refused(sandbox: Sandbox, tmp_path: Path):
    with pytest.raises(ValueError, match="outside the sandbox"):
        sandbox.write("../escape.py", "")
    with pytest.raises(ValueError, match="relative"):
        sandbox.write("/tmp/escape.py", "")
    with pytest.raises(ValueError, match="outside the sandbox"):
        sandbox.copy_in(tmp_path, ["../../etc/passwd"])


def test_the_directory_is_deleted_on_exit():
    with Sandbox() as box:
        box.write("a.py", "")
        path = box.path
        assert (path / "a.py").exists()
    assert not path.exists()


async def test_output_keeps_only_the_end(sandbox: Sandbox):
    result = await python(sandbox, "print('x' * 100_000 + 'END')")
    assert len(result.stdout) <= OUTPUT_LIMIT + 1
    assert result.stdout.rstrip().endswith("xEND")


# ---------------------------------------------------------------- limits


async def test_an_infinite_loop_is_stopped_by_the_cpu_limit(sandbox: Sandbox):
    started = time.monotonic()
    result = await python(sandbox, "while True: pass", SandboxLimits(cpu_s=1, wall_s=10.0))
    assert time.monotonic() - started < 6
    assert not result.ok
    assert result.reason is not None and "CPU limit" in result.reason


async def test_a_sleeper_is_stopped_by_the_wall_clock_limit(sandbox: Sandbox):
    started = time.monotonic()
    result = await python(sandbox, "import time; time.sleep(60)", SandboxLimits(wall_s=1.0))
    assert time.monotonic() - started < 5
    assert result.timed_out
    assert result.returncode is None
    assert result.reason == "It ran past the 1 s wall-clock limit and was stopped."


async def test_a_memory_hog_runs_out_of_memory(sandbox: Sandbox):
    hog = "chunks = []\nwhile True:\n    chunks.append(bytearray(50_000_000))"
    result = await python(sandbox, hog, SandboxLimits(memory_mb=256, wall_s=10.0))
    assert not result.ok
    assert result.reason is not None and "256 MB" in result.reason


async def test_a_huge_file_is_refused(sandbox: Sandbox):
    code = "import os\nopen(os.environ['TMPDIR'] + '/big', 'wb').write(b'x' * 3_000_000)"
    result = await python(sandbox, code, SandboxLimits(file_size_mb=1))
    assert not result.ok
    assert result.reason is not None and "1 MB limit" in result.reason


async def test_the_memory_of_the_whole_tree_is_limited():
    outcome = await escapes.run_attempt(
        escapes.attempt("4 x 900 MB of memory"), landlock(), ESCAPE_LIMITS
    )
    assert outcome.result.reason == (
        "It was stopped: its processes used more than 1024 MB of memory in all."
    )


# ---------------------------------------------------------------- cancellation


def _processes_with(needle: bytes) -> int:
    return len(processes_with(needle))


async def _until(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


@pytest.mark.parametrize("mode", list(MODES))
async def test_cancelling_a_run_kills_the_whole_tree_promptly(mode: str):
    marker = f"specloop-marker-{uuid.uuid4().hex}"
    # A grandchild that leaves the process group: only the supervisor's sweep (or the
    # PID namespace) reaches it.
    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', sys.argv[1]],"
        " start_new_session=True)\n"
        "time.sleep(60)\n"
    )
    with Sandbox(MODES[mode]()) as box:
        task = asyncio.create_task(python(box, code, SandboxLimits(wall_s=60.0), marker))
        grandchild = b"import time; time.sleep(60)\x00" + marker.encode()
        assert await _until(lambda: _processes_with(grandchild) == 1, within=10)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 3
    assert await _until(lambda: _processes_with(marker.encode()) == 0, within=3)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_sandbox_dies_with_a_specloop_that_is_stopped(mode: str, number: signal.Signals) -> None:
    after_stop, after_next_start = escapes.stop_specloop_mid_run(mode, number)
    assert after_stop.processes == 0, "the sandbox outlived the specloop that made it"
    assert after_stop.groups == 0
    if number == signal.SIGTERM:
        assert after_stop.folders == 0, "a cancelled run removes its sandbox folder"
    assert after_next_start.total == 0, f"left behind after the next start: {after_next_start}"


def test_the_next_specloop_removes_the_process_groups_a_killed_one_left() -> None:
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    groups = [Path(group) for group in supervisor._pids_groups(gone.pid)]
    assert groups, "this machine has a pids cgroup hierarchy (CI's does)"
    for group in groups:
        group.mkdir()  # what a supervisor killed by SIGKILL leaves
    subprocess.run(
        [sys.executable, "-c", "from specloop.validate.sandbox import detect_isolation as d; d()"],
        check=True,
        timeout=120,
    )
    left = [group for group in groups if group.exists()]
    for group in left:
        group.rmdir()
    assert not left, f"left behind: {left}"


@pytest.mark.parametrize("mode", sorted(MODES))
def test_the_sandbox_folder_is_the_code_runners_alone(mode: str) -> None:
    isolation = MODES[mode]()
    runner = isolation.drop_to[0] if isolation.drop_to else os.getuid()
    with Sandbox(isolation) as box:
        for folder in (box.path, box.path / "home", box.path / "tmp"):
            status = folder.stat()
            assert (status.st_mode & 0o7777, status.st_uid) == (0o700, runner), folder
