"""Generated code that tries to get out of the sandbox, and how to tell whether it did.

Each `Attempt` is a Python program run inside a `Sandbox` with a `Host` around it: a
project folder, a home folder with an SSH key (and the sandbox's TMPDIR inside it), a
TCP listener on localhost, three Unix sockets (world-writable in /tmp, private to the
user, reachable through a group) and a decoy process of the same user. `run_attempt`
runs one and reports whether it was contained, how long containing it took, and what
it left behind (processes, temporary folders). The unit tests and
`benchmarks/sandbox_escapes.py` share these.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from specloop.validate import supervisor
from specloop.validate.sandbox import (
    FOLDER_PREFIX,
    Isolation,
    Sandbox,
    SandboxLimits,
    SandboxResult,
    finish_removals,
)
from tests.support.processes import processes_with

SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY----- specloop-test-key"
LIMITS = SandboxLimits(cpu_s=10, memory_mb=1024, wall_s=8.0, max_processes=64, disk_mb=256)


@dataclass
class Host:
    """What lies outside the sandbox, for an attempt to go after."""

    root: Path
    project: Path
    home: Path
    outside_file: Path
    tcp_port: int
    unix_sockets: list[Path]
    decoy: subprocess.Popen[bytes]
    marker: str
    accepted: list[str] = field(default_factory=list)

    def alive(self, pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


@contextlib.contextmanager
def host() -> Iterator[Host]:
    """The outside world of one attempt; TMPDIR points inside its home meanwhile."""
    root = Path(tempfile.mkdtemp(prefix="specloop-escape-host-"))
    root.chmod(0o755)
    project, home = root / "project", root / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(SSH_KEY)
    (home / "tmp").mkdir()
    project.mkdir()
    (project / "mod.py").write_text("X = 1\n")
    listeners: list[socket.socket] = []
    accepted: list[str] = []
    tcp = socket.create_server(("127.0.0.1", 0))
    listeners.append(tcp)
    sockets = [Path("/tmp") / f"specloop-escape-{uuid.uuid4().hex[:8]}.sock", home / "agent.sock",
               root / "group.sock"]  # fmt: skip
    for path, mode in zip(sockets, (0o777, 0o600, 0o660), strict=True):
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        path.chmod(mode)
        server.listen()
        listeners.append(server)
    for listener in listeners:
        threading.Thread(target=_accept, args=(listener, accepted), daemon=True).start()
    decoy = subprocess.Popen(["sleep", "120"])
    saved = (os.environ.get("HOME"), tempfile.tempdir)
    os.environ["HOME"], tempfile.tempdir = str(home), str(home / "tmp")
    try:
        yield Host(root, project, home, root / "outside.txt", tcp.getsockname()[1], sockets,
                   decoy, f"specloop-escape-{uuid.uuid4().hex}", accepted)  # fmt: skip
    finally:
        if saved[0] is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = saved[0]
        tempfile.tempdir = saved[1]
        decoy.kill()
        decoy.wait()
        for listener in listeners:
            listener.close()
        for path in sockets:
            path.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)


def _accept(listener: socket.socket, accepted: list[str]) -> None:
    with contextlib.suppress(OSError):
        while True:
            connection, _ = listener.accept()
            accepted.append(str(listener.getsockname()))
            connection.close()


Check = Callable[[SandboxResult, Host], str | None]
"""None when the attempt was contained; else what got out."""


@dataclass(frozen=True)
class Attempt:
    name: str
    code: str
    arguments: Callable[[Host], list[str]]
    check: Check


def _write_outside(result: SandboxResult, host: Host) -> str | None:
    if (host.project / "mod.py").read_text() != "X = 1\n":
        return "changed the project's file"
    for path in (host.project / "new.py", host.outside_file, Path("/dev/shm") / host.marker):
        if path.exists():
            return f"wrote {path}"
    return None


def _read_secrets(result: SandboxResult, host: Host) -> str | None:
    for secret in (SSH_KEY, "root:"):
        if secret in result.stdout:
            return f"read {secret[:20]!r}"
    return None


def _no_connection(result: SandboxResult, host: Host) -> str | None:
    return f"connected to {host.accepted}" if host.accepted else None


def _forks(result: SandboxResult, host: Host) -> str | None:
    lines = result.stdout.splitlines()
    started = [int(line.split()[1]) for line in lines if line.startswith("forked")]
    if started and started[-1] >= 200:
        return "started 200 processes"
    return None


def _memory(result: SandboxResult, host: Host) -> str | None:
    held = result.stdout.count("held")
    return f"{held} processes held 900 MB each" if held >= 2 else None


# What the disk limit may be overshot by: in Landlock mode it is watched, not enforced
# by the kernel (namespaces give a size-limited tmpfs), and a write can land between
# two polls.
DISK_ALLOWANCE_MB = LIMITS.disk_mb * 3 // 2


def _disk(result: SandboxResult, host: Host) -> str | None:
    total = disk_written_mb(result)
    return f"wrote {total} MB" if total > DISK_ALLOWANCE_MB else None


def disk_written_mb(result: SandboxResult) -> int:
    """The megabytes a disk-filling attempt reported written (or held) before it stopped."""
    written = [int(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("MB")]
    return written[-1] if written else 0


def _stopped(result: SandboxResult, host: Host) -> str | None:
    return None if result.timed_out else "was not stopped"


def _parent(result: SandboxResult, host: Host) -> str | None:
    if not host.alive(host.decoy.pid):
        return "killed another process of the user"
    if "KILLED" in result.stdout:
        return "signalled the supervisor"
    return None


def _daemon(result: SandboxResult, host: Host) -> str | None:
    time.sleep(0.3)
    return "a daemon outlived the run" if processes_with(host.marker.encode()) else None


def _io_uring(result: SandboxResult, host: Host) -> str | None:
    if "io_uring fd -1" in result.stdout:
        return None
    return f"io_uring_setup worked: {result.stdout.strip()[-200:] or result.reason}"


def _memfd(result: SandboxResult, host: Host) -> str | None:
    held = [line for line in result.stdout.splitlines() if line.startswith("held ")]
    if held and held[-1] != "held 0":
        return f"memory outside the tree's limit: {held[-1]} memfd files of 15 MB"
    return None


IO_URING = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
fd = libc.syscall(425, 8, params)  # io_uring_setup: sockets without socket()
print("io_uring fd", fd, ctypes.get_errno(), flush=True)
"""
MEMFD = """
import os
held = []
for number in range(120):
    try:
        fd = os.memfd_create(f"hold{number}")
        os.write(fd, b"x" * (15 * 1024 * 1024))
    except OSError as error:
        print("refused", error.errno)
        break
    held.append(fd)
print("held", len(held), flush=True)
"""
WRITE = """
import os, sys
for path in sys.argv[1:]:
    try:
        open(path, "w").write("pwned")
    except OSError as error:
        print("refused", path, error.errno)
"""
READ = """
import os, sys
for path in sys.argv[1:]:
    try:
        print(open(path).read() if os.path.isfile(path) else os.listdir(path))
    except OSError as error:
        print("refused", path, error.errno)
"""
CONNECT = """
import socket, sys
port, *paths = sys.argv[1:]
for family, address in [(socket.AF_INET, ("127.0.0.1", int(port)))] + [
        (socket.AF_UNIX, path) for path in paths]:
    try:
        with socket.socket(family) as s:
            s.settimeout(3)
            s.connect(address)
            print("connected", address)
    except OSError as error:
        print("refused", address, error.errno)
"""
FORK_BOMB = """
import os, time
children = 0
for n in range(200):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
    except OSError:
        break
    print("forked", children, flush=True)
"""
MEMORY = """
import subprocess, sys
hog = (
    "import time; b = bytearray(900 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
    "print('held', flush=True); time.sleep(20)"
)
children = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(4)]
for child in children:
    child.wait()
"""
DISK = """
import os
folder = os.environ["TMPDIR"]
written = 0
try:
    for n in range(2048):
        with open(os.path.join(folder, f"fill{n // 10}"), "ab") as f:
            f.write(b"x" * 2**20)
        written += 1
        print("MB", written, flush=True)
except OSError as error:
    print("refused", error.errno)
"""
DISK_HIDDEN = """
import mmap, os, time
folder = os.environ["TMPDIR"]
held, kept = 0, []
try:
    for n in range(40):
        path = os.path.join(folder, f"hidden{n}")
        handle = open(path, "w+b")
        os.unlink(path)  # gone from the folder, still on the disk
        handle.write(b"x" * 15 * 2**20)
        handle.flush()
        if n % 2:  # every other one held by a mapping only
            kept.append(mmap.mmap(handle.fileno(), 0))
            handle.close()
        else:
            kept.append(handle)
        held += 15
        print("MB", held, flush=True)
except OSError as error:
    print("refused", error.errno)
time.sleep(20)
"""
SLEEP = "import time; time.sleep(3600)"
KILL = """
import os, signal, sys
for pid in (os.getppid(), int(sys.argv[1])):
    try:
        os.kill(pid, signal.SIGKILL)
        print("KILLED", pid)
    except OSError as error:
        print("refused", pid, error.errno)
"""
DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "30", sys.argv[1]])
    os._exit(0)
