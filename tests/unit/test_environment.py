"""Finding the project's Python environment, the way editors do, and saying what was tried."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from specloop.validate.environment import InterpreterError, find_environment
from tests.support.projects import make_environment


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real virtual environment (no packages) to be found in several places."""
    return make_environment(tmp_path_factory.mktemp("envs") / "env").parent.parent


def link(venv: Path, at: Path) -> Path:
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(venv, target_is_directory=True)
    return at


def test_the_setting_comes_first_and_may_name_the_environment_folder(
    tmp_path: Path, venv: Path
) -> None:
    link(venv, tmp_path / ".venv")
    found = find_environment(tmp_path, str(venv), {"VIRTUAL_ENV": "/elsewhere"})
    assert found.python == str(venv / "bin" / "python")
    assert found.source == "the setting python"
    assert not found.has_pytest and found.kit is not None
    assert found.kit in found.readable, "the lent pytest is shown in the sandbox"


def test_virtual_env_then_the_project_folders(tmp_path: Path, venv: Path) -> None:
    assert find_environment(tmp_path, None, {"VIRTUAL_ENV": str(venv)}).source == "VIRTUAL_ENV"
    link(venv, tmp_path / "venv")
    assert find_environment(tmp_path, None, {}).source == "venv in the project"
    link(venv, tmp_path / ".venv")
    found = find_environment(tmp_path, None, {})
    assert found.source == ".venv in the project"
    assert found.label(tmp_path).startswith(".venv/bin/python (3.")


def test_specloops_own_virtual_env_is_not_the_projects(tmp_path: Path) -> None:
    found = find_environment(tmp_path, None, {"VIRTUAL_ENV": sys.prefix})
    assert found.own and found.python == sys.executable
    assert "VIRTUAL_ENV (specloop's own)" in found.tried
    assert "no project environment: looked for" in found.describe(tmp_path)


def test_pdm_names_its_interpreter_in_a_file(tmp_path: Path, venv: Path) -> None:
    (tmp_path / ".pdm-python").write_text(str(venv / "bin" / "python") + "\n")
    assert find_environment(tmp_path, None, {}).source == "PDM (.pdm-python)"


def test_poetry_environments_are_found_in_its_cache_by_name_and_path(
    tmp_path: Path, venv: Path
) -> None:
    import base64
    import hashlib

    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.poetry]\nname = "My App"\n')
    digest = base64.urlsafe_b64encode(hashlib.sha256(str(project).encode()).digest()).decode()
    link(venv, tmp_path / "cache" / f"my_app-{digest[:8]}-py3.11")
    found = find_environment(project, None, {"POETRY_VIRTUALENVS_PATH": str(tmp_path / "cache")})
    assert found.source == "Poetry's virtualenv"


def test_the_environment_is_shown_but_not_the_project_or_the_home_folder(
    tmp_path: Path, venv: Path
) -> None:
    found = find_environment(tmp_path, str(venv), {})
    for path in found.readable:
        assert not Path(path).is_relative_to(tmp_path) or Path(path).is_relative_to(venv)
        home = Path.home()
        assert not Path(path).is_relative_to(home) or any(
            Path(path).is_relative_to(p)
            for p in (venv, Path(sys.base_prefix), Path(found.kit or "/"))
        )


def test_a_configured_interpreter_that_does_not_work_is_an_error_not_a_fallback(
    tmp_path: Path,
) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho not python\n")
    fake.chmod(0o755)
    with pytest.raises(InterpreterError, match="did not answer as Python does"):
        find_environment(tmp_path, str(fake), {})
    with pytest.raises(InterpreterError, match="does not exist"):
        find_environment(tmp_path, str(tmp_path / "missing"), {})
