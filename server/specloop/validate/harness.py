"""How a check runs: the tests in one process, the code under test in another, a sealed report.

Evidence is only worth what it costs to fake, and the candidate is hostile input. So a
check's pytest run (the *checker*) holds the tests, the spec's examples and the test
runner, and the target module there holds a stand-in for the target
(`refactor.codemod.stand_in`) that calls the candidate's code in a *subject* process,
in a sandbox of its own that holds the project without its tests. They talk over pipes
in plain data (`wire`); results are rebuilt and compared in the checker, so the
candidate cannot read what it is judged by, walk the checker's frames, or pass a value
that lies about itself. A target that cannot be stood in for (a class, a function
nested in a function) runs in the checker's process, and the report says so.

The verdict of every pytest run comes from a report pipe opened before any test code
runs (``-p specloop_checker``, a per-run nonce), never from the exit status or the
printed summary: a run that ends early, or reports fewer tests than it collected, fails
and says so ("the test process ended before reporting: exit status 0 after 0 of 3").
"""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import json
import os
import re
import secrets
import select
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from specloop.validate.sandbox import Sandbox, SandboxLimits, SandboxResult

CHECKER_MODULE = "specloop_checker"
_HERE = Path(__file__).parent
"""checker_side.py and subject.py import ``specloop_wire``, a name they have only in a
sandbox: they are read as text here, never imported."""
SUPPORT_FILES = {
    "specloop_wire.py": (_HERE / "wire.py").read_text(encoding="utf-8"),
    f"{CHECKER_MODULE}.py": (_HERE / "checker_side.py").read_text(encoding="utf-8"),
}
SUBJECT_FILES = {
    "specloop_wire.py": SUPPORT_FILES["specloop_wire.py"],
    "specloop_subject.py": (_HERE / "subject.py").read_text(encoding="utf-8"),
}
_HANDSHAKE_S = 20.0
_SUBJECT_LIFETIME_S = 3_600.0
"""The subject serves every check of one validation; each check has its own wall clock."""


@dataclass
class Harness:
    """What a checker sandbox needs to judge one target: where its code runs, and as what."""

    module: str
    """The target module, relative to the project root."""
    import_name: str
    target: str
    """Qualified name of the target (``Stack.pop``)."""
    stand_in: str | None
    """The module with the target replaced by its stand-in; None: it runs in the checker."""
    candidate: str
    """What the target module holds now: the new code, a mutant, or the code before."""
    process: SubjectProcess | None = None
    """The subject's process (and its sandbox), kept across the checks of this sandbox;
    None when the target has no stand-in."""

    @property
    def isolated(self) -> bool:
        return self.stand_in is not None and self.process is not None

    def describe(self) -> str:
        if self.isolated:
            return (
                f"{self.target} ran in a process of its own, without the tests, the examples "
                "or the test runner; the checks called it with plain data and compared there"
            )
        return (
            f"{self.target} ran in the test process (a class or a nested function cannot be "
            "stood in for)"
        )


def place(sandbox: Sandbox, source: str) -> None:
    """Put ``source`` in as the target module's code (where the code under test runs)."""
    harness = sandbox.harness
    if harness is None:
        raise RuntimeError("The sandbox has no harness: nothing to place the code in.")
    harness.candidate = source
    if harness.isolated and harness.process is not None:
        harness.process.box.write(harness.module, source)


def install(sandbox: Sandbox, harness: Harness) -> None:
    """Give ``sandbox`` (the checker, already filled) what it runs, and the subject the code."""
    sandbox.harness = harness
    for name, text in SUPPORT_FILES.items():
        sandbox.write(name, text)
    place(sandbox, harness.candidate)


