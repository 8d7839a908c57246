"""One run's copy of the project: chosen and copied once, linked into each isolated sandbox."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from specloop.validate.project_copy import ProjectCopy, _store_of
from specloop.validate.sandbox import (
    FOLDER_PREFIX,
    Isolation,
    IsolationLevel,
    Sandbox,
    _sweep_stale_folders,
    finish_removals,
)
from tests.support.file_times import age

CAPTURE: dict[str, Any] = {"capture_output": True, "text": True, "check": True}

ISOLATED = Isolation(IsolationLevel.NAMESPACES)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "pkg" / "util.py").write_text("HELPER = 1\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text("from pkg.calc import add\n")
    (root / ".env").write_text("TOKEN=secret\n")
    return root


def test_isolated_sandboxes_share_one_copy_of_each_file(project: Path):
    files = ProjectCopy(project, {})
    with Sandbox(ISOLATED) as first, Sandbox(ISOLATED) as second:
        files.fill(first, "pkg/calc.py", ["tests/test_calc.py"])
        (project / "pkg" / "util.py").write_text("HELPER = 2\n")  # read once per run
        files.fill(second, "pkg/calc.py", ["tests/test_calc.py"])
        one, other = first.path / "pkg" / "util.py", second.path / "pkg" / "util.py"
        assert one.stat().st_ino == other.stat().st_ino
        assert other.read_text() == "HELPER = 1\n"
        assert not (first.path / "pkg" / "calc.py").exists()  # the candidate's, written later
        assert not (first.path / ".env").exists()
        first.write("pkg/util.py", "HELPER = 'changed'\n")  # never through the link
        assert other.read_text() == "HELPER = 1\n"
        assert other.stat().st_nlink == 3  # the process's copy, the run's link and this one
        files.close()
        finish_removals()
        assert other.stat().st_nlink == 2  # the run's links are gone


def test_runs_share_the_copy_of_an_unchanged_file_and_copy_a_changed_one_anew(project: Path):
    first_run, second_run = ProjectCopy(project, {}), ProjectCopy(project, {})
    with Sandbox(ISOLATED) as first, Sandbox(ISOLATED) as second, Sandbox(ISOLATED) as third:
        first_run.fill(first, "pkg/calc.py", [])
        second_run.fill(second, "pkg/calc.py", [])
        util, init = Path("pkg/util.py"), Path("pkg/__init__.py")
        assert (first.path / util).stat().st_ino == (second.path / util).stat().st_ino
        (project / util).write_text("HELPER = 2\n")
        third_run = ProjectCopy(project, {})
        third_run.fill(third, "pkg/calc.py", [])
        assert (third.path / util).read_text() == "HELPER = 2\n"
        assert (first.path / util).read_text() == "HELPER = 1\n"  # a run keeps what it took
        assert (third.path / init).stat().st_ino == (first.path / init).stat().st_ino
        for run in (first_run, second_run, third_run):
            run.close()


def test_the_next_run_sees_files_added_and_leaves_out_files_grown_past_the_cap(project: Path):
    age(project)
    first_run = ProjectCopy(project, {})
    with Sandbox(ISOLATED) as first:
        first_run.fill(first, "pkg/calc.py", [])
    (project / "pkg" / "added.py").write_text("ADDED = 1\n")
    with Sandbox(ISOLATED) as second:
        ProjectCopy(project, {}).fill(second, "pkg/calc.py", [])
        assert (second.path / "pkg" / "added.py").read_text() == "ADDED = 1\n"
    age(project)
    with Sandbox(ISOLATED) as third:
        ProjectCopy(project, {}).fill(third, "pkg/calc.py", [])  # the listing is kept
    # Growing a file touches no folder: the kept listing names it, the copy leaves it out.
    (project / "pkg" / "added.py").write_text("X = 1\n" * 200_000)  # over the 1 MB cap
    with Sandbox(ISOLATED) as fourth, Sandbox(Isolation()) as unisolated:
        for sandbox in (fourth, unisolated):  # linked from the run's copies, or copied
            ProjectCopy(project, {}).fill(sandbox, "pkg/calc.py", [])
            assert not (sandbox.path / "pkg" / "added.py").exists()
            assert (sandbox.path / "pkg" / "util.py").exists()


def test_a_file_gone_since_it_was_listed_is_left_out_not_fatal(project: Path, tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    linked = _store_of(project.resolve()).link_into(run, ["pkg/util.py", "pkg/gone.py"])
    assert linked == ["pkg/util.py"]
    assert (run / "pkg" / "util.py").read_text() == "HELPER = 1\n"


def test_without_isolation_every_sandbox_gets_copies_of_its_own(project: Path):
    files = ProjectCopy(project, {})
    with Sandbox(Isolation()) as first, Sandbox(Isolation()) as second:
        files.fill(first, "pkg/calc.py", [])
        files.fill(second, "pkg/calc.py", [])
        one, other = first.path / "pkg" / "util.py", second.path / "pkg" / "util.py"
        assert one.stat().st_ino != other.stat().st_ino
        one.write_text("HELPER = 'written by the code under test'\n")
        assert other.read_text() == "HELPER = 1\n"


def test_unsaved_buffers_replace_their_files_and_the_subject_gets_no_tests(project: Path):
    buffers = {str(project / "pkg" / "util.py"): "HELPER = 'unsaved'\n"}
    files = ProjectCopy(project, buffers)
    with Sandbox(ISOLATED) as subject:
        files.fill(subject, "pkg/calc.py", ["tests/test_calc.py"], without_tests=True)
        assert (subject.path / "pkg" / "util.py").read_text() == "HELPER = 'unsaved'\n"
        assert not (subject.path / "tests" / "test_calc.py").exists()


@pytest.mark.parametrize(
    ("isolation", "shared"),
    [(ISOLATED, True), (Isolation(IsolationLevel.NONE), False)],
    ids=["isolated: linked", "unisolated: copied"],
)
def test_a_twin_holds_the_files_its_original_was_filled_with(
    project: Path, isolation: Isolation, shared: bool
):
    files = ProjectCopy(project, {"pkg/calc.py": "def add(a, b):\n    return a - b\n"})
    with Sandbox(isolation) as original:
        files.fill(original, "pkg/util.py", ["tests/test_calc.py"])
        original.write("pkg/util.py", "HELPER = 'candidate'\n")
        (original.path / "home" / "left-by-a-run").write_text("x")
        with original.twin() as twin:
            twin.copy_from(original)
            for relative in ("pkg/util.py", "pkg/calc.py", "tests/test_calc.py"):
                one, other = original.path / relative, twin.path / relative
                assert other.read_text() == one.read_text()
                assert (one.stat().st_ino == other.stat().st_ino) is shared
            assert not (twin.path / "home" / "left-by-a-run").exists()
            twin.write("pkg/util.py", "HELPER = 'mutant'\n")  # never through a link
            assert (original.path / "pkg/util.py").read_text() == "HELPER = 'candidate'\n"
    files.close()


def test_a_finished_sandbox_is_removed_off_the_run_and_gone_once_removals_finish():
    async def use() -> Path:
        async with Sandbox(ISOLATED) as sandbox:
            sandbox.write("pkg/module.py", "X = 1\n")
            return sandbox.path

    folder = asyncio.run(use())
    finish_removals()
    assert not folder.parent.exists()


def test_a_killed_runs_copies_are_swept_by_the_next_specloop(project: Path):
    files = ProjectCopy(project, {})
    with Sandbox(ISOLATED) as sandbox:
        files.fill(sandbox, "pkg/calc.py", [])
    folder = files._folder
    assert folder is not None and folder.name.startswith(f"{FOLDER_PREFIX}{os.getpid()}-")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **CAPTURE)
    orphan = folder.with_name(folder.name.replace(str(os.getpid()), gone.stdout.strip(), 1))
    folder.rename(orphan)  # what a specloop killed by SIGKILL leaves
    _sweep_stale_folders()
    assert not orphan.exists()
