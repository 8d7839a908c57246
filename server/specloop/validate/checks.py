"""The individual validation checks, each returning a `CheckResult`.

`check_syntax` and `check_static` only read the source and run in-process (ruff
as a subprocess on stdin: it never executes the code). `run_spec_examples` and
`run_tests` execute the candidate, so they run pytest inside a `Sandbox`. Failure
output is written to be fed back to the model: what failed, then the evidence.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import libcst

from specloop.analysis.modules import import_name
from specloop.validate.harness import Verdict, run_pytest
from specloop.validate.report import SPEC_EXAMPLES, STATIC, SYNTAX, CheckResult
from specloop.validate.sandbox import Sandbox, SandboxLimits, SandboxResult

RUFF_RULES = "F,E9,PLE"
_RUFF_TIMEOUT_S = 30.0
_SECTION_LIMIT = 3_000
_PYTEST_OPTIONS = [
    "-q",
    "-p",
    "no:cacheprovider",
    "--color=no",
    "--tb=short",
    "-rfE",
    "--rootdir=.",
]
_WITHOUT_ADDOPTS = ["-o", "addopts="]
_NO_TESTS_COLLECTED = 5
_WITHOUT_PLUGINS = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def pytest_setup(sandbox: Sandbox, project_tests: bool) -> tuple[list[str], dict[str, str]]:
    """pytest's options and environment for one run in ``sandbox``.

    With the project's own pytest, its existing tests run as ``pytest`` runs them in the
    project: its configuration, ``conftest.py`` files, plugins and ``addopts``. specloop's
    own checks (spec examples, spec tests, mutants) keep the plugins the module may need
    to import (Django's settings) but not ``addopts`` (coverage, xdist or
    ``--doctest-modules`` would change what runs). With specloop's pytest (specloop's own
    interpreter, or lent to an environment without pytest) no plugin and no ``addopts``
    apply: the plugins beside it are not the project's.
    """
    environment = {"COVERAGE_FILE": str(sandbox.path / "tmp" / ".coverage")}
    if not sandbox.environment.project_pytest:
        return [*_PYTEST_OPTIONS, *_WITHOUT_ADDOPTS], environment | _WITHOUT_PLUGINS
    if project_tests:
        return [*_PYTEST_OPTIONS, "--continue-on-collection-errors"], environment
    return [*_PYTEST_OPTIONS, *_WITHOUT_ADDOPTS], environment


# ---------------------------------------------------------------- syntax


def check_syntax(
    new_module: str, filename: str = "<candidate>", python: tuple[int, int] | None = None
) -> CheckResult:
    """Parse the whole new module with LibCST, then compile it (without running it).

    Compiling catches what a parser accepts but Python refuses, such as ``return``
    outside a function. It is done only when ``python`` (the project's version) is the
    one running specloop: another version's grammar is checked when its tests run.
    """
    started = time.monotonic()
    compiles = python is None or python == sys.version_info[:2]
    problem = _syntax_problem(new_module, filename, compiles)
    return CheckResult(
        name=SYNTAX,
        passed=problem is None,
        output=problem or "The module parses and compiles.",
        duration_s=time.monotonic() - started,
    )


def _syntax_problem(source: str, filename: str, compiles: bool = True) -> str | None:
    try:
        libcst.parse_module(source)
    except libcst.ParserSyntaxError as error:
        return _describe_syntax_error(source, filename, error)
    if not compiles:
        return None
    try:
        compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return _describe_compile_error(source, error)
    return None


def _describe_syntax_error(source: str, filename: str, error: libcst.ParserSyntaxError) -> str:
    # Python's own parser usually says it better ("'(' was never closed"); prefer it.
    try:
        compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as python_error:
        return _describe_compile_error(source, python_error)
    except ValueError:
        pass
    message = re.sub(r"^parser error: error at \d+:\d+: ", "", error.message)
    return _located(source, error.editor_line, error.editor_column, message)


def _describe_compile_error(source: str, error: SyntaxError | ValueError) -> str:
    if isinstance(error, SyntaxError) and error.lineno is not None:
        return _located(source, error.lineno, error.offset or 1, error.msg)
    return f"The module cannot be compiled: {error}."


def _located(source: str, line: int, column: int, message: str) -> str:
    lines = source.splitlines()
    text = f"Syntax error at line {line}, column {column}: {message}."
    if 1 <= line <= len(lines):
        text += f"\n    {lines[line - 1]}\n    {' ' * max(column - 1, 0)}^"
    return text


# ---------------------------------------------------------------- static


@dataclass(frozen=True)
class Diagnostic:
    line: int
    column: int
    code: str
    message: str

    @property
    def key(self) -> tuple[str, str]:
        """What makes two diagnostics "the same problem", wherever it sits."""
        return (self.code, re.sub(r"\bline \d+", "line N", self.message))

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.code} {self.message}"


def check_static(
    original_module: str,
    new_module: str,
    filename: str,
    python: tuple[int, int] | None = None,
) -> CheckResult:
    """Ruff's error rules, failing only on problems the change introduced.

    Problems are compared by rule code and message (line numbers ignored), so a
    pre-existing unused import or undefined name is not blamed on the candidate.
    ``python``: the project's Python version, ruff's target.
    """
    started = time.monotonic()
    try:
        before = ruff_diagnostics(original_module, filename, python)
        after = ruff_diagnostics(new_module, filename, python)
    except RuffError as error:
        return CheckResult(
            name=STATIC, passed=False, output=str(error), duration_s=time.monotonic() - started
        )
    introduced = _introduced(before, after)
    output = (
        "The change introduces these problems:\n" + "\n".join(map(str, introduced))
        if introduced
        else "The change introduces no problems ruff can find."
    )
    return CheckResult(
        name=STATIC, passed=not introduced, output=output, duration_s=time.monotonic() - started
    )


def _introduced(before: Iterable[Diagnostic], after: list[Diagnostic]) -> list[Diagnostic]:
    remaining = Counter(diagnostic.key for diagnostic in before)
    introduced = []
    for diagnostic in after:
        if remaining[diagnostic.key] > 0:
            remaining[diagnostic.key] -= 1
        else:
            introduced.append(diagnostic)
    return introduced


class RuffError(Exception):
    """Ruff could not be run or answered something unreadable."""


def ruff_diagnostics(
    source: str, filename: str, python: tuple[int, int] | None = None
) -> list[Diagnostic]:
    known = python is not None and (3, 7) <= python <= (3, 14)
    target = ["--target-version", f"py{python[0]}{python[1]}"] if known and python else []
    command = [
        _ruff_binary(),
        "check",
        "--no-cache",
        "--isolated",
        *target,
        "--select",
        RUFF_RULES,
        "--output-format",
        "json",
        "--stdin-filename",
        filename,
        "-",
    ]
    try:
        completed = subprocess.run(
            command,
            input=source.encode(),
            capture_output=True,
            timeout=_RUFF_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuffError(f"Ruff could not be run ({error}); check that it is installed.") from error
    if completed.returncode not in (0, 1):
        detail = completed.stderr.decode(errors="replace").strip()
        raise RuffError(f"Ruff failed with exit code {completed.returncode}: {detail}")
    return _parse_ruff(completed.stdout)


def _ruff_binary() -> str:
    beside = Path(sys.executable).parent / "ruff"
    if beside.exists():
        return str(beside)
    found = shutil.which("ruff")
    if found is None:
        raise RuffError(
            f"Ruff was not found next to {sys.executable} or on PATH; install specloop's "
            "dependencies (ruff is one of them)."
        )
    return found


def _parse_ruff(stdout: bytes) -> list[Diagnostic]:
    try:
        items = json.loads(stdout or b"[]")
        return [
            Diagnostic(
                line=item["location"]["row"],
                column=item["location"]["column"],
                code=item.get("code") or "invalid-syntax",
                message=item["message"],
            )
            for item in items
        ]
    except (ValueError, KeyError, TypeError) as error:
        raise RuffError(f"Ruff's JSON output could not be read: {error}.") from error


# ---------------------------------------------------------------- doctests and tests


SPEC_EXAMPLES_FILE = "specloop_spec_examples.txt"


async def run_tests(
    sandbox: Sandbox,
    test_targets: list[str],
    limits: SandboxLimits,
    name: str,
    stop_at_first: bool = True,
    project_tests: bool = False,
    isolated: bool = True,
) -> CheckResult:
    """Run test files or node ids (stopping at the first failure, unless told otherwise).

    ``project_tests``: the project's own tests, run with its test setup (`pytest_setup`).
    ``isolated``: the code under test runs in its own process (`harness.py`) when it can.
    """
    checked, _ = await run_tests_with_status(
        sandbox, test_targets, limits, name, stop_at_first, project_tests, isolated
    )
    return checked


async def run_tests_with_status(
    sandbox: Sandbox,
    test_targets: list[str],
    limits: SandboxLimits,
    name: str,
    stop_at_first: bool = True,
    project_tests: bool = False,
    isolated: bool = True,
) -> tuple[CheckResult, int | None]:
    """``run_tests`` plus pytest's exit status (2: the tests could not even be collected)."""
    arguments = ["-x", *test_targets] if stop_at_first else test_targets
    run = await _pytest(sandbox, arguments, limits, project_tests, isolated)
    verdict = run.verdict
    if verdict.finished and verdict.collected == 0 and not verdict.uncollected:
        output = f"No tests were collected from {', '.join(test_targets)}."
        checked = CheckResult(name=name, passed=True, output=output, duration_s=run.duration)
        return checked, run.result.returncode
    checked = _pytest_result(name, run)
    update = {"evidence": checked.passed, "count": len(verdict.passed)}
    return checked.model_copy(update=update), run.result.returncode


async def run_spec_examples(
    sandbox: Sandbox, module_relpath: str, symbol: str, examples: str, limits: SandboxLimits
) -> CheckResult:
    """Run the examples written in the spec against the new code, even if it dropped them."""
    module = import_name(sandbox.path, module_relpath)
    top = symbol.split(".")[0]
    setup = f">>> from {module} import *\n>>> from {module} import {top}\n\n"
    examples_file = str(PurePosixPath(module_relpath).parent / SPEC_EXAMPLES_FILE)
    sandbox.write(examples_file, setup + examples)
    run = await _pytest(sandbox, [f"--doctest-glob={SPEC_EXAMPLES_FILE}", examples_file], limits)
    checked = _pytest_result(SPEC_EXAMPLES, run)
    # pytest counts the whole doctest file as one test; the user counts examples.
    count = sum(1 for line in examples.splitlines() if line.lstrip().startswith(">>>"))
    return checked.model_copy(update={"evidence": checked.passed, "count": count})


@dataclass(frozen=True)
class _Run:
    result: SandboxResult
    verdict: Verdict
    duration: float


async def _pytest(
    sandbox: Sandbox,
    arguments: list[str],
    limits: SandboxLimits,
    project_tests: bool = False,
    isolated: bool = True,
) -> _Run:
    started = time.monotonic()
    options, environment = pytest_setup(sandbox, project_tests)
    argv = [sandbox.python, "-m", "pytest", *options, *arguments]
    result, verdict = await run_pytest(sandbox, argv, limits, environment, isolated)
    return _Run(result, verdict, time.monotonic() - started)


def _pytest_result(name: str, run: _Run) -> CheckResult:
    """Passed only when the report says every collected test passed (and pytest agrees)."""
    result, duration = run.result, run.duration
    if run.verdict.ok and result.ok:
        summary = _last_line(result.stdout) or "The tests passed."
        return CheckResult(name=name, passed=True, output=summary, duration_s=duration)
    output = failure_report(result)
    problem = None if result.reason else run.verdict.problem(result.returncode)
    if problem is not None:  # it ended by itself, before every test reported
        output = f"{problem}\n\n{output}" if result.returncode != 0 else problem
    return CheckResult(name=name, passed=False, output=output, duration_s=duration)


def failure_report(result: SandboxResult) -> str:
    """What went wrong, for the model: a headline per failure, then pytest's evidence."""
    parts = [result.reason] if result.reason else []
    headlines = [_headline(line) for line in _summary_lines(result.stdout)]
    parts.extend(headline for headline in headlines if headline)
    section = _failure_section(result.stdout)
    if section:
        parts.append(section)
    elif not headlines:
        parts.append(_raw_tail(result))
    return "\n\n".join(part for part in parts if part)


_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")
_HEADLINE = re.compile(r"^(\S+\.py(?:::\S+)?) (?:failed|could not be run)", re.MULTILINE)


def failed_tests(report: str) -> set[str]:
    """The node ids a `failure_report` names as failed or not run."""
    return set(_HEADLINE.findall(report))


def _summary_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if _SUMMARY.match(line)]


