"""The sandbox: the only place where generated code runs, and the isolation it gets.

A `Sandbox` is a fresh temporary folder holding a copy of what the tests need;
`Sandbox.run` starts a command in it and returns a `SandboxResult` (exit code, output
excerpts, duration, and why it was stopped). Every command runs below the supervisor
(`validate/supervisor.py`), which confines it, watches the whole process tree and
leaves nothing behind.

What the machine allows decides the isolation level (`detect_isolation`, probed once):

* ``namespaces`` (Linux, ``unshare`` with user namespaces, or as root): fresh user,
  mount, PID and network namespaces. The supervisor builds a new root holding only the
  system's programs and libraries, a few files of /etc, the Python installation and
  the sandbox folder (read-only; its ``home/`` and ``tmp/`` are size-capped tmpfs), and
  moves into it: home folders, /root, /run and /tmp with their sockets, the project
  and every credential simply do not exist there. No network (only a downed loopback),
  no Unix sockets (seccomp), no capabilities, ``nobody`` when we are root, a process
  cap that counts only the sandbox's processes, and a memory watchdog over the tree.
* ``landlock`` (no namespaces, Landlock in the kernel): the command runs in the real
  file system, but Landlock lets it read only the same allowlist and write only the
  sandbox's ``home/`` and ``tmp/``; ``socket()`` is refused for every family (seccomp);
  from Landlock ABI 6 it cannot signal or reach abstract sockets outside the sandbox.
  Disk, memory and process count are watched over the whole tree.
* ``none``: a scrubbed environment and resource limits only.

Generated code runs only with ``namespaces``, unless the user accepted weaker
isolation (``allowUnisolated``): then with the strongest level the machine has, and
every report says which (`refusal`, `Isolation.describe`).

Always, whatever the level: the child's environment is an allowlist (no API key or
cloud credential can pass), rlimits cap CPU seconds, address space, file size and core
dumps, a wall-clock timeout stops the run, and cancelling the caller stops the whole
tree.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import functools
import json
import os
import pwd
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from specloop.analysis.modules import source_roots
from specloop.defaults import DEFAULT_CHECK_TIMEOUT_S
from specloop.validate import supervisor
from specloop.validate.environment import PythonEnvironment, own_environment

if TYPE_CHECKING:
    from specloop.validate.harness import Harness

OUTPUT_LIMIT = 4_000
"""Characters kept from the end of each of stdout and stderr."""

_READER_GRACE_S = 1.0
_STOP_GRACE_S = 1.0
_DEADLINE_MARGIN_S = 5.0
"""The supervisor's own deadline, past the wall-clock limit specloop enforces."""
_PR_SET_PDEATHSIG = 1
_PROBE_TIMEOUT_S = 60.0
_NOBODY = 65534
_WRITABLE = ("home", "tmp")
"""The sandbox folder's only places its commands may write (HOME and TMPDIR)."""
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/mime.types",
)
"""What a Python program reads from /etc (no shadow, no credentials, no configuration)."""
DEVICES = tuple(f"/dev/{name}" for name in ("null", "zero", "full", "random", "urandom"))
ENABLE_NAMESPACES = (
    "Allow unprivileged user namespaces (on Ubuntu 24.04: `sudo sysctl "
    "kernel.apparmor_restrict_unprivileged_userns=0`), or run specloop where they are "
    "allowed; or accept weaker isolation with the setting allowUnisolated "
    "(`--allow-unisolated`), which uses Landlock where the kernel has it."
)
SUPERVISOR_SOURCE = Path(supervisor.__file__).read_text(encoding="utf-8")


