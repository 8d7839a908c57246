"""[tool.specloop]: finding the nearest pyproject.toml, validating it, merging with the editor's."""

from __future__ import annotations

import os
from pathlib import Path

from specloop.config import (
    DiagnosticsSettings,
    Severity,
    Tiers,
    load_project_settings,
    merged_diagnostics,
)
from specloop.project import ProjectConfigs, read_project_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_is_validated_by_the_settings_rules():
    loaded = load_project_settings(
        {
            "markers": ["TODO", "NOTE"],
            "exclude": ["gen/"],
            "severity": "warning",
            "tiers": "all",
            "docstrings": False,
        }
    )
    assert loaded.problems == ()
    assert loaded.values == {
        "markers": ("TODO", "NOTE"),
        "exclude": ("gen/",),
        "severity": Severity.WARNING,
        "tiers": Tiers.ALL,
        "docstrings": False,
    }


def test_a_bad_key_or_value_is_named_and_the_rest_is_kept():
    loaded = load_project_settings({"severity": "loud", "markrs": ["X"], "docstrings": False})
    keys = sorted(problem.key for problem in loaded.problems)
    assert keys == ["tool.specloop.markrs", "tool.specloop.severity"]
    assert loaded.values == {"docstrings": False}
    # Editor-only settings are not project keys.
    assert [p.key for p in load_project_settings({"enabled": False}).problems] == [
        "tool.specloop.enabled"
    ]


def test_an_exclude_that_is_no_gitignore_pattern_is_named():
    loaded = load_project_settings({"exclude": ["gen/", "!"], "docstrings": False})
    [problem] = loaded.problems
    assert problem.key.startswith("tool.specloop.exclude")
    assert "'!' is not a gitignore pattern" in problem.reason
    assert loaded.values == {"docstrings": False}


def test_editor_values_override_the_project_only_where_they_are_not_the_defaults():
    project = {"severity": Severity.WARNING, "markers": ("TODO",)}
    editor = DiagnosticsSettings(markers=("FIXME",))
    merged = merged_diagnostics(project, editor)
    assert merged.severity is Severity.WARNING  # the editor left it at its default
    assert merged.markers == ("FIXME",)  # the editor chose its own
    assert merged_diagnostics({}, DiagnosticsSettings()).severity is Severity.INFORMATION


def test_the_nearest_pyproject_with_a_specloop_table_wins(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[tool.specloop]\nseverity = "error"\n')
    write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'sub'\n")
    write(tmp_path / "sub" / "inner" / "pyproject.toml", "[tool.specloop]\ndocstrings = false\n")
    configs = ProjectConfigs()
    outer = configs.for_file(tmp_path / "sub" / "a.py")
    assert outer is not None and outer.path == tmp_path / "pyproject.toml"
    inner = configs.for_file(tmp_path / "sub" / "inner" / "deep" / "b.py")
    assert inner is not None and inner.values == {"docstrings": False}
    # The search stops at the given folder.
    assert configs.for_file(tmp_path / "sub" / "a.py", stop=tmp_path / "sub") is None


def test_the_search_stops_at_the_repository_root(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.specloop]\nseverity = "error"\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert ProjectConfigs().for_file(tmp_path / "repo" / "a.py") is None


def test_a_changed_file_is_read_again_and_a_buffer_wins_over_the_disk(tmp_path: Path):
    path = write(tmp_path / "pyproject.toml", '[tool.specloop]\nseverity = "error"\n')
    configs = ProjectConfigs()
    assert configs.for_file(tmp_path / "a.py", tmp_path).values["severity"] is Severity.ERROR
    write(path, '[tool.specloop]\nseverity = "hint"\n')
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock says
    assert configs.for_file(tmp_path / "a.py", tmp_path).values["severity"] is Severity.HINT
    configs.set_buffer(path, '[tool.specloop]\nseverity = "warning"\n')
    assert configs.for_file(tmp_path / "a.py", tmp_path).values["severity"] is Severity.WARNING
    configs.set_buffer(path, None)
    assert configs.for_file(tmp_path / "a.py", tmp_path).values["severity"] is Severity.HINT


def test_broken_toml_is_a_message_naming_the_file(tmp_path: Path):
    path = write(tmp_path / "pyproject.toml", "[tool.specloop\nseverity = \n")
    config = read_project_config(path)
    assert config is not None
    message = config.message()
    assert message is not None and str(path) in message and "not valid TOML" in message
    bad_key = read_project_config(write(path, "[tool.specloop]\nseverty = 'error'\n"))
    assert bad_key is not None
    assert "tool.specloop.severty: unknown key" in (bad_key.message() or "")
    assert str(path) in (bad_key.message() or "")


def test_exclude_patterns_are_relative_to_the_pyproject(tmp_path: Path):
    path = write(tmp_path / "pyproject.toml", "[tool.specloop]\nexclude = ['gen/', '*_pb2.py']\n")
    config = read_project_config(path)
    assert config is not None
    assert config.excludes(tmp_path / "gen" / "a.py")
    assert config.excludes(tmp_path / "pkg" / "x_pb2.py")
    assert not config.excludes(tmp_path / "pkg" / "gen.py")
    assert not config.excludes(tmp_path.parent / "gen" / "a.py")
