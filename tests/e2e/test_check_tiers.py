"""`specloop check` and confidence tiers: the precise tier by default, the broad tier on
request (``--all-tiers`` or ``tiers = "all"``) one severity step quieter, the tier in the
JSON and SARIF output, and stub docstrings of test files in the broad tier."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_check as run

CODE = (
    "def charge(amount):\n"
    "    # TODO: maybe cache this?\n"  # a question: the precise tier
    "    # TODO: refactor\n"  # a vague verb alone: the broad tier
    "    return amount\n"
)
# A stub a precise rule flags ("somehow"): in a test file it is a helper, broad.
HELPER = (
    "class Tests:\n"
    "    @staticmethod\n"
    "    def helper():\n"
    '        """Set it up somehow."""\n'
    "        ...\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def records(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str, str]]:
    return [(r["path"], r["line"], r["tier"], r["severity"]) for r in json.loads(result.stdout)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the search for pyproject.toml stops here
    write(tmp_path / "pkg" / "billing.py", CODE)
    write(tmp_path / "tests" / "test_billing.py", HELPER)
    return tmp_path


def test_only_the_precise_tier_is_reported_by_default(project: Path):
    result = run("--format", "json", "pkg", "tests", cwd=project)
    assert result.returncode == 1, result.stderr
    assert records(result) == [("pkg/billing.py", 2, "precise", "information")]


def test_all_tiers_adds_the_broad_tier_at_a_lower_severity(project: Path):
    result = run("--all-tiers", "--format", "json", "pkg", "tests", cwd=project)
    assert result.returncode == 1, result.stderr
    assert records(result) == [
        ("pkg/billing.py", 2, "precise", "information"),
        ("pkg/billing.py", 3, "broad", "hint"),
        # A stub in a test file is a helper: broad whatever fired.
        ("tests/test_billing.py", 4, "broad", "hint"),
    ]
    louder = run("--all-tiers", "--severity", "error", "--format", "json", "pkg", cwd=project)
    assert [r[3] for r in records(louder)] == ["error", "information"]


def test_the_text_output_names_the_broad_tier(project: Path):
    result = run("--all-tiers", "pkg", cwd=project)
    precise, broad = result.stdout.splitlines()
    assert precise.startswith('pkg/billing.py:2:5: ambiguous-todo Ambiguous TODO "maybe')
    assert broad.startswith("pkg/billing.py:3:5: ambiguous-todo (broad tier) Ambiguous TODO")


def test_tiers_all_in_the_project_configuration_reports_both_tiers(project: Path):
    write(project / "pyproject.toml", '[tool.specloop]\ntiers = "all"\nseverity = "warning"\n')
    result = run("--format", "json", "pkg", cwd=project)
    assert records(result) == [
        ("pkg/billing.py", 2, "precise", "warning"),
        ("pkg/billing.py", 3, "broad", "information"),
    ]


def test_sarif_results_carry_the_tier_in_their_properties(project: Path):
    result = run("--all-tiers", "--format", "sarif", "pkg", cwd=project)
    [sarif_run] = json.loads(result.stdout)["runs"]
    assert [r["properties"]["tier"] for r in sarif_run["results"]] == ["precise", "broad"]
    assert [r["level"] for r in sarif_run["results"]] == ["note", "note"]


def test_a_file_with_only_broad_findings_passes_by_default(project: Path):
    result = run("tests", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    # The same stub outside the tests is a spec: its rule's tier, precise.
    write(project / "pkg" / "setup.py", HELPER)
    result = run("--format", "json", "pkg/setup.py", cwd=project)
    assert records(result) == [("pkg/setup.py", 4, "precise", "information")]


def test_messages_read_as_a_reviewer_would_write_them(project: Path):
    write(
        project / "pkg" / "admin.py",
        "def lookups(request):\n"
        "    # TODO: this should be handled by some parameter to the ChangeList.\n"
        "    # TODO: colorize this SQL code with style.SQL_KEYWORD(), etc.\n"
        "    return request\n",
    )
    result = run("--all-tiers", "--format", "json", "pkg/admin.py", cwd=project)
    messages = [record["message"] for record in json.loads(result.stdout)]
    assert "Which parameter exactly?" in messages[0]
    assert 'The list ends in "etc.": what else exactly' in messages[1]
    assert not any("Which some" in m or "Which etc" in m for m in messages)


def test_a_type_stub_file_has_its_comments_read_and_not_its_docstrings(tmp_path: Path):
    """Every function of a ``.pyi`` has a placeholder body: its docstrings document."""
    (tmp_path / ".git").mkdir()
    stub = HELPER.replace("class Tests", "class Billing") + "# TODO: maybe type this?\n"
    write(tmp_path / "pkg" / "billing.pyi", stub)
    write(tmp_path / "pkg" / "billing.py", stub)
    result = run("--all-tiers", "--format", "json", "pkg", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert sorted(records(result)) == [
        ("pkg/billing.py", 4, "precise", "information"),
        ("pkg/billing.py", 6, "precise", "information"),
        ("pkg/billing.pyi", 6, "precise", "information"),
    ]
