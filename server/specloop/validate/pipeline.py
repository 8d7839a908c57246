"""The validation pipeline: the checks in order, cheapest first, stopping at the first failure.

syntax -> static -> the spec's examples (if it has doctests; run against the new code
even if the candidate dropped them) -> existing tests that mention the symbol (if
any) -> the module's other tests (none that passed before may fail) -> tests
generated from the spec (if any; they count as evidence only if they
fail on the code before the change, and — when ``judge_mutants`` asks for it, for the
accepted candidate — only the tests that kill some mutant of the new code,
`validate/mutation.py`). A report validates only if some check
actually exercised the new code (see ``ValidationReport.passed``). The first
two only read the source; the rest run in one `Sandbox` holding a copy of the
project with the candidate module in place.

What the sandboxes hold of the project, and how: `validate/project_copy.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from specloop.analysis.modules import import_name
from specloop.refactor.codemod import stand_in
from specloop.validate.checks import (
    check_static,
    check_syntax,
    failed_tests,
    run_spec_examples,
    run_tests,
    run_tests_with_status,
)
from specloop.validate.environment import PythonEnvironment
from specloop.validate.harness import (
    Harness,
    framework_environment,
    install,
    place,
    start_subject,
)
from specloop.validate.mutation import judge_tests
from specloop.validate.project_copy import ProjectCopy, run_copy
from specloop.validate.project_copy import relative_path as _relative
from specloop.validate.reach import check_reach
from specloop.validate.report import (
    EXISTING_TESTS,
    GENERATED_TESTS,
    REACH,
    REGRESSION_TESTS,
    SANDBOX,
    SPEC_EXAMPLES,
    STATIC,
    SYNTAX,
    CheckResult,
    MutationJudgement,
    ValidationReport,
)
from specloop.validate.sandbox import (
    Isolation,
    Sandbox,
    SandboxLimits,
    detect_isolation,
    refusal,
)

log = logging.getLogger(__name__)

GENERATED_TESTS_FILE = "test_specloop_generated.py"
_COLLECTION_ERROR = 2  # pytest's exit status when test files fail to import


@dataclass(frozen=True)
class ValidationRequest:
    project_root: Path
    module_path: str
    """Relative to ``project_root`` (an absolute path inside it is accepted too)."""
    original_source: str
    new_source: str
    symbol: str
    spec_examples: str | None
    """The spec's doctest examples (its original docstring), run against the new code."""
    test_files: list[str]
    """Relative paths of existing tests that mention the symbol: they must pass."""
    generated_tests: str | None
    """pytest code written from the spec; placed next to the module as GENERATED_TESTS_FILE."""
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    regression_tests: list[str] = field(default_factory=list)
    """The module's other test files: none of their tests that passed before may fail."""
    open_buffers: Mapping[str, str] = field(default_factory=dict)
    """Relative path -> text of the editor's unsaved buffers: the sandbox's copy of the
    project holds these instead of the files on disk, so the tests see what the user sees."""
    allow_unisolated: bool = False
    """Run generated code even without the namespace sandbox (the weaker level is reported)."""
    isolation: Isolation | None = None
    """The isolation to use; None: what this machine offers (`detect_isolation`)."""
    environment: PythonEnvironment | None = None
    """The project's Python environment (`validate/environment.py`); None: specloop's own."""
    files: ProjectCopy | None = None
    """The run's copy of the project (`project_copy`); None: each sandbox copies it afresh."""
    judge_mutants: bool = False
    """Judge counted spec tests by the mutants of the new code they kill (`validate/mutation.py`):
    done for the accepted candidate only, it takes a test run per mutant."""


