"""Validation checks and the pipeline that runs them cheapest first."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from specloop.validate import pipeline, project_copy, supervisor
from specloop.validate.checks import check_static, check_syntax, run_spec_examples, run_tests
from specloop.validate.pipeline import (
    GENERATED_TESTS_FILE,
    ValidationRequest,
    validate,
)
from specloop.validate.project_copy import project_files
from specloop.validate.report import evidence_summary
from specloop.validate.sandbox import Isolation, IsolationLevel, Sandbox, SandboxLimits

LIMITS = SandboxLimits(wall_s=20.0)


def source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box


# ---------------------------------------------------------------- syntax


def test_a_syntax_error_is_reported_with_its_position():
    result = check_syntax(
        source("""
        def f(x):
            return (x +
        """)
    )
    assert result.name == "syntax"
    assert not result.passed
    assert result.output.startswith("Syntax error at line 2, column")
    assert "never closed" in result.output


def test_code_python_refuses_at_compile_time_fails_the_syntax_check():
    result = check_syntax("return 1\n")
    assert not result.passed
    assert "'return' outside function" in result.output


def test_valid_code_passes_the_syntax_check():
    result = check_syntax("def f():\n    return 1\n")
    assert result.passed
    assert result.duration_s >= 0


# ---------------------------------------------------------------- static

ORIGINAL = source("""
    import os


    def unrelated():
        return missing_name


    def area(width, height):
        ...
    """)


def test_introduced_undefined_names_and_unused_imports_are_caught_but_old_problems_are_not():
    new = ORIGINAL.replace("import os\n", "import os\nimport json\n").replace(
        "    ...", "    return width * heigth"
    )
    result = check_static(ORIGINAL, new, "shapes.py")
    assert result.name == "static"
    assert not result.passed
    lines = result.output.splitlines()[1:]
    assert any("F821 Undefined name `heigth`" in line for line in lines)
    assert any("F401 `json` imported but unused" in line for line in lines)
    assert not any("missing_name" in line or "`os`" in line for line in lines)
    assert all(line.split()[0].count(":") == 1 for line in lines)  # "line:col CODE message"


def test_moving_pre_existing_problems_around_is_not_blamed():
    new = "\n\n" + ORIGINAL.replace("    ...", "    return width * height")
    assert check_static(ORIGINAL, new, "shapes.py").passed


def test_an_introduced_redefinition_is_caught():
    new = ORIGINAL + "\n\ndef area(w, h):\n    return w * h\n"
    result = check_static(ORIGINAL, new, "shapes.py")
    assert not result.passed
    assert "F811" in result.output


# ---------------------------------------------------------------- doctests and tests

CALC = source('''
    def add(a, b):
        """Add two numbers.

        >>> add(1, 2)
        3
        """
        return a + b
    ''')


EXAMPLES = """Add two numbers.

>>> add(1, 2)
3
"""


async def test_spec_examples_pass_against_a_correct_candidate(sandbox: Sandbox):
    sandbox.write("calc.py", CALC)
    result = await run_spec_examples(sandbox, "calc.py", "add", EXAMPLES, LIMITS)
    assert result.name == "spec examples"
    assert result.passed, result.output
    assert result.evidence


async def test_spec_examples_run_even_when_the_candidate_dropped_its_docstring(
    sandbox: Sandbox,
):
    sandbox.write("calc.py", "def add(a, b):\n    return a - b\n")
    result = await run_spec_examples(sandbox, "calc.py", "add", EXAMPLES, LIMITS)
    assert not result.passed
    assert "Expected:" in result.output and "Got:" in result.output


async def test_a_failing_test_is_reported_with_its_assertion(sandbox: Sandbox):
    sandbox.write("calc.py", CALC.replace("return a + b", "return a + b + 1"))
    sandbox.write(
        "tests/test_calc.py",
        "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    )
    result = await run_tests(sandbox, ["tests/test_calc.py"], LIMITS, "tests")
    assert result.name == "tests"
    assert not result.passed
    first = result.output.splitlines()[0]
    assert first == "tests/test_calc.py::test_add failed with AssertionError: assert 4 == 3"
    assert "where 4 = add(1, 2)" in result.output


async def test_what_a_failing_test_printed_is_not_reported_only_its_assertion(sandbox: Sandbox):
    """The output goes back to the model and into the record: a test that prints what it
    found (a secret, encoded any way it likes) gets nothing through; the fix needs the
    failing line, pytest's explanation and where."""
    sandbox.write("calc.py", CALC.replace("return a + b", "return a + b + 1"))
    sandbox.write(
        "tests/test_calc.py",
        "import base64, sys\nfrom calc import add\n\ndef test_add():\n"
        "    print(base64.b64encode(b'found-it').decode(), 'found-it'[::-1])\n"
        "    print('found-it', file=sys.stderr)\n"
        "    assert add(1, 2) == 3\n",
    )
    result = await run_tests(sandbox, ["tests/test_calc.py"], LIMITS, "tests")
    assert not result.passed
    assert "found-it" not in result.output
    assert "Zm91bmQtaXQ=" not in result.output and "ti-dnuof" not in result.output
    assert "tests/test_calc.py:7: in test_add\n    assert add(1, 2) == 3" in result.output
    assert "E   assert 4 == 3\nE    +  where 4 = add(1, 2)" in result.output


async def test_a_test_module_that_cannot_be_imported_is_a_failure(sandbox: Sandbox):
    sandbox.write("test_broken.py", "import calc_that_does_not_exist\n")
    result = await run_tests(sandbox, ["test_broken.py"], LIMITS, "tests")
    assert not result.passed
    assert "No module named 'calc_that_does_not_exist'" in result.output


async def test_a_test_that_hangs_fails_with_the_limit_it_hit(sandbox: Sandbox):
    sandbox.write("test_slow.py", "import time\n\ndef test_slow():\n    time.sleep(30)\n")
    result = await run_tests(sandbox, ["test_slow.py"], SandboxLimits(wall_s=2.0), "tests")
    assert not result.passed
    assert result.output.startswith("It ran past the 2 s wall-clock limit")


# ---------------------------------------------------------------- the pipeline

TESTS = source("""
    from calc import add


    def test_add():
        assert add(2, 2) == 4
    """)
GENERATED = "from calc import add\n\ndef test_spec():\n    assert add(-1, 1) == 0\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "calc.py").write_text(CALC.replace("return a + b", "...") + "\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)
    (tmp_path / "tests" / "data.json").write_text("{}")
    return tmp_path