def _headline(line: str) -> str:
    match = _SUMMARY.match(line)
    if match is None:
        return ""
    kind, where, message = match.groups()
    if kind == "ERROR":
        detail = f": {message}" if message else "."
        return f"{where} could not be run (an error while collecting or setting up){detail}"
    if not message:
        return f"{where} failed."
    if message.startswith("assert"):
        message = f"AssertionError: {message}"
    return f"{where} failed with {message}"


_SECTION = re.compile(
    r"^=+ (?:FAILURES|ERRORS) =+$(.*?)(?=^=+ short test summary info =+$|\Z)",
    re.MULTILINE | re.DOTALL,
)


def _failure_section(stdout: str) -> str:
    match = _SECTION.search(stdout)
    if match is None:
        return ""
    section = distil_failures(match.group(1).strip("\n"))
    if len(section) > _SECTION_LIMIT:
        section = "…" + section[-_SECTION_LIMIT:]
    return section


_BLOCK = re.compile(r"^_{3,} .* _{3,}$")
_CAPTURED = re.compile(r"^-{3,} Captured .* -{3,}$")
_LOCATION = re.compile(r"^\S+:\d+: ?(?:in \S+|\w*)$")
_EXAMPLE = re.compile(r"^\d{3} ")
_LINE_LIMIT = 240
_EXPLANATION_LIMIT = 15


