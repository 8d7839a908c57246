"""Walking a project: folders that cannot be listed are reported, not silently left out."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from specloop.analysis.paths import DEFAULT_EXCLUDES, ExcludeRules, python_files
from specloop.kept_walks import KeptWalks
from tests.support.file_times import age


def test_a_folder_that_cannot_be_listed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.py").write_text("")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.py").write_text("")
    real_scandir = os.scandir

    def scandir(path):  # root reads every folder, so the refusal is played here
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    reported: list[tuple[Path, str]] = []
    found = list(
        python_files(
            [tmp_path], ExcludeRules(tmp_path, ()), lambda p, e: reported.append((p, e.strerror))
        )
    )
    assert found == [tmp_path / "ok" / "a.py"]
    assert reported == [(tmp_path / "locked", "Permission denied")]


def test_the_default_excludes_name_folders_only():
    """The walk matches files against the user's patterns only: the defaults, all folders,
    are never entered (`paths._ignored`). A file pattern among them would go unchecked."""
    assert all(pattern.endswith("/") for pattern in DEFAULT_EXCLUDES)


def test_a_kept_walk_sees_files_added_and_gitignores_edited_since(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / ".gitignore").write_text("# nothing yet\n")
    rules = ExcludeRules(tmp_path, ())
    age(tmp_path)
    assert list(python_files([tmp_path], rules)) == [tmp_path / "pkg" / "a.py"]
    (tmp_path / "pkg" / "b.py").write_text("")  # the folder's stamp changes
    assert list(python_files([tmp_path], rules)) == [
        tmp_path / "pkg" / "a.py",
        tmp_path / "pkg" / "b.py",
    ]
    age(tmp_path)
    list(python_files([tmp_path], rules))
    with (tmp_path / ".gitignore").open("a") as gitignore:  # edited in place: no folder changes
        gitignore.write("b.py\n")
    assert list(python_files([tmp_path], rules)) == [tmp_path / "pkg" / "a.py"]


def test_a_walk_is_kept_until_what_it_read_changes(tmp_path: Path) -> None:
    walks: KeptWalks[str, list[str]] = KeptWalks()
    folder = tmp_path / "pkg"
    folder.mkdir()
    age(tmp_path)
    walks.keep("key", [str(folder)], ["kept"], time.time_ns())
    assert walks.get("key") == ["kept"]
    (folder / "new.py").write_text("")
    assert walks.get("key") is None
    # A stamp within a clock tick of the walk may hide a later change: not kept.
    walks.keep("key", [str(folder)], ["racy"], time.time_ns())
    assert walks.get("key") is None