def request_for(project: Path, new_source: str, **changes: object) -> ValidationRequest:
    fields: dict[str, object] = {
        "project_root": project,
        "module_path": "calc.py",
        "original_source": (project / "calc.py").read_text(),
        "new_source": new_source,
        "symbol": "add",
        "spec_examples": EXAMPLES,
        "test_files": ["tests/test_calc.py"],
        "generated_tests": GENERATED,
        "limits": LIMITS,
    }
    fields.update(changes)
    return ValidationRequest(**fields)  # type: ignore[arg-type]


def outcome(report) -> list[tuple[str, bool]]:
    return [(check.name, check.passed) for check in report.checks]


async def test_a_good_candidate_passes_every_check_in_order(project: Path):
    report = await validate(request_for(project, CALC))
    assert outcome(report) == [
        ("syntax", True),
        ("static", True),
        ("reach", True),
        ("spec examples", True),
        ("tests", True),
        ("generated tests", True),
    ]
    assert report.passed
    assert report.checks[-1].evidence, "the spec tests fail on the stub, so they count"
    assert all(check.duration_s > 0 for check in report.checks)


async def test_the_pipeline_stops_at_a_syntax_error(project: Path):
    report = await validate(request_for(project, "def add(a, b:\n"))
    assert outcome(report) == [("syntax", False)]


async def test_the_pipeline_stops_at_an_introduced_problem(project: Path):
    report = await validate(request_for(project, CALC.replace("a + b", "a + c")))
    assert outcome(report) == [("syntax", True), ("static", False)]
    assert "Undefined name `c`" in report.checks[-1].output


async def test_the_pipeline_stops_at_failing_spec_examples(project: Path):
    wrong = CALC.replace("return a + b", "return a * b")
    report = await validate(request_for(project, wrong))
    assert outcome(report) == [
        ("syntax", True),
        ("static", True),
        ("reach", True),
        ("spec examples", False),
    ]


async def test_spec_tests_that_pass_on_the_old_code_are_not_evidence(project: Path):
    vacuous = "def test_nothing():\n    assert True\n"
    request = request_for(project, CALC, spec_examples=None, test_files=[], generated_tests=vacuous)
    report = await validate(request)
    assert report.all_checks_passed
    assert not report.has_evidence
    assert not report.passed, "nothing exercised the new code, so it is not validated"
    assert "not counted as evidence" in report.checks[-1].output


async def test_spec_tests_that_cannot_be_collected_are_not_counted(project: Path):
    broken = "import no_such_module_anywhere\n\ndef test_x():\n    assert True\n"
    request = request_for(project, CALC, spec_examples=None, generated_tests=broken)
    report = await validate(request)
    assert report.checks[-1].name == "generated tests"
    assert report.checks[-1].passed and not report.checks[-1].evidence
    assert report.passed, "the existing tests still exercised the code"


async def test_syntax_and_static_checks_alone_never_validate(project: Path):
    request = request_for(project, CALC, spec_examples=None, test_files=[], generated_tests=None)
    report = await validate(request)
    assert outcome(report) == [("syntax", True), ("static", True), ("reach", True)]
    assert not report.passed