async def validate(
    request: ValidationRequest, on_check: Callable[[str], None] = lambda name: None
) -> ValidationReport:
    """Run the checks in order and stop at the first failure; ``on_check`` hears each start."""
    report = ValidationReport()
    module = _relative(request.project_root, request.module_path)
    python = _version(request)
    on_check(SYNTAX)
    report.checks.append(check_syntax(request.new_source, module, python))
    if not report.checks[-1].passed:
        return report
    on_check(STATIC)
    static = await asyncio.to_thread(
        check_static, request.original_source, request.new_source, module, python
    )
    report.checks.append(static)
    if not static.passed:
        return report
    on_check(REACH)
    reach = check_reach(request.original_source, request.new_source, request.symbol)
    report.checks.append(reach)
    if not reach.passed:
        return report
    steps = list(_sandboxed_steps(request, module))
    if not steps:
        return report
    isolation = await _isolation(request)
    refused = refusal(isolation, request.allow_unisolated)
    if refused is not None:
        report.checks.append(CheckResult(name=SANDBOX, passed=False, ran=False, output=refused))
        return report
    report.isolation = isolation.level.value
    async with contextlib.AsyncExitStack() as stack:
        sandbox = await _bench(stack, isolation, request, module)
        assert sandbox.harness is not None
        report.isolation_description = f"{isolation.describe()} {sandbox.harness.describe()}."
        report.environment = sandbox.environment.describe(request.project_root)
        for name, step in steps:
            on_check(name)
            result = await step(sandbox, report)
            report.checks.append(result)
            if not result.passed:
                break
    return report


async def judge_validated(
    request: ValidationRequest,
    report: ValidationReport,
    on_check: Callable[[str], None] = lambda name: None,
) -> ValidationReport:
    """``report``, of this very code, with its spec tests judged by the mutants they kill.

    Every other check already ran on ``request.new_source`` and would say the same
    again: only the mutants are new, so only they run; and not even they when another
    check already counts (`unjudged`).
    """
    judged_report = report.model_copy(deep=True)
    checks = judged_report.checks
    counted = next(
        (i for i, check in enumerate(checks) if check.name == GENERATED_TESTS and check.evidence),
        None,
    )
    if counted is None or request.generated_tests is None:
        return judged_report
    if any(check.passed and check.evidence for check in checks if check is not checks[counted]):
        checks[counted] = unjudged(checks[counted])
        return judged_report
    isolation = await _isolation(request)
    if refusal(isolation, request.allow_unisolated) is not None:
        return judged_report  # cannot happen for a report that ran: it was not refused then
    module = _relative(request.project_root, request.module_path)
    on_check(GENERATED_TESTS)
    async with contextlib.AsyncExitStack() as stack:
        sandbox = await _bench(stack, isolation, request, module)
        checks[counted] = await _judged_by_mutants(sandbox, request, module, checks[counted])
    return judged_report


async def _bench(
    stack: contextlib.AsyncExitStack, isolation: Isolation, request: ValidationRequest, module: str
) -> Sandbox:
    """The checker's sandbox, filled, with its harness: the subject's sandbox when the
    target can be stood in for (`harness.py`), holding the project without its tests.

    The subject's process starts first: it boots while the sandboxes are filled.
    """
    environment = request.environment
    sandbox = await stack.enter_async_context(Sandbox(isolation, environment))
    stand = await asyncio.to_thread(stand_in, request.original_source, request.symbol)
    process = None
    name = import_name(request.project_root, module)
    if stand is not None:
        subject = await stack.enter_async_context(Sandbox(isolation, environment))
        framework = framework_environment(request.project_root)
        process = await start_subject(subject, name, framework, request.limits)
        stack.push_async_callback(process.close)
        await asyncio.to_thread(_project(request).fill, subject, module, [], True)
    await asyncio.to_thread(_fill, sandbox, request, module)
    harness = Harness(
        module=module,
        import_name=name,
        target=request.symbol,
        stand_in=stand,
        candidate=request.new_source,
        process=process,
    )
    install(sandbox, harness)
    return sandbox


async def _isolation(request: ValidationRequest) -> Isolation:
    if request.isolation is not None:
        return request.isolation
    return await asyncio.to_thread(detect_isolation)


def _version(request: ValidationRequest) -> tuple[int, int] | None:
    environment = request.environment
    return None if environment is None else (environment.version[0], environment.version[1])


_Step = tuple[str, Callable[[Sandbox, ValidationReport], Awaitable[CheckResult]]]
"""A check that runs in the sandbox, with the report of the checks before it."""


def _sandboxed_steps(request: ValidationRequest, module: str) -> Iterator[_Step]:
    limits = request.limits
    examples = request.spec_examples
    if examples:
        yield (
            SPEC_EXAMPLES,
            lambda sandbox, _: run_spec_examples(sandbox, module, request.symbol, examples, limits),
        )
    tests = [_relative(request.project_root, path) for path in request.test_files]
    if tests:
        yield (
            EXISTING_TESTS,
            lambda sandbox, _: _run_existing_tests(sandbox, request, module, tests),
        )
    others = [_relative(request.project_root, path) for path in request.regression_tests]
    others = [path for path in others if path not in tests]
    if others:
        yield (
            REGRESSION_TESTS,
            lambda sandbox, _: _run_regression_tests(sandbox, request, module, others),
        )
    if request.generated_tests is not None:
        yield (
            GENERATED_TESTS,
            lambda sandbox, so_far: _run_generated_tests(
                sandbox, request, module, judge=request.judge_mutants and not so_far.has_evidence
            ),
        )


