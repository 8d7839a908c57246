"""`specloop check` as a user runs it: formats, exit codes, ignores and bad files."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.support.cli import run_check as run

AMBIGUOUS = "def charge(amount):\n    x = '😀'  # TODO: handle errors\n    return amount\n"
CLEAR = "def charge(amount):\n    # TODO: raise ValueError when amount is negative\n    return 1\n"


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


def test_vendored_copies_of_other_projects_are_skipped_unless_named(project: Path):
    for folder in ("pkg/_vendor/six", "vendored-meson/mesonbuild", "third_party"):
        (project / folder).mkdir(parents=True)
        (project / folder / "copied.py").write_text(AMBIGUOUS)
    walked = run("--format", "json", ".", cwd=project)
    assert [finding["path"] for finding in json.loads(walked.stdout)] == ["pkg/billing.py"]
    named = run("--format", "json", "pkg/_vendor", cwd=project)
    assert [finding["path"] for finding in json.loads(named.stdout)] == [
        "pkg/_vendor/six/copied.py"
    ]


def test_a_gitignore_line_that_is_no_pattern_is_skipped_as_git_skips_it(project: Path):
    (project / ".gitignore").write_text("!\ngenerated/\n")
    (project / "generated").mkdir()
    (project / "generated" / "out.py").write_text(AMBIGUOUS)
    result = run("--format", "json", ".", cwd=project)
    assert [finding["path"] for finding in json.loads(result.stdout)] == ["pkg/billing.py"]
    assert result.returncode == 1


def test_an_exclude_that_is_no_gitignore_pattern_is_a_usage_error(project: Path):
    result = run("--exclude", "!", ".", cwd=project)
    assert result.returncode == 2
    assert "argument --exclude: '!' is not a gitignore pattern" in result.stderr


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


# ---------------------------------------------------------------- hostile files

DEEP = "\n".join(
    ["    " * depth + f"def f{depth}():" for depth in range(600)] + ["    " * 600 + "'s'"]
)


def test_a_fifo_and_a_link_to_dev_zero_are_skipped_not_read(tmp_path: Path):
    os.mkfifo(tmp_path / "x.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "ok.py").write_text(AMBIGUOUS, encoding="utf-8")
    result = run(".", cwd=tmp_path)
    assert "x.py is not a regular file" in result.stderr
    assert "zero.py is not a regular file" in result.stderr
    assert "ok.py:2:14: ambiguous-todo" in result.stdout
    assert result.returncode == 2, "paths that could not be read are not a clean result"


def test_an_unreadable_file_named_alone_is_not_a_clean_exit(tmp_path: Path):
    (tmp_path / "ghost.py").symlink_to(tmp_path / "nowhere.py")
    result = run("ghost.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "ghost.py cannot be read" in result.stderr


def test_code_nested_too_deeply_is_skipped_without_crashing_even_in_parallel(tmp_path: Path):
    for number in range(70):  # past the threshold where worker processes take over
        (tmp_path / f"deep{number}.py").write_text(DEEP, encoding="utf-8")
    (tmp_path / "ok.py").write_text(AMBIGUOUS, encoding="utf-8")
    result = run(".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert [record["path"] for record in json.loads(result.stdout)] == ["ok.py"]
    assert result.stderr.count("nests blocks 600 levels deep") == 70


def test_huge_files_and_files_full_of_todos_are_bounded(tmp_path: Path):
    (tmp_path / "huge.py").write_bytes(b"# TODO: handle errors\n" * 600_000)  # 13 MB
    (tmp_path / "many.py").write_text("# TODO: handle errors\n" * 20_000)
    started = time.monotonic()
    result = run(".", cwd=tmp_path)
    assert time.monotonic() - started < 60
    assert "huge.py is 13 MB, over the 10 MB limit" in result.stderr
    assert "many.py holds more than 1000 specs" in result.stderr
    assert len(result.stdout.splitlines()) == 1000


def test_long_comment_lines_are_read_in_bounded_time(tmp_path: Path):
    # Regular expressions that backtrack took seconds on one long line each: a line
    # below a TODO read to tell code from prose (7 s at 4,000 characters), and TODO
    # texts that repeat a trigger word, an assertion or a link (1-3 s at 8,000).
    hostile = "# (" + "'a' " * 1_000 + "x\n"
    (tmp_path / "below.py").write_text(("# TODO: handle errors\n" + hostile) * 20)
    texts = ["by " * 2_700, "assert x " * 900, "http://a.b/c " * 620, "if " * 2_700]
    (tmp_path / "long.py").write_text("".join(f"# TODO: {text}\n\n" for text in texts * 8))
    started = time.monotonic()
    result = run("--format", "json", "--all-tiers", "--all-labels", ".", cwd=tmp_path)
    assert time.monotonic() - started < 60
    paths = [record["path"] for record in json.loads(result.stdout)]
    assert (paths.count("below.py"), paths.count("long.py")) == (20, 32)


def test_control_characters_in_names_are_printed_escaped_and_sarif_uris_encoded(tmp_path: Path):
    odd = "a b#\x1b[31mred.py"
    (tmp_path / odd).write_text(AMBIGUOUS, encoding="utf-8")
    text = run(".", cwd=tmp_path)
    assert "\x1b" not in text.stdout + text.stderr
    assert text.stdout.startswith("a b#\\x1b[31mred.py:2:14:")
    sarif = json.loads(run(".", "--format", "sarif", cwd=tmp_path).stdout)
    [result] = sarif["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "a%20b%23%1B%5B31mred.py"


def test_stub_docstrings_are_flagged_with_the_facet_and_a_question_with_options(tmp_path: Path):
    (tmp_path / "stubs.py").write_text(
        "def truncate_number(number: float) -> float:\n"
        '    """Return a certain part of a positive floating point number\n'
        '    (e.g. the integer part, the decimal part, or another)."""\n'
        "    ...\n\n\n"
        "def mean(numbers: list[float]) -> float:\n"
        '    """Given a list of numbers, add them up."""\n'
        "    ...\n\n\n"
        "def median(numbers: list[float]) -> float:\n"
        '    """Return the median of the numbers.\n\n'
        "    >>> median([3.0, 1.0, 2.0])\n"
        "    2.0\n"
        '    """\n'
        "    ...\n",
        encoding="utf-8",
    )
    result = run("--format", "json", "stubs.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    choice, output = json.loads(result.stdout)  # median is clear: not reported
    assert choice["line"] == 2 and output["line"] == 8
    assert "(an open choice)" in choice["message"]
    assert (
        "Return which part: the integer part, the decimal part, or another?" in (choice["message"])
    )
    assert choice["facets"][0]["kind"] == "choice"
    assert "(what it returns)" in output["message"] and "-> float" in output["message"]
    assert output["severity"] == "information"