class SubjectProcess:
    """One process of the code under test, serving the checker runs of one sandbox in turn.

    Starting a sandboxed process per check (per mutant) costs more than the check, so
    the subject lives across them: the host keeps its pipe ends and hands each checker
    run a copy. Each run opens with a handshake after which the subject imports the
    module afresh from its file (the new code, a mutant, the code before). A subject that
    ended, or a run that did not end by itself (a call that never returned), means a
    fresh process for the next run; so does a subject left with threads or children
    of its own, which it checks itself at each handshake.
    """

    def __init__(self, box: Sandbox, import_name: str, environment: dict[str, str]) -> None:
        self.box = box
        self.import_name = import_name
        self.environment = environment
        self._run: asyncio.Task[SandboxResult] | None = None
        self._ends: tuple[int, int] | None = None
        self._served = False
        """Whether a checker run has used it: a fresh process needs no handshake."""

    async def ensure(self, limits: SandboxLimits) -> None:
        if self._run is not None and not self._run.done():
            return
        await self.close()
        self._served = False
        to_read, to_write = os.pipe()
        from_read, from_write = os.pipe()
        self._ends = (from_read, to_write)
        argv = [self.box.python, "specloop_subject.py", str(to_read), str(from_write),
                self.import_name]  # fmt: skip
        # It serves many runs: each run's wall clock bounds what it spends there (a run
        # that does not end closes it), so its own clock and CPU allowance are the long ones.
        lifetime = replace(limits, wall_s=_SUBJECT_LIFETIME_S, cpu_s=int(_SUBJECT_LIFETIME_S))
        self._run = asyncio.create_task(
            self.box.run(
                argv, lifetime, environment=self.environment, pass_fds=(to_read, from_write)
            )
        )

    async def ready(self, limits: SandboxLimits) -> None:
        """A subject that took a new session: it imports the module afresh at the next call.

        The handshake also reads past whatever an earlier run left unread. A subject that
        does not answer (it ended, or left threads or children behind) is replaced.
        """
        for _ in range(2):
            await self.ensure(limits)
            if not self._served or await asyncio.to_thread(self._handshake):
                self._served = True
                return
            await self.close()
        await self.ensure(limits)  # the checker's first call will say what went wrong
        self._served = True

    def _handshake(self) -> bool:
        assert self._ends is not None
        reads, writes = self._ends
        session = secrets.token_hex(8)
        try:
            os.write(writes, (json.dumps({"op": "hello", "session": session}) + "\n").encode())
        except OSError:
            return False
        expected = {"op": "hello", "session": session}
        line = b""
        deadline = time.monotonic() + _HANDSHAKE_S
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([reads], [], [], left)
            if not ready:
                return False
            byte = os.read(reads, 1)
            if not byte:
                return False
            if byte != b"\n":
                line += byte
                continue
            with contextlib.suppress(ValueError):
                if json.loads(line) == expected:
                    return True
            line = b""
        return False

    def checker_ends(self) -> tuple[int, int]:
        """Copies of the ends a checker run reads from and writes to (its to close)."""
        assert self._ends is not None
        return os.dup(self._ends[0]), os.dup(self._ends[1])

    async def close(self) -> None:
        """End the process and everything it started (it has nothing to finish)."""
        ends, self._ends = self._ends, None
        for fd in ends or ():
            with contextlib.suppress(OSError):
                os.close(fd)
        run, self._run = self._run, None
        if run is None:
            return
        run.cancel()  # the sandbox stops the whole tree
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await run


async def start_subject(
    box: Sandbox, import_name: str, environment: dict[str, str], limits: SandboxLimits
) -> SubjectProcess:
    """The subject's process in ``box``, booting (it needs only its script to start)."""
    for name, text in SUBJECT_FILES.items():
        box.write(name, text)
    process = SubjectProcess(box, import_name, environment)
    await process.ensure(limits)
    return process


async def twin(
    stack: contextlib.AsyncExitStack, sandbox: Sandbox, limits: SandboxLimits
) -> Sandbox:
    """A copy of ``sandbox`` — files, harness, the subject's sandbox and process — beside it."""
    box = await stack.enter_async_context(sandbox.twin())
    harness = sandbox.harness
    if harness is not None:
        process = None
        if (original := harness.process) is not None:
            subject = await stack.enter_async_context(original.box.twin())
            process = await start_subject(
                subject, original.import_name, original.environment, limits
            )
            stack.push_async_callback(process.close)
            await asyncio.to_thread(subject.copy_from, original.box)
        box.harness = replace(harness, process=process)
    await asyncio.to_thread(box.copy_from, sandbox)
    return box