async def _run_existing_tests(
    sandbox: Sandbox, request: ValidationRequest, module: str, tests: list[str]
) -> CheckResult:
    """The tests that exercise the symbol: evidence when they pass on the new code.

    They run with the code under test in its own process first; that is evidence. A
    test file that cannot even be collected (it imports something the environment
    lacks) blocks nothing when it could not be collected before the change either: it
    is named as such. A test that passes only with the code in the test process itself
    (it configures or mocks what the code uses) guards the change but is not evidence.
    """
    limits = request.limits

    async def run(files: list[str], isolated: bool = True) -> CheckResult:
        return await run_tests(
            sandbox, files, limits, EXISTING_TESTS, False, project_tests=True, isolated=isolated
        )

    on_new = await run(tests)
    if on_new.passed:
        return on_new
    notes: list[str] = []
    uncollected = {name for name in failed_tests(on_new.output) if "::" not in name}
    if uncollected:
        on_old = await _on_old_code(sandbox, request, module, sorted(uncollected), EXISTING_TESTS)
        if failed_tests(on_old.output) != uncollected:
            return on_new  # the change itself keeps them from being collected
        notes.append(_not_collected_either(on_new.output, uncollected))
        tests = [test for test in tests if test not in uncollected]
        if not tests:
            return on_new.model_copy(
                update={"passed": True, "evidence": False, "count": 0, "output": notes[0]}
            )
        on_new = await run(tests)
    if not on_new.passed and sandbox.harness is not None and sandbox.harness.isolated:
        in_process = await run(tests, isolated=False)
        if in_process.passed:
            notes.insert(
                0,
                "These tests pass only with the new code in the test process itself (they "
                "set up, configure or mock what it uses), so they guard the change but are "
                "not counted as evidence. With the code in a process of its own they said:\n"
                + on_new.output,
            )
            on_new = in_process.model_copy(update={"evidence": False})
    return on_new.model_copy(update={"output": "\n".join([on_new.output, *notes]).strip()})


async def _run_regression_tests(
    sandbox: Sandbox, request: ValidationRequest, module: str, tests: list[str]
) -> CheckResult:
    """The module's other tests: only a test that passed before the change and fails now counts.

    Other functions of the module may still be stubs whose tests fail either way, and a
    test file may not be collectable in this environment at all (it imports what is not
    installed); neither is something the change broke, and both are named.
    """
    limits = request.limits
    on_new = await run_tests(
        sandbox, tests, limits, REGRESSION_TESTS, stop_at_first=False, project_tests=True
    )
    if on_new.passed:
        return on_new.model_copy(update={"evidence": False})
    on_old = await _on_old_code(sandbox, request, module, tests, REGRESSION_TESTS)
    failed = failed_tests(on_new.output)
    broken = failed - failed_tests(on_old.output)
    if broken or not failed:  # unreadable failures count as broken
        return on_new.model_copy(update={"evidence": False})
    uncollected = {name for name in failed if "::" not in name}
    failing = sorted(failed - uncollected)
    notes = []
    if failing:
        notes.append(
            "These tests of the module fail before the change too, so the change did not "
            "break them: " + ", ".join(failing)
        )
    if uncollected:
        notes.append(_not_collected_either(on_new.output, uncollected))
    return on_new.model_copy(update={"passed": True, "evidence": False, "output": "\n".join(notes)})


async def _on_old_code(
    sandbox: Sandbox, request: ValidationRequest, module: str, tests: list[str], name: str
) -> CheckResult:
    """``tests`` run on the code before the change (the sandbox is left with the new code)."""
    place(sandbox, request.original_source)
    try:
        return await run_tests(
            sandbox, tests, request.limits, name, stop_at_first=False, project_tests=True
        )
    finally:
        place(sandbox, request.new_source)