time.sleep(0.5)
print("left a daemon")
"""

ATTEMPTS = [
    Attempt(
        "write outside the sandbox",
        WRITE,
        lambda h: [
            str(h.project / "mod.py"),
            str(h.project / "new.py"),
            str(h.outside_file),
            f"/dev/shm/{h.marker}",
        ],
        _write_outside,
    ),
    Attempt(
        "read /etc/shadow, /root and ~/.ssh",
        READ,
        lambda h: ["/etc/shadow", "/root", str(h.home / ".ssh" / "id_rsa"), str(h.project)],
        _read_secrets,
    ),
    Attempt(
        "TCP to localhost, Unix sockets",
        CONNECT,
        lambda h: [str(h.tcp_port), *map(str, h.unix_sockets)],
        _no_connection,
    ),
    Attempt("io_uring around the socket filter", IO_URING, lambda h: [], _io_uring),
    Attempt("120 x 15 MB in memfd files", MEMFD, lambda h: [], _memfd),
    Attempt("fork bomb (200 processes)", FORK_BOMB, lambda h: [], _forks),
    Attempt("4 x 900 MB of memory", MEMORY, lambda h: [], _memory),
    Attempt("fill 2 GB of disk", DISK, lambda h: [], _disk),
    Attempt("40 x 15 MB in deleted files held open", DISK_HIDDEN, lambda h: [], _disk),
    Attempt("sleep forever", SLEEP, lambda h: [], _stopped),
    Attempt(
        "kill the parent and a process of the user", KILL, lambda h: [str(h.decoy.pid)], _parent
    ),
    Attempt("leave a daemon", DAEMON, lambda h: [h.marker], _daemon),
]


@dataclass(frozen=True)
class Outcome:
    attempt: str
    contained: bool
    detail: str
    seconds: float
    leftover_processes: int
    leftover_folders: int
    result: SandboxResult


def _sandbox_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"))


async def run_attempt(
    attempt: Attempt, isolation: Isolation, limits: SandboxLimits = LIMITS
) -> Outcome:
    with host() as world:
        folders_before = _sandbox_folders()
        started = time.monotonic()
        async with Sandbox(isolation) as sandbox:
            base = str(sandbox.path.parent).encode()
            sandbox.copy_in(world.project, ["mod.py"])
            argv = [sys.executable, "-c", attempt.code, *attempt.arguments(world)]
            result = await sandbox.run(argv, limits)
        seconds = time.monotonic() - started
        escaped = attempt.check(result, world)
        leftovers = processes_with(base) + processes_with(world.marker.encode())
        await asyncio.to_thread(finish_removals)  # a finished sandbox is removed off the run
        folders = _sandbox_folders() - folders_before
    return Outcome(
        attempt.name,
        escaped is None,
        escaped or (result.reason or "refused"),
        seconds,
        len(leftovers),
        len(folders),
        result,
    )


def attempt(name: str) -> Attempt:
    """The attempt called ``name``."""
    return next(attempt for attempt in ATTEMPTS if attempt.name == name)


# ---------------------------------------------------------------- specloop stopped mid-run

STOPPED_HOST = """
import asyncio, signal, sys
from specloop.validate import supervisor
from specloop.validate.sandbox import Isolation, IsolationLevel, Sandbox, SandboxLimits
from specloop.validate.sandbox import detect_isolation
mode, marker = sys.argv[1], sys.argv[2] + sys.argv[3]  # its own command line lacks the marker
isolation = detect_isolation() if mode == "namespaces" else Isolation(
    IsolationLevel.LANDLOCK, landlock_abi=supervisor.landlock_abi())
