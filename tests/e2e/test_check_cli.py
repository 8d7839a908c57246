"""`specloop check` as a user runs it: formats, exit codes, ignores and bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

AMBIGUOUS = "def charge(amount):\n    x = '😀'  # TODO: handle errors\n    return amount\n"
CLEAR = "def charge(amount):\n    # TODO: raise ValueError when amount is negative\n    return 1\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specloop", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "billing.py").write_text(AMBIGUOUS, encoding="utf-8")
    (tmp_path / "pkg" / "clear.py").write_text(CLEAR, encoding="utf-8")
    return tmp_path


def test_text_format_prints_path_line_column_code_message_and_exits_1(project: Path):
    result = run("pkg", cwd=project)
    assert result.returncode == 1, result.stderr
    [line] = result.stdout.splitlines()
    # Column 14 counts code points: the emoji is one column, as in the JSON output.
    assert line.startswith("pkg/billing.py:2:14: ambiguous-todo Ambiguous TODO")


def test_nothing_flagged_exits_0(project: Path):
    result = run("pkg/clear.py", cwd=project)
    assert result.returncode == 0
    assert result.stdout == ""


def test_json_format_lists_objects_with_one_based_positions(project: Path):
    result = run("--format", "json", "pkg", cwd=project)
    assert result.returncode == 1
    [item] = json.loads(result.stdout)
    assert item["path"] == "pkg/billing.py"
    assert (item["line"], item["column"], item["endLine"]) == (2, 14, 2)
    assert item["endColumn"] == 14 + len("# TODO: handle errors")
    assert item["code"] == "ambiguous-todo"
    assert item["severity"] == "information"
    assert item["label"] == "ambiguous"
    assert {facet["kind"] for facet in item["facets"]} >= {"what", "values"}


def test_all_labels_includes_clear_and_note_specs(project: Path):
    (project / "pkg" / "note.py").write_text("# XXX: order matters here\nx = 1\n")
    result = run("--format", "json", "--all-labels", "pkg", cwd=project)
    labels = {Path(item["path"]).name: item["label"] for item in json.loads(result.stdout)}
    assert labels == {"billing.py": "ambiguous", "clear.py": "clear", "note.py": "note"}
    assert result.returncode == 1


def test_sarif_is_valid_2_1_0_with_rules_and_regions(project: Path):
    result = run("--format", "sarif", "pkg", cwd=project)
    report = json.loads(result.stdout)
    assert report["version"] == "2.1.0"
    [run_] = report["runs"]
    assert run_["tool"]["driver"]["rules"][0]["id"] == "ambiguous-todo"
    [sarif_result] = run_["results"]
    assert sarif_result["ruleId"] == "ambiguous-todo"
    assert sarif_result["level"] == "note"
    location = sarif_result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pkg/billing.py"
    assert location["region"]["startLine"] == 2


def test_gitignored_and_excluded_files_are_skipped(project: Path):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("generated/\n")
    (project / "generated").mkdir()
    (project / "generated" / "out.py").write_text(AMBIGUOUS)
    (project / ".venv").mkdir()
    (project / ".venv" / "lib.py").write_text(AMBIGUOUS)
    result = run("--format", "json", "--exclude", "pkg/billing.py", ".", cwd=project)
    assert json.loads(result.stdout) == []
    assert result.returncode == 0


def test_non_utf8_and_unreadable_files_are_reported_and_skipped(project: Path):
    (project / "pkg" / "latin1.py").write_bytes(b"# TODO: fix caf\xe9\n")
    result = run("pkg", cwd=project)
    assert result.returncode == 1
    assert "latin1.py is not valid UTF-8" in result.stderr
    assert "billing.py" in result.stdout


def test_a_missing_path_is_a_usage_error(project: Path):
    result = run("nowhere", cwd=project)
    assert result.returncode == 2
    assert "no such file or directory: nowhere" in result.stderr


def test_many_files_are_checked_in_parallel_with_the_same_results(tmp_path: Path):
    for index in range(80):
        (tmp_path / f"m{index:02}.py").write_text(AMBIGUOUS if index % 2 else CLEAR)
    result = run("--format", "json", ".", cwd=tmp_path)
    paths = [item["path"] for item in json.loads(result.stdout)]
    assert paths == [f"m{index:02}.py" for index in range(80) if index % 2]