def _not_collected_either(output: str, files: set[str]) -> str:
    """``tests/x.py could not run before the change either: ModuleNotFoundError ...``."""
    return (
        "; ".join(
            f"{name} could not run before the change either: {_collection_error(output, name)}"
            for name in sorted(files)
        )
        + " (not counted, not blocking)."
    )


_RAISED = re.compile(r"^E\s+(\w+(?:Error|Exception)\b.*)$", re.MULTILINE)


def _collection_error(output: str, name: str) -> str:
    """The exception pytest showed for collecting ``name`` (its ERRORS section)."""
    _, found, after = output.partition(f"ERROR collecting {name}")
    raised = _RAISED.search(after) if found else None
    return raised.group(1).strip() if raised else "an error while collecting it"


async def _run_generated_tests(
    sandbox: Sandbox, request: ValidationRequest, module: str, judge: bool
) -> CheckResult:
    """Spec tests count as evidence only if they fail on the code before the change, and,
    when ``judge``, only as far as they kill mutants of the new code; when
    ``request.judge_mutants`` asks for a judgement that other evidence makes moot
    (``judge`` False), they are not judged and not counted (`unjudged`)."""
    path, limits = _generated_tests_path(module), request.limits
    on_new, status = await run_tests_with_status(sandbox, [path], limits, GENERATED_TESTS)
    if status == _COLLECTION_ERROR:
        return on_new.model_copy(
            update={
                "passed": True,
                "evidence": False,
                "output": "The tests written from the spec could not be collected, so they "
                "were not counted:\n" + on_new.output,
            }
        )
    if not on_new.evidence:
        return on_new
    place(sandbox, request.original_source)
    try:
        on_old = await run_tests(sandbox, [path], limits, GENERATED_TESTS)
    finally:
        place(sandbox, request.new_source)
    if on_old.passed:
        return on_new.model_copy(
            update={
                "evidence": False,
                "output": "These tests, written from the spec alone, also pass on the code "
                "before the change, so they show nothing about it; not counted as evidence.",
            }
        )
    if judge:
        return await _judged_by_mutants(sandbox, request, module, on_new)
    return unjudged(on_new) if request.judge_mutants else on_new


async def _judged_by_mutants(
    sandbox: Sandbox, request: ValidationRequest, module: str, check: CheckResult
) -> CheckResult:
    """``check`` (the spec tests, passed on the new code) judged by the mutants they kill."""
    judgement = await judge_tests(
        sandbox, module, request.new_source, request.symbol, _generated_tests_path(module),
        request.generated_tests or "", request.limits,
    )  # fmt: skip
    return judged(check, judgement)


def unjudged(check: CheckResult) -> CheckResult:
    """Spec tests left unjudged, as the other checks already count: judging them by their
    mutants (a test run per mutant) could not change the verdict, so it is skipped, and
    tests no mutant has judged do not count."""
    note = (
        "The other checks already count as evidence, so these tests were not judged by the "
        "mutants they kill (it could not change the verdict) and are not counted."
    )
    return check.model_copy(update={"evidence": False, "output": note})


def judged(check: CheckResult, judgement: MutationJudgement) -> CheckResult:
    """Spec tests count only as far as they kill mutants of the new code."""
    if judgement.mutants == 0:
        note = "No mutant of the new code could be made, so the tests were not judged."
        return check.model_copy(update={"mutation": judgement, "output": note})
    idle = judgement.idle_tests
    said = f"The spec tests kill {judgement.score} mutants of the new code."
    if idle:
        said += f" Not counted, as they kill none: {', '.join(idle)}."
    if judgement.survivors:
        said += f" Mutants no test noticed: {'; '.join(judgement.survivors[:5])}."
    counted = judgement.counted_tests
    return check.model_copy(
        update={
            "mutation": judgement,
            "evidence": counted > 0,
            "count": counted if judgement.kills else check.count,
            "output": said,
        }
    )


def _generated_tests_path(module: str) -> str:
    return str(PurePosixPath(module).parent / GENERATED_TESTS_FILE)


# ---------------------------------------------------------------- filling the sandbox


def _fill(sandbox: Sandbox, request: ValidationRequest, module: str) -> None:
    tests = [_relative(request.project_root, path) for path in request.test_files]
    _project(request).fill(sandbox, module, tests)
    if request.generated_tests is not None:
        sandbox.write(_generated_tests_path(module), request.generated_tests)


def _project(request: ValidationRequest) -> ProjectCopy:
    return run_copy(request.files, request.project_root, request.open_buffers)