@dataclass(frozen=True)
class Verdict:
    """What the report pipe said about one pytest run."""

    finished: bool
    collected: int
    passed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    uncollected: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every collected test reported, and passed (or was skipped)."""
        return (
            self.finished
            and not self.failed
            and not self.uncollected
            and len(self.passed) + len(self.skipped) >= self.collected
        )

    def problem(self, returncode: int | None) -> str | None:
        """Why a run whose tests did not all fail is still no pass (a short or missing report)."""
        if self.ok or self.failed or self.uncollected:
            return None
        status = "stopped" if returncode is None else f"exit status {returncode}"
        seen = len(self.passed) + len(self.skipped)
        return (
            f"The test process ended before reporting: {status} after {seen} of "
            f"{self.collected} tests. A check passes only when every test it collected "
            "reports passing."
        )


def read_verdict(text: str, nonce: str) -> Verdict:
    collected = 0
    finished = False
    outcomes: dict[str, list[str]] = {"passed": [], "failed": [], "skipped": [], "uncollected": []}
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict) or event.get("nonce") != nonce:
            continue
        kind = event.get("event")
        if kind == "collected":
            collected = int(event.get("count", 0))
        elif kind == "finished":
            finished = True
        elif kind == "uncollected":
            outcomes["uncollected"].append(str(event.get("nodeid")))
        elif kind == "test":
            outcome = str(event.get("outcome"))
            if outcome in outcomes and str(event.get("nodeid")) not in outcomes[outcome]:
                outcomes[outcome].append(str(event.get("nodeid")))
    passed = [name for name in outcomes["passed"] if name not in outcomes["failed"]]
    return Verdict(
        finished=finished,
        collected=collected,
        passed=tuple(passed),
        failed=tuple(outcomes["failed"]),
        skipped=tuple(outcomes["skipped"]),
        uncollected=tuple(outcomes["uncollected"]),
    )


async def run_pytest(
    sandbox: Sandbox,
    argv: list[str],
    limits: SandboxLimits,
    environment: dict[str, str],
    isolated: bool = True,
) -> tuple[SandboxResult, Verdict]:
    """Run ``argv`` (``python -m pytest ...``) as the checker; the verdict from its report.

    ``isolated``: the target runs in the subject (when it can); else in this process.
    """
    harness = sandbox.harness
    for name, text in SUPPORT_FILES.items():
        if not (sandbox.path / name).exists():
            sandbox.write(name, text)
    nonce = secrets.token_hex(16)
    report_read, report_write = os.pipe()
    env = {**environment, "SPECLOOP_REPORT": f"{report_write}:{nonce}"}
    command = [*argv[:3], "-p", CHECKER_MODULE, *argv[3:]]
    passed_fds = [report_write]
    process = None
    if harness is not None:
        use_subject = isolated and harness.isolated
        module_text = harness.stand_in if use_subject and harness.stand_in else harness.candidate
        sandbox.write(harness.module, module_text)
        if use_subject and harness.process is not None:
            process = harness.process
            await process.ready(limits)
            reads, writes = process.checker_ends()
            env["SPECLOOP_SUBJECT"] = f"{reads},{writes}"
            passed_fds += [reads, writes]
    reader = asyncio.create_task(asyncio.to_thread(_read_all, report_read))
    result = await sandbox.run(command, limits, environment=env, pass_fds=tuple(passed_fds))
    if process is not None and result.returncode is None:
        await process.close()  # a call may still be running there: the next run starts afresh
    report = await reader
    return result, read_verdict(report, nonce)


def _read_all(fd: int) -> str:
    chunks = []
    with os.fdopen(fd, "rb") as stream:
        while chunk := stream.read(65536):
            chunks.append(chunk)
            if sum(map(len, chunks)) > 8 * 1024 * 1024:
                break
    return b"".join(chunks).decode("utf-8", errors="replace")


# ---------------------------------------------------------------- the project's test setup


_DJANGO_OPTION = re.compile(r"(?:--ds[= ])([\w.]+)")


def framework_environment(root: Path) -> dict[str, str]:
    """What the project's pytest configuration sets up for its code (Django's settings).

    pytest-django reads ``DJANGO_SETTINGS_MODULE`` from the pytest configuration; the
    subject, which runs the code without pytest, is given the same.
    """
    candidates = (
        _pyproject(root),
        _ini(root, "pytest.ini", "pytest"),
        _ini(root, "setup.cfg", "tool:pytest"),
        _ini(root, "tox.ini", "pytest"),
    )
    for settings in candidates:
        if settings is None:
            continue
        module = settings.get("DJANGO_SETTINGS_MODULE")
        addopts = settings.get("addopts")
        if not module and isinstance(addopts, str) and (found := _DJANGO_OPTION.search(addopts)):
            module = found.group(1)
        return {"DJANGO_SETTINGS_MODULE": str(module)} if module else {}
    return {}


def _pyproject(root: Path) -> dict[str, object] | None:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    options = data.get("tool", {}).get("pytest", {}).get("ini_options")
    return options if isinstance(options, dict) else None


def _ini(root: Path, name: str, section: str) -> dict[str, object] | None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(root / name, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None
    return dict(parser[section]) if parser.has_section(section) else None
