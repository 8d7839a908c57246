"""`specloop check` configured and silenced: suppressions, [tool.specloop], baselines, hooks."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_check as run

REPOSITORY = Path(__file__).resolve().parents[2]
TODO = "def charge(amount):\n    # TODO: handle errors\n    return amount\n"
STUB = 'def refund(amount):\n    """Handle it somehow."""\n    ...\n'
NOTE = "def ship(order):\n    # NOTE: handle errors\n    return order\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def flagged(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int]]:
    return [(item["path"], item["line"]) for item in json.loads(result.stdout)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the search for pyproject.toml stops here
    return tmp_path


# ---------------------------------------------------------------- suppressions


def test_suppressed_findings_are_left_out_of_every_format(project: Path):
    write(project / "a.py", TODO.replace("errors\n", "errors  # specloop: ignore\n"))
    write(project / "b.py", "# specloop: ignore-file\n" + TODO)
    write(project / "c.py", "# specloop: ignore\n" + STUB)
    write(project / "d.py", TODO)
    text = run(".", cwd=project)
    assert text.returncode == 1
    assert [line.split(":")[0] for line in text.stdout.splitlines()] == ["d.py"]
    assert flagged(run("--format", "json", ".", cwd=project)) == [("d.py", 2)]
    sarif = json.loads(run("--format", "sarif", ".", cwd=project).stdout)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]
    assert uris == ["d.py"]
    write(project / "d.py", TODO.replace("errors\n", "errors  # specloop: ignore\n"))
    assert run(".", cwd=project).returncode == 0


# ---------------------------------------------------------------- project configuration


def test_the_nearest_pyproject_configures_markers_severity_exclude_and_docstrings(project: Path):
    write(
        project / "pyproject.toml",
        "[project]\nname = 'x'\n\n[tool.specloop]\nmarkers = ['TODO', 'NOTE']\n"
        "severity = 'warning'\nexclude = ['generated/']\ndocstrings = false\n",
    )
    write(project / "pkg" / "todo.py", TODO)
    write(project / "pkg" / "note.py", NOTE)
    write(project / "pkg" / "stub.py", STUB)
    write(project / "generated" / "g.py", TODO)
    result = run("--format", "json", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    items = json.loads(result.stdout)
    assert [(i["path"], i["severity"]) for i in items] == [
        ("pkg/note.py", "warning"),
        ("pkg/todo.py", "warning"),
    ]
    # The command line overrides the project.
    overridden = json.loads(
        run("--format", "json", "--severity", "error", "pkg", cwd=project).stdout
    )
    assert {i["severity"] for i in overridden} == {"error"}
    # A sub-package's pyproject.toml without the table does not hide the root's.
    write(project / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")
    under_sub_package = json.loads(run("--format", "json", "pkg", cwd=project).stdout)
    assert [(i["path"], i["severity"]) for i in under_sub_package] == [
        ("pkg/note.py", "warning"),
        ("pkg/todo.py", "warning"),
    ]
    # Without the configuration the defaults apply: the stub and the excluded file are back.
    (project / "pyproject.toml").unlink()
    paths = {i["path"] for i in json.loads(run("--format", "json", ".", cwd=project).stdout)}
    assert paths == {"pkg/todo.py", "pkg/stub.py", "generated/g.py"}


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("[tool.specloop]\nseverty = 'error'\n", "tool.specloop.severty: unknown key"),
        ("[tool.specloop]\nseverity = 'loud'\n", "tool.specloop.severity: input should be"),
        ("[tool.specloop]\nmarkers = 'TODO'\n", "tool.specloop.markers"),
        ("[tool.specloop\nseverity = 'error'\n", "pyproject.toml: not valid TOML"),
    ],
)
def test_a_bad_configuration_is_one_message_naming_the_key_and_the_file(
    project: Path, table: str, named: str
):
    pyproject = write(project / "pyproject.toml", table)
    write(project / "a.py", TODO)
    result = run(".", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    [message] = result.stderr.splitlines()
    assert named in message and str(pyproject) in message


# ---------------------------------------------------------------- baselines


def test_a_baseline_hides_known_findings_even_when_they_move(project: Path):
    write(project / "pkg" / "a.py", TODO)
    write(project / "pkg" / "b.py", STUB)
    baseline = project / "specloop-baseline.json"
    written = run("--write-baseline", baseline.name, "pkg", cwd=project)
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    entries = json.loads(baseline.read_text())["findings"]
    assert [(e["path"], e["symbol"], e["count"]) for e in entries] == [
        ("pkg/a.py", "charge", 1),
        ("pkg/b.py", "refund", 1),
    ]
    # Lines move, a new TODO appears, and a duplicate of a known one.
    moved = "import os\n\n\n" + TODO.replace(
        "    return amount", "    # TODO: handle errors\n    # TODO: cache it?\n    return amount"
    )
    write(project / "pkg" / "a.py", moved)
    result = run("--baseline", baseline.name, "--format", "json", "pkg", cwd=project)
    assert result.returncode == 1
    assert flagged(result) == [("pkg/a.py", 6), ("pkg/a.py", 7)]
    assert "known from the baseline" in result.stderr
    # Run from elsewhere: paths are relative to the baseline file, not to the current folder.
    elsewhere = run("--baseline", str(baseline), "--format", "json", f"{project.name}/pkg",
                    cwd=project.parent)  # fmt: skip
    assert [line for _, line in flagged(elsewhere)] == [6, 7]
    # Nothing new: exit 0.
    write(project / "pkg" / "a.py", "import os\n\n\n" + TODO)
    assert run("--baseline", baseline.name, "pkg", cwd=project).returncode == 0


def test_the_baseline_file_is_the_same_whatever_the_order(project: Path):
    write(project / "a.py", TODO)
    write(project / "z.py", TODO + STUB)
    run("--write-baseline", "one.json", "z.py", "a.py", cwd=project)
    run("--write-baseline", "two.json", "a.py", "z.py", cwd=project)
    assert (project / "one.json").read_text() == (project / "two.json").read_text()


def test_a_missing_baseline_is_a_usage_error_that_says_how_to_write_it(project: Path):
    write(project / "a.py", TODO)
    result = run("--baseline", "nope.json", ".", cwd=project)
    assert result.returncode == 2
    assert "--write-baseline" in result.stderr


# ---------------------------------------------------------------- pre-commit


def test_the_pre_commit_hook_runs_specloop_check_on_the_files_it_is_given(project: Path):
    [hook] = yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text())
    # The fields pre-commit requires of a hook, and the ones this hook relies on.
    assert {"id", "name", "entry", "language"} <= hook.keys()
    assert hook["id"] == "specloop"
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["specloop", "check"]

    write(project / "pyproject.toml", "[tool.specloop]\nexclude = ['vendor/']\n")
    write(project / "app.py", TODO)
    write(project / "vendor" / "lib.py", TODO)
    # pre-commit runs the entry from the repository root with the staged files of the
    # hook's types appended, the hook's environment first on PATH.
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "specloop").exists(), "the project's console script"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    def hook_run(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*entry, *files], cwd=project, env=env, capture_output=True, text=True, timeout=120
        )

    failed = hook_run("app.py", "vendor/lib.py")
    assert failed.returncode == 1
    assert [line.split(":")[0] for line in failed.stdout.splitlines()] == ["app.py"]
    write(project / "app.py", TODO.replace("errors\n", "errors  # specloop: ignore\n"))
    assert hook_run("app.py", "vendor/lib.py").returncode == 0
