"""The sandbox: the only place where generated code runs.

A `Sandbox` is a fresh temporary directory holding a copy of what the tests need;
`Sandbox.run` starts a command in it as an asyncio subprocess and returns a
`SandboxResult` (exit code, output excerpts, duration, and why it was stopped).

Layers of isolation, from always-on to best-effort (`detect_isolation` probes the
machine once and the answer is cached; `Isolation.describe` says what holds):

* Scrubbed environment, always. The child's environment is built from an allowlist,
  never copied: ``PATH`` (with the interpreter's directory first), ``LANG``,
  ``LC_ALL``, ``LC_CTYPE`` and ``TZ`` when set, plus ``HOME`` and ``TMPDIR``
  (``home/`` and ``tmp/`` inside the sandbox), ``PYTHONPATH`` (the sandbox),
  ``PYTHONDONTWRITEBYTECODE=1``, ``PYTHONHASHSEED=0`` and ``PYTHONNOUSERSITE=1``.
  Nothing else passes, so API keys and cloud credentials (``*_KEY``, ``*_TOKEN``,
  ``*_SECRET``, ``AWS_*``, ``GOOGLE_*``, ``AZURE_*``, ``OPENAI_*``...) cannot leak.
* Resource limits, always (``setrlimit`` before exec): CPU seconds, address space,
  file size, no core dumps, and a process count when the child runs as ``nobody``
  (the count is per user, so it would be meaningless for the user's own uid). A
  new session lets the wall-clock timeout and cancellation kill the whole group.
* Namespaces, on Linux when ``unshare`` works (as root directly, otherwise through
  a user namespace): no network (a private network namespace with only a downed
  loopback), a private PID namespace (nothing survives the run, even a process that
  left the group), and a private mount namespace in which every mount is read-only
  except the sandbox's ``home/`` and ``tmp/`` and a private ``/dev/shm``; ``/root``,
  ``/home``, the user's home, ``/run/secrets`` and the copied project are hidden
  under empty tmpfs mounts, with only the Python installation re-exposed.
  Capabilities are dropped and ``no_new_privs`` is set, so the child cannot undo any
  of this.
* Privilege drop, when running as root: the child runs as ``nobody``. Our own venv
  interpreter lives under ``/root`` (mode 0700) on some machines, which ``nobody``
  cannot traverse; the mount namespace solves that by re-exposing just the Python
  installation (read-only) under the tmpfs that hides the rest of ``/root``.

Known limits: the sandbox's ``home/`` and ``tmp/`` live on the host's disk, so total
disk use is bounded only by the per-file size limit and the time limits; other
users' world-readable files (in ``/tmp`` for instance) remain readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import pwd
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

OUTPUT_LIMIT = 4_000
"""Characters kept from the end of each of stdout and stderr."""

_SETUP_FAILED = 125
_READER_GRACE_S = 1.0
_PROBE_TIMEOUT_S = 60.0
_NOBODY = 65534
_SECRET_PLACES = ("/root", "/home", "/run/secrets", "/var/run/secrets")


@dataclass(frozen=True)
class SandboxLimits:
    cpu_s: int = 10
    memory_mb: int = 1024
    file_size_mb: int = 16
    wall_s: float = 30.0
    max_processes: int = 64


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed command did.

    ``returncode`` is None when the sandbox killed the command (wall-clock limit);
    a command killed by a signal otherwise has the negative signal number.
    ``reason`` is a sentence saying why it was stopped or failed on a limit.
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


@dataclass(frozen=True)
class _Tools:
    unshare: str
    setpriv: str
    mount: str
    umount: str
    mkdir: str


@dataclass(frozen=True)
class Isolation:
    """Which isolation layers the sandbox uses on this machine."""

    namespaces: bool = False
    user_namespace: bool = False
    drop_to: tuple[int, int] | None = None
    tools: _Tools | None = field(default=None, repr=False)
    note: str = ""

    @property
    def network_isolated(self) -> bool:
        return self.namespaces

    @property
    def filesystem_isolated(self) -> bool:
        """True when the child can write only inside the sandbox."""
        return self.namespaces

    @property
    def privileges_dropped(self) -> bool:
        return self.drop_to is not None

    def describe(self) -> str:
        if not self.namespaces:
            return (
                "The sandbox scrubs the environment and limits CPU, memory and file size, "
                "but has network access and can write outside its directory on this machine"
                + (f" ({self.note})." if self.note else ".")
            )
        who = " and runs as nobody" if self.privileges_dropped else ""
        note = f" ({self.note})" if self.note else ""
        return (
            "The sandbox has no network, writes only inside its directory, "
            f"hides credentials{who}, with CPU, memory and file-size limits{note}."
        )


def detect_isolation() -> Isolation:
    """Probe once which isolation works here (cached; the first call takes a moment)."""
    return _detect_isolation()


@functools.cache
def _detect_isolation() -> Isolation:
    if not sys.platform.startswith("linux"):
        return Isolation(note="namespaces need Linux")
    tools = _find_tools()
    if tools is None:
        return Isolation(note="unshare, setpriv or mount is not installed")
    notes = []
    for candidate in _candidates(tools):
        problem = _probe(candidate)
        if problem is None:
            return candidate
        notes.append(problem)
    return Isolation(note="namespaces could not be set up: " + "; ".join(notes))


def _find_tools() -> _Tools | None:
    names = ("unshare", "setpriv", "mount", "umount", "mkdir")
    found = [shutil.which(name) for name in names]
    if any(path is None for path in found):
        return None
    return _Tools(*[str(path) for path in found])


def _candidates(tools: _Tools) -> list[Isolation]:
    if os.geteuid() != 0:
        return [Isolation(namespaces=True, user_namespace=True, tools=tools)]
    return [
        Isolation(namespaces=True, drop_to=_nobody(), tools=tools),
        Isolation(namespaces=True, tools=tools, note="could not run as nobody"),
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
    count_processes: bool

    def preexec(self) -> None:
        _apply_limits(self.limits, self.count_processes)


class Sandbox:
    """A temporary directory in which generated code runs; deleted on exit.

    Layout: ``<base>/root`` is the sandbox directory (``path``): read-only to the
    child when namespaces work, so the tests it holds cannot be tampered with;
    ``home/`` and ``tmp/`` inside it are the child's writable ``HOME`` and ``TMPDIR``.
    ``<base>/stage`` is private scratch used while setting up mounts.
    """

    def __init__(self, isolation: Isolation | None = None) -> None:
        self._isolation = isolation
        self._base: Path | None = None
        self._hidden: set[Path] = set()

    # -- lifecycle

    def __enter__(self) -> Sandbox:
        isolation = self.isolation
        base = Path(tempfile.mkdtemp(prefix="specloop-sandbox-")).resolve()
        self._base = base
        for name in ("root", "root/home", "root/tmp", "stage"):
            (base / name).mkdir()
        base.chmod(0o755)
        self.path.chmod(0o755)
        (base / "stage").chmod(0o700)
        if isolation.drop_to is not None:
            for name in ("home", "tmp"):
                os.chown(self.path / name, *isolation.drop_to)
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
        self.__exit__(exc_type, exc, traceback)

    # -- properties

    @property
    def isolation(self) -> Isolation:
        if self._isolation is None:
            self._isolation = detect_isolation()
        return self._isolation

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
        """Copy files from ``project_root`` to the same relative paths in the sandbox.

        The project itself is then hidden from the child (when namespaces work), so
        the child sees only these copies.
        """
        root = project_root.resolve()
        self._hidden.add(root)
        for relative in relative_paths:
            source = _within(root, relative)
            target = _within(self.path, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

    def write(self, relative: str, text: str) -> None:
        target = _within(self.path, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    # -- running

    async def run(
        self,
        argv: list[str],
        limits: SandboxLimits,
        cwd: str = ".",
        environment: Mapping[str, str] | None = None,
    ) -> SandboxResult:
        """Run ``argv`` in the sandbox; cancelling the caller kills the whole run.

        ``environment`` adds variables to the scrubbed environment (never secrets).
        """
        launch = self.launch(argv, limits, cwd, environment)
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *launch.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=launch.env,
            cwd=launch.cwd,
            start_new_session=True,
            preexec_fn=launch.preexec,
        )
        stdout, stderr = _Tail(), _Tail()
        assert process.stdout is not None and process.stderr is not None
        readers = [
            asyncio.create_task(stdout.drain(process.stdout)),
            asyncio.create_task(stderr.drain(process.stderr)),
        ]
        try:
            returncode: int | None = await asyncio.wait_for(process.wait(), limits.wall_s)
        except TimeoutError:
            await _kill(process)
            returncode = None
        except BaseException:
            await _kill(process)
            for reader in readers:
                reader.cancel()
            raise
        await _settle(readers)
        return self._result(returncode, stdout.text(), stderr.text(), started, limits)

    def launch(
        self,
        argv: list[str],
        limits: SandboxLimits,
        cwd: str,
        environment: Mapping[str, str] | None = None,
    ) -> _Launch:
        """How ``argv`` is started: the wrapped command line, environment and limits."""
        workdir = _within(self.path, cwd)
        isolation = self.isolation
        env = {**child_environment(self.path), **(environment or {})}
        if not isolation.namespaces:
            return _Launch(list(argv), env, str(workdir), limits, count_processes=False)
        assert isolation.tools is not None
        script = _setup_script(self._mount_plan(isolation), isolation, workdir)
        wrapped = [
            isolation.tools.unshare,
            *(["--user", "--map-root-user"] if isolation.user_namespace else []),
            "--net",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--",
            "/bin/sh",
            "-c",
            script,
            "specloop-sandbox",
            *argv,
        ]
        return _Launch(wrapped, env, str(workdir), limits, isolation.drop_to is not None)

    def _mount_plan(self, isolation: Isolation) -> _MountPlan:
        assert self._base is not None
        keeps = _interpreter_paths()
        masks = set(self._hidden) | _existing_dirs(_SECRET_PLACES) | _existing_dirs([Path.home()])
        if isolation.drop_to is not None:
            masks |= {blocked for keep in keeps for blocked in _untraversable_ancestors(keep)}
        masks = {mask for mask in masks if not _is_within(self._base, mask)}
        return _MountPlan(
            masks=_outermost(masks),
            inner_masks=sorted(masks),
            keeps=_outermost(keeps),
            stage=self._base / "stage",
            writable=[self.path / "home", self.path / "tmp"],
        )

    def _result(
        self,
        returncode: int | None,
        stdout: str,
        stderr: str,
        started: float,
        limits: SandboxLimits,
    ) -> SandboxResult:
        if returncode is not None and self.isolation.namespaces:
            returncode = _shell_status(returncode)
        return SandboxResult(
            returncode=returncode,
            stdout=stdout,
            stderr=stderr,
            timed_out=returncode is None,
            duration_s=time.monotonic() - started,
            reason=_reason(returncode, stdout, stderr, limits),
        )


def child_environment(sandbox_dir: Path) -> dict[str, str]:
    """The child's whole environment: an allowlist, so no secret can pass."""
    env = {
        "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)]
        ),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(sandbox_dir / "home"),
        "TMPDIR": str(sandbox_dir / "tmp"),
        "PYTHONPATH": str(sandbox_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
    }
    for name in ("LC_ALL", "LC_CTYPE", "TZ"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


# ---------------------------------------------------------------- paths


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


def _existing_dirs(paths: Iterable[str | Path]) -> set[Path]:
    return {Path(path).resolve() for path in paths if Path(path).is_dir()}


def _interpreter_paths() -> set[Path]:
    """What the interpreter needs to run: its prefixes and the real executable's folder."""
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    paths = {Path(prefix) for prefix in prefixes}
    paths.add(Path(sys.executable).resolve().parent)
    return {resolved for path in paths for resolved in (path.absolute(), path.resolve())}


def _untraversable_ancestors(path: Path) -> Iterator[Path]:
    """Ancestors of ``path`` that other users may not enter (e.g. /root, mode 0700)."""
    for ancestor in reversed(path.parents):
        with contextlib.suppress(OSError):
            if not ancestor.stat().st_mode & 0o001:
                yield ancestor


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """The paths that are not inside another one of them, sorted."""
    unique = sorted(set(paths))
    return [path for path in unique if not any(other in path.parents for other in unique)]


# ---------------------------------------------------------------- mounts


@dataclass(frozen=True)
class _MountPlan:
    masks: list[Path]
    """The outermost folders to hide."""
    inner_masks: list[Path]
    """Every folder to hide, including those inside others."""
    keeps: list[Path]
    stage: Path
    writable: list[Path]

    def hidden_keeps(self) -> list[Path]:
        return [keep for keep in self.keeps if any(_is_within(keep, m) for m in self.masks)]

    def masks_inside(self, keeps: list[Path]) -> list[Path]:
        """Folders to hide that re-exposing ``keeps`` would bring back (a project in a venv)."""
        return [
            mask
            for mask in self.inner_masks
            if any(mask != keep and _is_within(mask, keep) for keep in keeps)
        ]


def _setup_script(plan: _MountPlan, isolation: Isolation, workdir: Path) -> str:
    """The shell script run as (namespace) root before the command.

    It stages the kept paths a mask would hide, covers the masks with empty tmpfs,
    re-exposes the kept paths, makes every mount read-only, re-opens ``home/`` and
    ``tmp/`` for writing, then runs the command without capabilities. The shell
    stays as PID 1 of the namespace, so the command keeps normal signal handling.
    """
    assert isolation.tools is not None
    script = _Script(isolation.tools)
    hidden = plan.hidden_keeps()
    stages = [plan.stage / str(index) for index in range(len(hidden))]
    for keep, stage in zip(hidden, stages, strict=True):
        script.run_or_fail(f"mkdir -p -- {_q(stage)}", "could not create a staging folder.")
        script.mount_or_fail(f"--rbind -- {_q(keep)} {_q(stage)}", keep)
    for mask in plan.masks:
        script.mount_or_fail(f"-t tmpfs -o mode=0755,size=1m specloop {_q(mask)}", mask)
    for keep, stage in zip(hidden, stages, strict=True):
        script.run_or_fail(f"mkdir -p -- {_q(keep)}", f"could not re-expose {keep}.")
        script.mount_or_fail(f"--rbind -- {_q(stage)} {_q(keep)}", keep)
        script.attempt(f"umount -l -- {_q(stage)}")
    for mask in plan.masks_inside(hidden):
        script.mount_or_fail(f"-t tmpfs -o mode=0755,size=1m specloop {_q(mask)}", mask)
    for mountpoint in [*_mountpoints(), *plan.inner_masks, *plan.keeps]:
        script.attempt(f"mount -o remount,bind,ro -- {_q(mountpoint)}")
    script.attempt("mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev specloop /dev/shm")
    for writable in plan.writable:
        script.mount_or_fail(f"--bind -- {_q(writable)} {_q(writable)}", writable)
        script.mount_or_fail(f"-o remount,bind,rw -- {_q(writable)}", writable)
    script.line(f"cd -- {_q(workdir)} || fail 'could not enter the sandbox folder.'")
    script.line(f'{isolation.tools.setpriv} {_drop_arguments(isolation)} -- "$@"')
    return script.text()


class _Script:
    """Builds the setup script; commands name tools by absolute path."""

    def __init__(self, tools: _Tools) -> None:
        self._tools = {"mount": tools.mount, "umount": tools.umount, "mkdir": tools.mkdir}
        self._lines = [f'fail() {{ echo "specloop sandbox: $1" >&2; exit {_SETUP_FAILED}; }}']

    def line(self, text: str) -> None:
        self._lines.append(text)

    def run_or_fail(self, command: str, message: str) -> None:
        self.line(f"{self._resolve(command)} || fail {shlex.quote(message)}")

    def mount_or_fail(self, arguments: str, path: Path) -> None:
        self.run_or_fail(f"mount {arguments}", f"could not mount {path}.")

    def attempt(self, command: str) -> None:
        """A best-effort step: its failure is not an error."""
        self.line(f"{self._resolve(command)} 2>/dev/null || :")

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"

    def _resolve(self, command: str) -> str:
        tool, _, rest = command.partition(" ")
        return f"{self._tools[tool]} {rest}"


def _q(path: Path) -> str:
    return shlex.quote(str(path))


def _drop_arguments(isolation: Isolation) -> str:
    common = "--no-new-privs --inh-caps=-all --bounding-set=-all"
    if isolation.drop_to is None:
        return common
    uid, gid = isolation.drop_to
    return f"--reuid={uid} --regid={gid} --clear-groups {common}"


def _mountpoints() -> list[Path]:
    """The mount points of this mount namespace (the child's starts as a copy)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return [Path("/")]
    points = {_unescape(line.split()[4]) for line in lines if len(line.split()) > 4}
    return sorted(Path(point) for point in points)


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


# ---------------------------------------------------------------- limits and processes


def _apply_limits(limits: SandboxLimits, count_processes: bool) -> None:
    """Runs in the child between fork and exec: resource limits only."""
    megabyte = 1024 * 1024
    _set_limit(resource.RLIMIT_CPU, limits.cpu_s, limits.cpu_s + 1)
    _set_limit(resource.RLIMIT_AS, limits.memory_mb * megabyte)
    _set_limit(resource.RLIMIT_FSIZE, limits.file_size_mb * megabyte)
    _set_limit(resource.RLIMIT_CORE, 0)
    if count_processes:
        _set_limit(resource.RLIMIT_NPROC, limits.max_processes)


def _set_limit(kind: int, soft: int, hard: int | None = None) -> None:
    _, current_hard = resource.getrlimit(kind)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


async def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the process group (and, with namespaces, everything in the PID namespace)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
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


def _shell_status(status: int) -> int:
    """The namespace's shell reports a signal N as 128 + N; turn it back into -N."""
    if 128 < status < 128 + signal.NSIG and status != 128 + _SETUP_FAILED:
        return -(status - 128)
    return status


def _reason(returncode: int | None, stdout: str, stderr: str, limits: SandboxLimits) -> str | None:
    if returncode is None:
        return f"It ran past the {limits.wall_s:g} s wall-clock limit and was stopped."
    if returncode == 0:
        return None
    if returncode == _SETUP_FAILED and "specloop sandbox:" in stderr:
        return "The sandbox could not be set up: " + stderr.strip().splitlines()[-1]
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
