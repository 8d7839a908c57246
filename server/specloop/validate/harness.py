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
import tomllib
from dataclasses import dataclass, field, replace
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
_SUBJECT_GRACE_S = 2.0


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
    subject: Sandbox | None
    """The subject's sandbox (None with no stand-in)."""
    candidate: str
    """What the target module holds now: the new code, a mutant, or the code before."""
    subject_environment: dict[str, str] = field(default_factory=dict)

    @property
    def isolated(self) -> bool:
        return self.stand_in is not None and self.subject is not None

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
    if harness.isolated and harness.subject is not None:
        harness.subject.write(harness.module, source)


def install(sandbox: Sandbox, harness: Harness) -> None:
    """Give ``sandbox`` (the checker, already filled) and its subject what they run."""
    sandbox.harness = harness
    for name, text in SUPPORT_FILES.items():
        sandbox.write(name, text)
    if harness.subject is not None:
        for name, text in SUBJECT_FILES.items():
            harness.subject.write(name, text)
    place(sandbox, harness.candidate)


async def twin(stack: contextlib.AsyncExitStack, sandbox: Sandbox) -> Sandbox:
    """A copy of ``sandbox`` — files, harness and the subject's sandbox — to run beside it."""
    box = await stack.enter_async_context(sandbox.twin())
    await asyncio.to_thread(box.copy_from, sandbox)
    harness = sandbox.harness
    if harness is not None:
        subject = None
        if harness.subject is not None:
            subject = await stack.enter_async_context(harness.subject.twin())
            await asyncio.to_thread(subject.copy_from, harness.subject)
        box.harness = replace(harness, subject=subject)
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
    subject_run = None
    if harness is not None:
        use_subject = isolated and harness.isolated
        module_text = harness.stand_in if use_subject and harness.stand_in else harness.candidate
        sandbox.write(harness.module, module_text)
        if use_subject:
            to_subject_read, to_subject_write = os.pipe()
            from_subject_read, from_subject_write = os.pipe()
            env["SPECLOOP_SUBJECT"] = f"{from_subject_read},{to_subject_write}"
            passed_fds += [from_subject_read, to_subject_write]
            subject_run = asyncio.create_task(
                _subject(harness, limits, (to_subject_read, from_subject_write))
            )
    reader = asyncio.create_task(asyncio.to_thread(_read_all, report_read))
    try:
        result = await sandbox.run(command, limits, environment=env, pass_fds=tuple(passed_fds))
    finally:
        if subject_run is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(subject_run), _SUBJECT_GRACE_S)
            subject_run.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await subject_run
    report = await reader
    return result, read_verdict(report, nonce)


async def _subject(harness: Harness, limits: SandboxLimits, fds: tuple[int, int]) -> SandboxResult:
    assert harness.subject is not None
    box = harness.subject
    argv = [box.python, "specloop_subject.py", str(fds[0]), str(fds[1]), harness.import_name]
    return await box.run(argv, limits, environment=harness.subject_environment, pass_fds=fds)


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