@dataclass(frozen=True)
class SandboxLimits:
    cpu_s: int = int(DEFAULT_CHECK_TIMEOUT_S)
    memory_mb: int = 1024
    """Per process (address space) and for the whole tree (resident memory)."""
    file_size_mb: int = 16
    disk_mb: int = 256
    """What the run may write in all, in its ``home/`` and ``tmp/``."""
    open_files: int = 256
    """Per process; with ``file_size_mb`` it bounds what deleted, still-open files hold."""
    wall_s: float = DEFAULT_CHECK_TIMEOUT_S
    max_processes: int = 64


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed command did.

    ``returncode`` is None when the sandbox stopped the command (wall-clock limit); a
    command killed by a signal otherwise has the negative signal number. ``reason`` is
    a sentence saying why it was stopped or failed on a limit.
    """

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class IsolationLevel(StrEnum):
    NAMESPACES = "namespaces"
    LANDLOCK = "landlock"
    NONE = "none"


@dataclass(frozen=True)
class Isolation:
    """How generated code is isolated on this machine."""

    level: IsolationLevel = IsolationLevel.NONE
    user_namespace: bool = False
    drop_to: tuple[int, int] | None = None
    unshare: str | None = field(default=None, repr=False)
    landlock_abi: int = 0
    note: str = ""

    @property
    def namespaces(self) -> bool:
        return self.level is IsolationLevel.NAMESPACES

    @property
    def network_isolated(self) -> bool:
        return self.level is not IsolationLevel.NONE

    @property
    def filesystem_isolated(self) -> bool:
        """True when the child can write only inside the sandbox."""
        return self.level is not IsolationLevel.NONE

    @property
    def privileges_dropped(self) -> bool:
        return self.drop_to is not None

    def describe(self) -> str:
        note = f" ({self.note})" if self.note else ""
        if self.level is IsolationLevel.NAMESPACES:
            who = " as nobody" if self.privileges_dropped else ""
            return (
                f"namespaces: generated code ran{who} in a new root holding only the system, "
                "Python and the sandbox folder, with no network, no Unix sockets and limits "
                f"on its whole process tree{note}."
            )
        if self.level is IsolationLevel.LANDLOCK:
            signals = "" if self.landlock_abi >= 6 else ", but could signal your other processes"
            return (
                f"Landlock (no namespaces here): generated code could read only the system, "
                "Python and the sandbox folder, write only in the sandbox, and open no "
                f"sockets{signals}{note}."
            )
        return (
            "none: generated code ran with a scrubbed environment and resource limits only; "
            f"it could read and write your files and reach the network{note}."
        )


def refusal(isolation: Isolation, allow_unisolated: bool) -> str | None:
    """Why generated code must not run here, and how to change that; None when it may."""
    if isolation.namespaces or allow_unisolated:
        return None
    return (
        "Generated code was not run: this machine cannot give it the namespace sandbox "
        f"({isolation.note or 'no user namespaces'}). {ENABLE_NAMESPACES}"
    )


FOLDER_PREFIX = "specloop-sandbox-"


def _sweep_stale_folders() -> None:
    """Remove the sandbox folders of specloops that are gone (killed before they could)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        owner = folder.name.removeprefix(FOLDER_PREFIX).split("-", 1)[0]
        with contextlib.suppress(OSError):
            mine = folder.stat().st_uid == os.getuid()
            if mine and owner.isdigit() and not supervisor.alive(int(owner)):
                shutil.rmtree(folder, ignore_errors=True)


def detect_isolation() -> Isolation:
    """Probe once which isolation works here (cached; the first call takes a moment)."""
    return _detect_isolation()


@functools.cache
def _detect_isolation() -> Isolation:
    supervisor.sweep_stale_groups()  # left by a specloop that was killed mid-run
    _sweep_stale_folders()
    if not sys.platform.startswith("linux"):
        return Isolation(note="namespaces and Landlock need Linux")
    notes = []
    unshare = shutil.which("unshare")
    if unshare is None:
        notes.append("unshare is not installed")
    for candidate in _namespace_candidates(unshare):
        problem = _probe(candidate)
        if problem is None:
            return candidate
        notes.append(problem)
    abi = supervisor.landlock_abi()
    if abi:
        candidate = Isolation(IsolationLevel.LANDLOCK, landlock_abi=abi, note="; ".join(notes))
        problem = _probe(candidate)
        if problem is None:
            return candidate
        notes.append(f"Landlock: {problem}")
    else:
        notes.append("the kernel has no Landlock")
    return Isolation(note="; ".join(notes))


def _namespace_candidates(unshare: str | None) -> list[Isolation]:
    if unshare is None:
        return []
    level = IsolationLevel.NAMESPACES
    if os.geteuid() != 0:
        return [Isolation(level, user_namespace=True, unshare=unshare)]
    return [
        Isolation(level, drop_to=_nobody(), unshare=unshare),
        Isolation(level, unshare=unshare, note="could not run as nobody"),
    ]


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return (_NOBODY, _NOBODY)
    return (entry.pw_uid, entry.pw_gid)