async def test_generated_tests_run_last_and_can_fail_alone(project: Path):
    wrong = CALC.replace("return a + b", "return a * b")  # 2 * 2 == 2 + 2: old test passes
    report = await validate(request_for(project, wrong, spec_examples=None))
    assert outcome(report) == [
        ("syntax", True),
        ("static", True),
        ("reach", True),
        ("tests", True),
        ("generated tests", False),
    ]
    assert "assert -1 == 0" in report.checks[-1].output
    assert report.first_failure() is report.checks[-1]


async def test_existing_test_failures_stop_before_the_generated_tests(project: Path):
    wrong = CALC.replace("return a + b", "return a - b")
    report = await validate(request_for(project, wrong, spec_examples=None))
    assert outcome(report) == [
        ("syntax", True),
        ("static", True),
        ("reach", True),
        ("tests", False),
    ]
    assert "assert 0 == 4" in report.checks[-1].output


def test_project_files_skip_environments_and_keep_test_data(project: Path):
    for folder in (".git", ".venv", "node_modules", "env_like"):
        (project / folder).mkdir()
        (project / folder / "junk.py").write_text("")
    (project / "env_like" / "pyvenv.cfg").write_text("")
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (project / "notes.txt").write_text("not needed")
    files = project_files(project, "calc.py", ["tests/test_calc.py"])
    assert sorted(files) == ["calc.py", "pyproject.toml", "tests/data.json", "tests/test_calc.py"]


def test_project_files_put_what_the_run_needs_first_under_the_cap(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    for index in range(5):
        (project / f"a{index}.py").write_text("")
    monkeypatch.setattr(project_copy, "MAX_FILES", 3)
    files = project_files(project, "calc.py", ["tests/test_calc.py"])
    assert files[:2] == ["calc.py", "tests/test_calc.py"]
    assert len(files) == 3


def test_generated_tests_sit_next_to_the_module():
    assert pipeline._generated_tests_path("pkg/calc.py") == f"pkg/{GENERATED_TESTS_FILE}"


async def test_without_the_namespace_sandbox_generated_code_is_not_run(project: Path):
    report = await validate(request_for(project, CALC, isolation=Isolation()))
    assert outcome(report) == [
        ("syntax", True),
        ("static", True),
        ("reach", True),
        ("sandbox", False),
    ]
    not_run = report.not_run
    assert not_run is not None and not not_run.ran
    assert "Generated code was not run" in not_run.output
    assert not report.passed and report.isolation == ""
    assert evidence_summary(report).endswith("sandbox NOT RUN")


async def test_accepted_weaker_isolation_runs_and_the_evidence_says_so(project: Path):
    landlock = Isolation(IsolationLevel.LANDLOCK, landlock_abi=supervisor.landlock_abi())
    report = await validate(request_for(project, CALC, isolation=landlock, allow_unisolated=True))
    assert report.passed
    assert report.isolation == "landlock"
    assert evidence_summary(report).endswith("generated code ran with weaker isolation (landlock)")


async def test_unsaved_buffers_replace_the_files_on_disk_in_the_sandbox(project: Path):
    failing = TESTS.replace(
        "def test_", "def test_unsaved_fails():\n    assert False\n\n\ndef test_", 1
    )
    report = await validate(
        request_for(project, CALC, open_buffers={"tests/test_calc.py": failing})
    )
    assert outcome(report)[-1] == ("tests", False)
    assert "test_unsaved_fails" in report.checks[-1].output


MODULE_TESTS = source("""
    import calc


    def test_the_stub_is_still_a_stub():
        assert calc.add(1, 1) is None


    def test_an_unrelated_helper():
        assert calc.HELPER == 1
    """)


async def test_a_module_test_that_passed_before_and_fails_now_is_a_regression(project: Path):
    (project / "calc.py").write_text(CALC.replace("return a + b", "...") + "\nHELPER = 1\n")
    (project / "tests" / "test_module.py").write_text(MODULE_TESTS)
    request = request_for(
        project,
        CALC + "\nHELPER = 1\n",
        regression_tests=["tests/test_module.py"],
        generated_tests=None,
    )
    report = await validate(request)
    assert outcome(report)[-1] == ("regression tests", False)
    assert "test_the_stub_is_still_a_stub" in report.checks[-1].output


async def test_a_module_test_that_failed_before_too_is_not_the_change_s_fault(project: Path):
    (project / "calc.py").write_text(CALC.replace("return a + b", "...") + "\nHELPER = 2\n")
    (project / "tests" / "test_module.py").write_text(MODULE_TESTS.replace("is None", "== 2"))
    request = request_for(
        project,
        CALC + "\nHELPER = 2\n",
        regression_tests=["tests/test_module.py"],
        generated_tests=None,
    )
    report = await validate(request)
    assert outcome(report)[-1] == ("regression tests", True)
    assert "fail before the change too" in report.checks[-1].output
    assert "test_an_unrelated_helper" in report.checks[-1].output
    assert report.passed, "the spec examples and the symbol's tests are the evidence"