async def main():
    with Sandbox(isolation) as box:
        run = asyncio.ensure_future(box.run(
            [sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen("
             "[sys.executable, '-c', 'import time; time.sleep(60)', sys.argv[1]]); "
             "time.sleep(60)", marker],
            SandboxLimits(wall_s=120, cpu_s=120)))
        # what `specloop implement` and the server do on SIGTERM: cancel the run
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, run.cancel)
        try:
            await run
        except asyncio.CancelledError:
            pass
asyncio.run(main())
"""


@dataclass(frozen=True)
class Leftovers:
    """What a stopped specloop left of its sandbox: processes, folders, pids cgroups."""

    processes: int
    folders: int
    groups: int

    @property
    def total(self) -> int:
        return self.processes + self.folders + self.groups


def _stale_groups() -> list[Path]:
    found = []
    for group in supervisor._pids_groups(os.getpid()):
        parent = Path(group).parent
        for child in parent.glob("specloop-*") if parent.is_dir() else ():
            owner = child.name.removeprefix("specloop-")
            if owner.isdigit() and not supervisor.alive(int(owner)):
                found.append(child)
    return found


def _settle(check: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)


def stop_specloop_mid_run(mode: str, number: signal.Signals) -> tuple[Leftovers, Leftovers]:
    """Signal a specloop whose sandboxed command (and its child) runs; what is left 5 s
    later, and what is left once the next specloop has started."""
    tail = uuid.uuid4().hex
    marker = f"specloop-orphan-{tail}"
    host = subprocess.Popen([sys.executable, "-c", STOPPED_HOST, mode, "specloop-orphan-", tail])
    # Its folders carry its pid: other specloops on this machine make folders too.
    its_folders = f"{FOLDER_PREFIX}{host.pid}-*"
    try:
        _settle(lambda: len(processes_with(marker.encode())) >= 2, within=30)
        if len(processes_with(marker.encode())) < 2:
            raise RuntimeError("the sandboxed command never started")
    finally:
        host.send_signal(number)
        host.wait()
    _settle(lambda: not processes_with(marker.encode()), within=5)

    def count() -> Leftovers:
        return Leftovers(
            len(processes_with(marker.encode())),
            len(list(Path(tempfile.gettempdir()).glob(its_folders))),
            len(_stale_groups()),
        )

    after_stop = count()
    subprocess.run(
        [sys.executable, "-c", "from specloop.validate.sandbox import detect_isolation; "
         "detect_isolation()"],
        check=True, timeout=120,
    )  # fmt: skip
    return after_stop, count()
