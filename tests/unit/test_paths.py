"""Walking a project: folders that cannot be listed are reported, not silently left out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specloop.analysis.paths import DEFAULT_EXCLUDES, ExcludeRules, python_files


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