def _probe(candidate: Isolation) -> str | None:
    """Run the interpreter (importing pytest) under ``candidate``; None when it works."""
    with Sandbox(isolation=candidate) as sandbox:
        launch = sandbox.launch([sys.executable, "-c", "import pytest"], SandboxLimits(), ".")
        try:
            completed = subprocess.run(
                launch.argv,
                env=launch.env,
                cwd=launch.cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                preexec_fn=launch.preexec,
                start_new_session=True,
                timeout=_PROBE_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return str(error)
    if completed.returncode == 0:
        return None
    detail = completed.stderr.decode(errors="replace").strip()[-300:]
    return detail or f"exit code {completed.returncode}"


# ---------------------------------------------------------------- the sandbox


@dataclass(frozen=True)
class _Launch:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    limits: SandboxLimits
    parent_death: int = signal.SIGKILL
    """What the sandbox's first process gets when specloop dies (even by SIGKILL)."""
    parent: int = field(default_factory=os.getpid)

    def preexec(self) -> None:
        _apply_limits(self.limits)
        _die_with_parent(self.parent_death, self.parent)


class Sandbox:
    """A temporary folder in which generated code runs; deleted on exit.

    Layout: ``<base>/root`` is the sandbox folder (``path``), read-only to the child;
    ``home/`` and ``tmp/`` inside it are the child's ``HOME`` and ``TMPDIR``, its only
    writable places. ``<base>/stage`` is where the new root is built (namespaces).
    """

    def __init__(
        self, isolation: Isolation | None = None, environment: PythonEnvironment | None = None
    ) -> None:
        self._isolation = isolation
        self._environment: PythonEnvironment | None = environment
        self._base: Path | None = None
        self.harness: Harness | None = None
        """Set by the checks (`validate/harness.py`): where the code under test runs."""

    # -- lifecycle

    def __enter__(self) -> Sandbox:
        # The owner's pid in the name: the next specloop removes what a killed one left.
        base = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-")).resolve()
        self._base = base
        for name in ("root", *(f"root/{writable}" for writable in _WRITABLE), "stage"):
            (base / name).mkdir(mode=0o700)
        # Readable by the user the code runs as alone: the project's copy is nobody else's
        # business while a run lasts, and its home/ and tmp/ nobody else's to write.
        runner = self.isolation.drop_to
        if runner is not None:
            for folder in (self.path, *(self.path / name for name in _WRITABLE)):
                os.chown(folder, *runner)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None

    async def __aenter__(self) -> Sandbox:
        if self._isolation is None:
            self._isolation = await asyncio.to_thread(detect_isolation)
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._base is not None:
            remove_later(self._base)
            self._base = None

    # -- properties

    @property
    def isolation(self) -> Isolation:
        if self._isolation is None:
            self._isolation = detect_isolation()
        return self._isolation

    @property
    def environment(self) -> PythonEnvironment:
        """The Python environment commands run with (specloop's own unless one was given)."""
        if self._environment is None:
            self._environment = own_environment()
        return self._environment

    @property
    def python(self) -> str:
        """The interpreter of `environment`: what runs tests and probes in this sandbox."""
        return self.environment.python

    @property
    def network_isolated(self) -> bool:
        return self.isolation.network_isolated

    @property
    def path(self) -> Path:
        if self._base is None:
            raise RuntimeError("Use the sandbox inside a `with` block.")
        return self._base / "root"

    # -- filling it

    def copy_in(self, project_root: Path, relative_paths: Iterable[str]) -> None:
        """Copy files from ``project_root`` to the same relative paths in the sandbox."""
        root = project_root.resolve()
        for relative in relative_paths:
            source = _within(root, relative)
            target = _within(self.path, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

    def link_in(self, folder: Path, relative_paths: Iterable[str]) -> None:
        """Hard links to ``folder``'s files at the same relative paths (copies where the
        file system will not link). Only for files the code under test cannot write."""
        # Both trees are specloop's own, fresh and without symlinks: a lexical check keeps
        # every path inside them (resolving each path costs more than linking it).
        paths = list(relative_paths)
        for relative in paths:
            if relative.startswith("/") or ".." in relative.split("/") or not relative:
                raise ValueError(f"The path {relative!r} must be relative to the sandbox.")
        link_files(
            (os.path.join(folder, relative), os.path.join(self.path, relative))
            for relative in paths
        )

    def twin(self) -> Sandbox:
        """An empty sandbox with this one's isolation and environment (enter it to use it)."""
        return Sandbox(self.isolation, self.environment)

    def copy_from(self, other: Sandbox) -> None:
        """Fill this sandbox with the files ``other`` was filled with (not what its runs wrote).

        Hard links where the code under test cannot write the sandbox's files (as
        `link_in`; `write` replaces a file rather than writing through its link), copies
        where it can: a large project's copy is thousands of files."""
        pairs = (
            (os.path.join(other.path, relative), os.path.join(self.path, relative))
            for relative in _filled_files(other.path)
        )
        link_files(pairs, copy=self.isolation.level is IsolationLevel.NONE)

    def write(self, relative: str, text: str) -> None:
        target = _within(self.path, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # never write through a link into the run's copies
        target.write_text(text, encoding="utf-8")

    # -- running

    async def run(
        self,
        argv: list[str],
        limits: SandboxLimits,
        cwd: str = ".",
        environment: Mapping[str, str] | None = None,
        output_limit: int = OUTPUT_LIMIT,
        pass_fds: tuple[int, ...] = (),
    ) -> SandboxResult:
        """Run ``argv`` in the sandbox; cancelling the caller stops the whole run.

        ``environment`` adds variables to the scrubbed environment (never secrets);
        ``output_limit`` is how much of the end of stdout and of stderr is kept;
        ``pass_fds`` are pipe ends the command inherits (the checks' channels).
        """
        launch = self.launch(argv, limits, cwd, environment)
        started = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *launch.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=launch.env,
                cwd=launch.cwd,
                start_new_session=True,
                preexec_fn=launch.preexec,
                pass_fds=pass_fds,
            )
        finally:
            for fd in pass_fds:  # the command owns them now: its ends close when it ends
                os.close(fd)
        _live.add(process.pid)
        stdout, stderr = _Tail(output_limit), _Tail(output_limit)
        assert process.stdout is not None and process.stderr is not None
        readers = [
            asyncio.create_task(stdout.drain(process.stdout)),
            asyncio.create_task(stderr.drain(process.stderr)),
        ]
        graceful = not self.isolation.namespaces
        try:
            returncode: int | None = await asyncio.wait_for(process.wait(), limits.wall_s)
        except TimeoutError:
            await _stop(process, graceful)
            returncode = None
        except BaseException:
            await _stop(process, graceful)
            for reader in readers:
                reader.cancel()
            raise
        finally:
            _live.discard(process.pid)
            if not self.isolation.namespaces:
                # A tree whose supervisor was killed is still in the supervisor's group.
                await asyncio.to_thread(supervisor.sweep_pids_group, process.pid)
        await _settle(readers)
        return _result(returncode, stdout.text(), stderr.text(), started, limits)

    def launch(
        self,
        argv: list[str],
        limits: SandboxLimits,
        cwd: str,
        environment: Mapping[str, str] | None = None,
    ) -> _Launch:
        """How ``argv`` is started: the command line (below the supervisor), environment, limits."""
        workdir = _within(self.path, cwd)
        env = {**child_environment(self.path, self.environment), **(environment or {})}
        config = self._supervisor_config(limits, workdir)
        supervised = [sys.executable, "-c", SUPERVISOR_SOURCE, json.dumps(config), *argv]
        isolation = self.isolation
        if not isolation.namespaces:
            # The supervisor is the first process: SIGTERM lets it take its tree along.
            return _Launch(supervised, env, str(workdir), limits, signal.SIGTERM)
        assert isolation.unshare is not None
        wrapped = [
            isolation.unshare,
            *(["--user", "--map-root-user"] if isolation.user_namespace else []),
            "--net",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--",
            *supervised,
        ]
        return _Launch(wrapped, env, str(workdir), limits)

    def _supervisor_config(self, limits: SandboxLimits, workdir: Path) -> dict[str, object]:
        assert self._base is not None
        isolation = self.isolation
        writable = [str(self.path / "home"), str(self.path / "tmp")]
        readable = [
            *SYSTEM_PATHS,
            *ETC_FILES,
            *map(str, _interpreter_paths()),
            *self.environment.readable,
            str(self.path),
        ]
        config: dict[str, object] = {
            "workdir": str(workdir),
            "memory_mb": limits.memory_mb,
            "processes": limits.max_processes,
            "deadline_s": limits.wall_s + _DEADLINE_MARGIN_S,
        }
        if isolation.namespaces:
            # The process count is the sandbox's own only in a user namespace or as nobody.
            counted = isolation.user_namespace or isolation.drop_to is not None
            return config | {
                "root": {
                    "at": str(self._base / "stage"),
                    "show": readable,
                    "writable": dict.fromkeys(writable, limits.disk_mb),
                },
                "drop_to": list(isolation.drop_to) if isolation.drop_to else None,
                "nproc": limits.max_processes if counted else None,
                "seccomp": "unix",
            }
        config |= {
            "disk_mb": limits.disk_mb,
            "writable": writable,
            "nproc": limits.max_processes,
            "nproc_shared": True,
        }
        if isolation.level is IsolationLevel.LANDLOCK:
            config |= {
                "landlock": {"read": readable, "write": [*writable, *DEVICES]},
                "seccomp": "all",
            }
        return config


def child_environment(sandbox_dir: Path, python: PythonEnvironment | None = None) -> dict[str, str]:
    """The child's whole environment: an allowlist, so no secret can pass.

    The project's environment comes first on PATH; PYTHONPATH holds the project's source
    roots in the sandbox (the root, and ``src`` for a src layout) and, for an environment
    without pytest, the pytest specloop lends it.
    """
    python = python or own_environment()
    env = {
        "PATH": os.pathsep.join([python.bin_dir, "/usr/bin", "/bin"]),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(sandbox_dir / "home"),
        "TMPDIR": str(sandbox_dir / "tmp"),
        "PYTHONPATH": python.pythonpath(sandbox_dir, source_roots(sandbox_dir)),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
    }
    for name in ("LC_ALL", "LC_CTYPE", "TZ"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


ALLOWED_ENVIRONMENT = frozenset(
    {
        "PATH",
        "LANG",
        "HOME",
        "TMPDIR",
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONHASHSEED",
        "PYTHONNOUSERSITE",
        "LC_ALL",
        "LC_CTYPE",
        "TZ",
    }
)
"""Every variable a sandboxed command may find in its environment, besides what a caller adds."""


# ---------------------------------------------------------------- paths


def _filled_files(root: Path) -> Iterator[str]:
    """The files a sandbox was filled with (relative paths): all but its writable folders."""
    top = str(root)
    for directory, subdirs, files in os.walk(top):
        if directory == top:
            subdirs[:] = [name for name in subdirs if name not in _WRITABLE]
        relative = os.path.relpath(directory, top)
        for name in files:
            yield name if relative == "." else os.path.join(relative, name)


def link_files(pairs: Iterable[tuple[str, str]], copy: bool = False) -> None:
    """A hard link at each target to its source (a copy with ``copy``, or where the file
    system will not link), making the targets' folders as needed: thousands in a large
    tree."""
    made: set[str] = set()
    for source, target in pairs:
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        if copy:
            shutil.copyfile(source, target)
            continue
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


def _within(root: Path, relative: str) -> Path:
    """``root / relative``, refusing anything that would land outside ``root``."""
    candidate = Path(relative)
    if candidate.is_absolute():
        raise ValueError(f"The path {relative!r} must be relative to the sandbox.")
    resolved = (root / candidate).resolve()
    if not _is_within(resolved, root.resolve()):
        raise ValueError(f"The path {relative!r} leads outside the sandbox.")
    return resolved


def _is_within(path: Path, ancestor: Path) -> bool:
    return path == ancestor or ancestor in path.parents


def _interpreter_paths() -> list[Path]:
    """What the interpreter needs to run: its prefixes and the real executable's folder."""
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    paths = {Path(prefix) for prefix in prefixes}
    paths.add(Path(sys.executable).resolve().parent)
    found = {resolved for path in paths for resolved in (path.absolute(), path.resolve())}
    return sorted(found)


# ---------------------------------------------------------------- limits and processes


def _apply_limits(limits: SandboxLimits) -> None:
    """Runs in the child between fork and exec: per-process resource limits."""
    megabyte = 1024 * 1024
    _set_limit(resource.RLIMIT_CPU, limits.cpu_s, limits.cpu_s + 1)
    _set_limit(resource.RLIMIT_AS, limits.memory_mb * megabyte)
    _set_limit(resource.RLIMIT_FSIZE, limits.file_size_mb * megabyte)
    _set_limit(resource.RLIMIT_NOFILE, limits.open_files)
    _set_limit(resource.RLIMIT_CORE, 0)


def _die_with_parent(number: int, parent: int) -> None:
    """Between fork and exec: ``number`` when the parent (specloop) dies, however it dies.

    With namespaces the first process is ``unshare --kill-child``: its death takes the
    supervisor (PID 1 of the namespace) and with it everything in the namespace.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, number, 0, 0, 0)
    if os.getppid() != parent:  # specloop died between fork and here
        os._exit(1)


def _set_limit(kind: int, soft: int, hard: int | None = None) -> None:
    _, current_hard = resource.getrlimit(kind)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


_live: set[int] = set()
"""Process groups of sandboxes running now: whatever ends specloop ends them too."""


def stop_all() -> None:
    """Kill every running sandbox (at exit, or when specloop is told to stop)."""
    for pid in list(_live):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)  # the supervisor kills its whole tree
    if _live:
        time.sleep(0.2)
    for pid in list(_live):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    _live.clear()


atexit.register(stop_all)


# Finished sandboxes are removed on a thread of their own, one after another: a large
# project's copy is thousands of links, and the run that used them need not wait. What is
# still queued is removed before the process exits (the executor's workers are joined);
# a killed process's folders are swept by the next specloop (`_sweep_stale_folders`).
_REMOVER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="specloop-remove")


def remove_later(folder: Path) -> None:
    """Remove ``folder`` (a finished sandbox's, or a run's copy) off the caller's path."""
    try:
        _REMOVER.submit(shutil.rmtree, folder, True)
    except RuntimeError:  # the interpreter is exiting: the executor takes nothing new
        shutil.rmtree(folder, ignore_errors=True)


def finish_removals() -> None:
    """Wait until every folder handed to `remove_later` is gone."""
    _REMOVER.submit(lambda: None).result()


async def _stop(process: asyncio.subprocess.Process, graceful: bool) -> None:
    """Stop the run and everything it started.

    With namespaces, killing the group kills the supervisor (PID 1 of the namespace) and
    with it everything in the namespace. Without, only the supervisor's own sweep reaches
    processes that left the group, so it gets SIGTERM and a moment first.
    """
    if graceful:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(process.wait()), _STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    await asyncio.shield(process.wait())


async def _settle(readers: list[asyncio.Task[None]]) -> None:
    """Let the output readers finish; a straggler still holding the pipe is cut off."""
    _, pending = await asyncio.wait(readers, timeout=_READER_GRACE_S)
    for reader in pending:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


class _Tail:
    """Keeps the end of a stream without holding all of it."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self._limit = limit
        self._data = bytearray()
        self._dropped = False

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._data += chunk
            excess = len(self._data) - 4 * self._limit
            if excess > 0:
                del self._data[:excess]
                self._dropped = True

    def text(self) -> str:
        text = self._data.decode(errors="replace")
        if len(text) > self._limit or self._dropped:
            return "…" + text[-self._limit :]
        return text


def _result(
    returncode: int | None, stdout: str, stderr: str, started: float, limits: SandboxLimits
) -> SandboxResult:
    if returncode is not None:
        returncode = _exit_status(returncode)
    return SandboxResult(
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=returncode is None,
        duration_s=time.monotonic() - started,
        reason=_reason(returncode, stdout, stderr, limits),
    )


def _exit_status(status: int) -> int:
    """The supervisor reports a signal N as 128 + N; turn it back into -N."""
    if 128 < status < 128 + signal.NSIG:
        return -(status - 128)
    return status


_SUPERVISOR_SAYS = re.compile(rf"^{re.escape(supervisor.MARK)} (.*)$", re.MULTILINE)


def _reason(returncode: int | None, stdout: str, stderr: str, limits: SandboxLimits) -> str | None:
    if returncode is None:
        return f"It ran past the {limits.wall_s:g} s wall-clock limit and was stopped."
    if returncode == 0:
        return None
    said = _SUPERVISOR_SAYS.findall(stderr)
    if returncode == supervisor.SETUP_FAILED and said:
        return f"The sandbox could not be set up: {said[-1]}"
    if returncode == supervisor.LIMIT_EXCEEDED and said:
        return f"It was {said[-1]}"
    if returncode == -signal.SIGXCPU:
        return f"It exceeded the CPU limit ({limits.cpu_s} s) and was stopped."
    if returncode == -signal.SIGKILL:
        return (
            f"It was killed, most likely at the CPU limit ({limits.cpu_s} s) "
            f"or the memory limit ({limits.memory_mb} MB)."
        )
    output = stdout + stderr
    if re.search(r"\bMemoryError\b|Cannot allocate memory|bad_alloc", output):
        return f"It ran out of memory (limit {limits.memory_mb} MB)."
    if "File too large" in output or returncode == -signal.SIGXFSZ:
        return f"It tried to write a file larger than the {limits.file_size_mb} MB limit."
    if returncode < 0:
        return f"It was killed by signal {signal.Signals(-returncode).name}."
    return None