def distil_failures(section: str) -> str:
    """What a fix needs from pytest's failure section, and nothing the tests printed.

    Per failure: its title, each frame's place and line, pytest's explanation (``E``, the
    first few lines); for a doctest the failing example with what was expected and what
    came. Captured output is left out: a test (written by the model,
    or the code under test) can print anything there, secrets included.
    """
    kept: list[str] = []
    captured = in_outcome = after_location = False
    example, explained = "", 0
    for line in section.splitlines():
        after_location = bool(kept) and _LOCATION.match(kept[-1]) is not None
        if _BLOCK.match(line):
            captured, in_outcome, explained = False, False, 0
            kept.append(line)
        elif captured or _CAPTURED.match(line):
            captured = True
        elif after_location and line.startswith("    "):
            kept.append(line)  # the frame's line of code (--tb=short)
        elif line.startswith((">", "UNEXPECTED EXCEPTION")) or _LOCATION.match(line):
            if line.startswith("UNEXPECTED") and example:
                kept.append(example)
            kept.append(line)
        elif line == "E" or line.startswith("E "):
            explained += 1
            if explained <= _EXPLANATION_LIMIT:
                kept.append(line)
        elif _EXAMPLE.match(line):
            example = line
        elif line in ("Expected:", "Got:", "Got nothing", "Expected nothing"):
            if line.startswith("Expected") and example:
                kept.append(example)
            in_outcome = True
            kept.append(line)
        elif in_outcome and line.startswith(" "):
            kept.append(line)
        else:
            in_outcome = False
    return "\n".join(line[:_LINE_LIMIT] for line in kept)


def _raw_tail(result: SandboxResult) -> str:
    tails = [text.strip()[-_SECTION_LIMIT // 2 :] for text in (result.stdout, result.stderr)]
    return "\n".join(tail for tail in tails if tail) or (
        f"pytest exited with code {result.returncode} and printed nothing."
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
