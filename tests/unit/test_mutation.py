"""The mutation judge: the mutants it makes, and tests judged by what they kill (in the sandbox)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from specloop.validate import mutation
from specloop.validate.mutation import judge_tests, mutants, named_tests
from specloop.validate.pipeline import ValidationRequest, judge_validated, validate
from specloop.validate.report import GENERATED_TESTS, evidence_summary
from specloop.validate.sandbox import Sandbox, SandboxLimits

GRADE = """\
def grade(score: int, cap: int) -> str:
    if score < 0:
        raise ValueError("negative")
    if score >= 90:
        return "A"
    return "B" if min(score, cap) + 1 > 50 else "C"
"""


def test_every_kind_of_mutation_is_made_once_per_site():
    made = {mutant.description for mutant in mutants(GRADE, "grade")}
    assert "line 2: < -> <=" in made and "line 4: >= -> >" in made
    assert "line 2: 0 -> 1" in made and "line 2: 0 -> -1" in made
    assert "line 6: + -> -" in made
    assert "line 4: if-branch dropped" in made
    assert "line 3: raise removed" in made
    assert "line 6: first two arguments swapped" in made
    for mutant in mutants(GRADE, "grade"):
        compile(mutant.source, "<mutant>", "exec")


def test_only_the_named_symbol_is_mutated():
    module = GRADE + "\n\ndef other(x):\n    return x + 1\n"
    assert all("other(x):\n    return x + 1" in m.source for m in mutants(module, "grade"))
    assert mutants(module, "missing") == []


def test_test_names_include_classes():
    code = "def test_a():\n    pass\n\nclass TestB:\n    def test_c(self):\n        pass\n"
    assert named_tests(code) == ["test_a", "TestB::test_c"]


JUDGED_TESTS = """\
import pytest

from grades import grade


def test_rejects_negative_scores():
    with pytest.raises(ValueError):
        grade(-1, 100)


def test_returns_a_string():
    assert isinstance(grade(95, 100), str)
"""


def grade_request(project: Path, judge_mutants: bool) -> ValidationRequest:
    """`GRADE` replacing a stub in ``project``, with `JUDGED_TESTS` written from its spec."""
    stub = "def grade(score: int, cap: int) -> str:\n    raise NotImplementedError\n"
    (project / "grades.py").write_text(stub)
    return ValidationRequest(
        project_root=project,
        module_path="grades.py",
        original_source=stub,
        new_source=GRADE,
        symbol="grade",
        spec_examples=None,
        test_files=[],
        generated_tests=JUDGED_TESTS,
        limits=SandboxLimits(wall_s=20.0),
        judge_mutants=judge_mutants,
    )


async def test_spec_tests_count_only_as_far_as_they_kill_mutants(tmp_path: Path):
    request = grade_request(tmp_path, judge_mutants=True)
    report = await validate(request)
    check = report.checks[-1]
    assert check.name == GENERATED_TESTS and check.passed
    judgement = check.mutation
    assert judgement is not None and judgement.mutants == 12 and judgement.made > 12
    assert judgement.kills["test_rejects_negative_scores"] >= 2
    assert judgement.idle_tests == ["test_returns_a_string"]
    assert check.evidence and check.count == 1
    assert f"kills {judgement.killed} of 12 mutants" in evidence_summary(report)
    assert "test_returns_a_string" in check.output

    idle_only = JUDGED_TESTS.replace("def test_rejects", "def _not_a_test")
    report = await validate(ValidationRequest(**{**request.__dict__, "generated_tests": idle_only}))
    check = report.checks[-1]
    assert check.passed and not check.evidence and not report.passed
    assert "kill none of" in evidence_summary(report)


async def test_mutants_judged_side_by_side_give_what_one_worker_gives(tmp_path: Path):
    """Each worker has its own copy of the sandbox: the judgement does not depend on how many."""
    (tmp_path / "grades.py").write_text(GRADE)
    judgements = []
    for workers in (1, 3):
        async with Sandbox() as sandbox:
            sandbox.copy_in(tmp_path, ["grades.py"])
            sandbox.write("test_grades.py", JUDGED_TESTS)
            judgements.append(
                await judge_tests(
                    sandbox,
                    "grades.py",
                    GRADE,
                    "grade",
                    "test_grades.py",
                    JUDGED_TESTS,
                    SandboxLimits(wall_s=20.0),
                    workers=workers,
                )
            )
            assert (sandbox.path / "grades.py").read_text() == GRADE, "the sandbox was left changed"
    one, several = judgements
    assert one == several
    assert one.mutants == 12 and one.killed >= 2 and one.survivors


async def test_judging_a_validated_report_equals_validating_again_with_mutants(tmp_path: Path):
    request = grade_request(tmp_path, judge_mutants=False)
    unjudged = await validate(request)
    assert unjudged.checks[-1].mutation is None
    judged = await judge_validated(request, unjudged)
    again = await validate(replace(request, judge_mutants=True))
    assert judged.checks[-1].mutation == again.checks[-1].mutation
    assert [c.model_dump(exclude={"duration_s"}) for c in judged.checks[-1:]] == [
        c.model_dump(exclude={"duration_s"}) for c in again.checks[-1:]
    ]
    assert unjudged.checks[-1].mutation is None, "the report judged was changed in place"


async def test_a_mutant_run_that_fails_raises_its_own_error_and_leaves_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Fault injection: the error a run raises reaches the caller as itself, not grouped."""

    async def broken_run(*args: object, **kwargs: object) -> None:
        raise OSError("the sandbox could not start")

    monkeypatch.setattr(mutation, "run_tests", broken_run)
    async with Sandbox() as sandbox:
        sandbox.write("grades.py", GRADE)
        sandbox.write("test_grades.py", JUDGED_TESTS)
        with pytest.raises(OSError, match="could not start"):
            await judge_tests(
                sandbox, "grades.py", GRADE, "grade", "test_grades.py", JUDGED_TESTS,
                SandboxLimits(wall_s=20.0), workers=2,
            )  # fmt: skip
        assert (sandbox.path / "grades.py").read_text() == GRADE


COUNT_TO = (
    "def count_to(n: int) -> int:\n    i = 0\n    while i < n:\n        i += 1\n    return i\n"
)
COUNT_TO_TESTS = (
    "from counting import count_to\n\n\ndef test_three():\n    assert count_to(3) == 3\n\n\n"
    "def test_zero():\n    assert count_to(0) == 0\n"
)


async def test_a_mutant_whose_tests_never_finish_is_killed(tmp_path: Path):
    """`i -= 1` and `i += 0` loop forever: the run is stopped, no test reports a failure,
    and the mutant is still killed — wrong code the tests did not let through."""
    (tmp_path / "counting.py").write_text(COUNT_TO)
    async with Sandbox() as sandbox:
        sandbox.copy_in(tmp_path, ["counting.py"])
        sandbox.write("test_counting.py", COUNT_TO_TESTS)
        judgement = await judge_tests(
            sandbox,
            "counting.py",
            COUNT_TO,
            "count_to",
            "test_counting.py",
            COUNT_TO_TESTS,
            SandboxLimits(wall_s=4.0, cpu_s=4),
        )
    assert judgement.mutants == 6
    assert judgement.survivors == ["line 2: 0 -> -1"]
    assert judgement.killed == 5
