"""Import names and "which files import this module", as Python resolves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from specloop.analysis.modules import import_name, imports_module, source_roots


def touch(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")


def test_import_names_follow_packages_and_the_src_layout(tmp_path: Path) -> None:
    touch(tmp_path, "util.py", "app/__init__.py", "app/core/__init__.py", "app/core/money.py",
          "src/lib/__init__.py", "src/lib/text.py", "tools/run.py")  # fmt: skip
    assert import_name(tmp_path, "util.py") == "util"
    assert import_name(tmp_path, "app/core/money.py") == "app.core.money"
    assert import_name(tmp_path, "app/core/__init__.py") == "app.core"
    assert import_name(tmp_path, "src/lib/text.py") == "lib.text"
    assert import_name(tmp_path, "tools/run.py") == "tools.run"  # a namespace package
    assert source_roots(tmp_path) == [".", "src"]


def test_a_src_folder_that_is_a_package_is_not_a_source_root(tmp_path: Path) -> None:
    touch(tmp_path, "src/__init__.py", "src/text.py")
    assert source_roots(tmp_path) == ["."]
    assert import_name(tmp_path, "src/text.py") == "src.text"


@pytest.mark.parametrize(
    ("line", "importer", "expected"),
    [
        ("import pricing", "tests.test_pricing", True),
        ("import pricing as p", "test_pricing", True),
        ("from pricing import discount", "test_x", True),
        ("import app.core.money", "tests.test_money", True),
        ("from app.core import money", "tests.test_money", True),
        ("from app.core import (money, tax)", "tests.test_money", True),
        ("from . import money", "app.core.test_money", True),
        ("from .money import Money", "app.core.test_money", True),
        ("from ..core.money import Money", "app.tests.test_money", True),
        ("from app.core import Money", "tests.test_money", True),  # re-exported by its package
        ("from app.core import tax", "tests.test_tax", False),
        ("import app.core", "tests.test_money", False),
        ("import moneybags", "tests.test_money", False),
        ("from app.core.moneybags import x", "tests.test_money", False),
        ("from .... import money", "app.test_money", False),
    ],
)
def test_which_import_statements_load_a_module(line: str, importer: str, expected: bool) -> None:
    module = "pricing" if "pricing" in line else "app.core.money"
    names = ["discount"] if module == "pricing" else ["Money"]
    assert imports_module([line], importer, module, names) is expected
