"""The sandbox: limits, scrubbed environment, isolation, cleanup and cancellation."""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from specloop.validate.sandbox import (
    OUTPUT_LIMIT,
    Isolation,
    Sandbox,
    SandboxLimits,
    child_environment,
    detect_isolation,
)

FAST = SandboxLimits(cpu_s=2, memory_mb=512, wall_s=10.0)


@pytest.fixture(scope="module")
def isolation() -> Isolation:
    return detect_isolation()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box


async def python(box: Sandbox, code: str, limits: SandboxLimits = FAST, *args: str):
    return await box.run([sys.executable, "-c", code, *args], limits)


def needs_filesystem_isolation(isolation: Isolation) -> None:
    if not isolation.filesystem_isolated:
        pytest.skip(f"No filesystem isolation on this machine: {isolation.describe()}")


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


def test_isolation_is_described_in_a_sentence(isolation: Isolation):
    text = isolation.describe()
    assert text.endswith(".")
    assert ("no network" in text) == isolation.network_isolated


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
    assert result.reason == "It ran out of memory (limit 256 MB)."


async def test_a_huge_file_is_refused(sandbox: Sandbox):
    code = "import os\nopen(os.environ['TMPDIR'] + '/big', 'wb').write(b'x' * 3_000_000)"
    result = await python(sandbox, code, SandboxLimits(file_size_mb=1))
    assert not result.ok
    assert result.reason is not None and "1 MB limit" in result.reason


# ---------------------------------------------------------------- isolation


async def test_secrets_in_the_environment_do_not_reach_the_child(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SPECLOOP_TEST_SECRET_KEY", "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter3")
    result = await python(sandbox, "import os; print(sorted(os.environ.items()))")
    assert "hunter" not in result.stdout
    assert "SPECLOOP_TEST_SECRET_KEY" not in child_environment(sandbox.path)
    assert child_environment(sandbox.path)["HOME"].startswith(str(sandbox.path))


async def test_the_network_is_unreachable(sandbox: Sandbox, isolation: Isolation):
    if not isolation.network_isolated:
        pytest.skip(f"No network isolation on this machine: {isolation.describe()}")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        code = f"import socket; socket.create_connection(('127.0.0.1', {port}), within=3)"
        result = await python(sandbox, code)
    assert not result.ok
    assert "Error" in result.stderr


async def test_nothing_can_be_written_outside_the_sandbox(
    sandbox: Sandbox, isolation: Isolation, tmp_path: Path
):
    needs_filesystem_isolation(isolation)
    project = tmp_path / "project"
    project.mkdir()
    (project / "mod.py").write_text("X = 1\n")
    sandbox.copy_in(project, ["mod.py"])
    outside_tmp = Path("/tmp") / f"specloop-escape-{uuid.uuid4().hex}"
    targets = [project / "mod.py", project / "new.py", outside_tmp, sandbox.path / "mod.py"]
    code = (
        "import os, sys\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        open(path, 'w').write('pwned')\n"
        "        print('WROTE', path)\n"
        "    except OSError as error:\n"
        "        print('REFUSED', path, error.errno)\n"
        "open(os.environ['TMPDIR'] + '/ok', 'w').write('fine')\n"
        "open(os.environ['HOME'] + '/ok', 'w').write('fine')\n"
    )
    result = await python(sandbox, code, FAST, *map(str, targets))
    assert result.ok, result.stderr
    assert "WROTE" not in result.stdout
    assert (project / "mod.py").read_text() == "X = 1\n"
    assert not (project / "new.py").exists()
    assert not outside_tmp.exists()
    assert (sandbox.path / "mod.py").read_text() == "X = 1\n"


@pytest.fixture
def readable_project() -> Iterator[Path]:
    """A project anyone may read (unlike pytest's tmp_path): only the mounts can hide it."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        project.chmod(0o755)
        (project / ".env").write_text("OPENAI_API_KEY=hunter2\n")
        (project / "mod.py").write_text("X = 1\n")
        yield project


async def test_the_project_and_home_folders_are_hidden(
    sandbox: Sandbox, isolation: Isolation, readable_project: Path
):
    needs_filesystem_isolation(isolation)
    sandbox.copy_in(readable_project, ["mod.py"])
    code = "import sys, os; print(os.listdir(sys.argv[1]), os.listdir('/root'))"
    result = await python(sandbox, code, FAST, str(readable_project))
    assert result.ok, result.stderr
    assert result.stdout.split()[0] == "[]"
    assert ".env" not in result.stdout


async def test_the_child_runs_unprivileged_when_we_are_root(sandbox: Sandbox, isolation: Isolation):
    if not isolation.privileges_dropped:
        pytest.skip(f"Privileges are not dropped on this machine: {isolation.describe()}")
    result = await python(sandbox, "import os; print(os.getuid(), os.getgid())")
    assert result.stdout.split() == [str(n) for n in isolation.drop_to or ()]


async def test_without_namespaces_the_sandbox_still_scrubs_and_limits(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("SPECLOOP_TEST_SECRET_KEY", "hunter2")
    plain = Isolation(note="testing the fallback")
    assert not plain.network_isolated
    assert "network access" in plain.describe()
    with Sandbox(isolation=plain) as box:
        result = await python(box, "import os; print(sorted(os.environ))")
        assert "SPECLOOP_TEST_SECRET_KEY" not in result.stdout
        looped = await python(box, "while True: pass", SandboxLimits(cpu_s=1))
        assert looped.reason is not None and "CPU limit" in looped.reason


# ---------------------------------------------------------------- cancellation


def _processes_with(needle: bytes) -> int:
    count = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if needle in cmdline.read_bytes():
                count += 1
        except OSError:
            continue
    return count


async def _until(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
async def test_cancelling_a_run_kills_the_whole_process_group_promptly(
    sandbox: Sandbox, isolation: Isolation
):
    marker = f"specloop-marker-{uuid.uuid4().hex}"
    # With a PID namespace even a child that leaves the process group dies.
    escape = "True" if isolation.namespaces else "False"
    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', sys.argv[1]],"
        f" start_new_session={escape})\n"
        "time.sleep(60)\n"
    )
    task = asyncio.create_task(python(sandbox, code, SandboxLimits(wall_s=60.0), marker))
    grandchild = b"import time; time.sleep(60)\x00" + marker.encode()
    assert await _until(lambda: _processes_with(grandchild) == 1, within=10)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2
    assert await _until(lambda: _processes_with(marker.encode()) == 0, within=3)
