"""Real projects for the loop: their own virtual environments, built from registry packages.

`make_environment` creates a virtual environment with uv (from the registry: nothing is
vendored) holding the packages a test names. `chunked_project` is a project whose module
imports a third-party package (toolz), with a doctest and an existing test that import
it too; `CHUNKED_SCRIPT` is the scripted model that writes the right code for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.scripted_llm import Reply
from tests.support.stage_script import StageScript, candidate

TOOLZ = "toolz==1.2.0"

CHUNKED_MODULE = '''\
from toolz import partition_all


def chunked(items, size):
    """Split items into lists of at most size items, in order.

    >>> chunked([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
    # TODO: raise ValueError when size is less than 1
    ...
'''
CHUNKED_LINE = 10
CHUNKED_CORRECT = '''\
def chunked(items, size):
    """Split items into lists of at most size items, in order.

    >>> chunked([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(part) for part in partition_all(size, items)]
'''
CHUNKED_TEST = """\
from toolz import partition_all

from util import chunked


def test_chunked_agrees_with_toolz():
    assert chunked(range(7), 3) == [list(part) for part in partition_all(3, range(7))]
"""
CHUNKED_SPEC_TESTS = """\
import pytest

from util import chunked


def test_a_size_below_one_is_refused():
    with pytest.raises(ValueError):
        chunked([1, 2], 0)
"""
CHUNKED_PLAN = {
    "steps": ["Refuse sizes below 1", "Group the items with toolz.partition_all"],
    "touched_symbols": ["chunked"],
    "checks": ["size 0 raises", "the doctest"],
}


def chunked_script() -> StageScript:
    script = StageScript()
    script.defaults.update(
        Plan=Reply.json(CHUNKED_PLAN),
        GeneratedTests=Reply.json({"code": CHUNKED_SPEC_TESTS}),
        Candidate=candidate(CHUNKED_CORRECT),
    )
    return script


def uv() -> str:
    found = shutil.which(
        "uv", path=f"{Path.home() / '.local' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    )
    assert found is not None, "uv is needed to build the test projects' environments"
    return found


def base_python() -> str:
    """The interpreter specloop runs on, outside specloop's own virtual environment."""
    return str(getattr(sys, "_base_executable", sys.executable))


def make_environment(folder: Path, *packages: str, python: str | None = None) -> Path:
    """A virtual environment at ``folder`` holding ``packages``; its interpreter."""
    environ = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    subprocess.run(
        [uv(), "venv", "--quiet", "--python", python or base_python(), str(folder)],
        check=True,
        env=environ,
        timeout=300,
    )
    interpreter = folder / "bin" / "python"
    if packages:
        subprocess.run(
            [uv(), "pip", "install", "--quiet", "--python", str(interpreter), *packages],
            check=True,
            env=environ,
            timeout=600,
        )
    return interpreter


def chunked_project(root: Path) -> Path:
    """util.py (imports toolz; a stub with a doctest) and a test that imports toolz too."""
    (root / "tests").mkdir(parents=True)
    (root / "util.py").write_text(CHUNKED_MODULE, encoding="utf-8")
    (root / "tests" / "test_util.py").write_text(CHUNKED_TEST, encoding="utf-8")
    return root


DJANGO_PACKAGES = ("django>=5.2,<5.3", "pytest>=8", "pytest-django==4.14.0")
DJANGO_PYPROJECT = """\
[project]
name = "newsroom"
version = "0.1.0"

[tool.pytest.ini_options]
DJANGO_SETTINGS_MODULE = "newsroom.settings"
addopts = "-p no:randomly --strict-markers"
"""
DJANGO_SETTINGS = """\
SECRET_KEY = "not-a-secret-only-for-tests"
INSTALLED_APPS = ["django.contrib.contenttypes"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
SLUG_SUFFIX = "-news"
"""
DJANGO_MODULE = '''\
from django.conf import settings
from django.utils.text import slugify


def headline_slug(title):
    """Return the slug of title (Django's slugify) followed by settings.SLUG_SUFFIX.

    >>> headline_slug("Hello, World")
    'hello-world-news'
    """
    ...
'''
DJANGO_LINE = 5
DJANGO_CORRECT = '''\
def headline_slug(title):
    """Return the slug of title (Django's slugify) followed by settings.SLUG_SUFFIX.

    >>> headline_slug("Hello, World")
    'hello-world-news'
    """
    return slugify(title) + settings.SLUG_SUFFIX
'''
DJANGO_TEST = """\
from newsroom.text import headline_slug


def test_the_suffix_comes_from_the_settings(settings):
    settings.SLUG_SUFFIX = "-x"
    assert headline_slug("Big News") == "big-news-x"
"""
DJANGO_UNRELATED_TEST = """\
def test_text():
    text = "text"
    assert False, "this file mentions text but does not import newsroom.text"
"""
DJANGO_UNCOLLECTABLE_TEST = """\
import asgiref_is_not_installed_here  # collecting this file fails in every environment

from newsroom.text import headline_slug


def test_async_headlines():
    assert headline_slug("A")
"""
DJANGO_SPEC_TESTS = """\
from newsroom.text import headline_slug


def test_an_empty_title_is_only_the_suffix():
    assert headline_slug("") == "-news"
"""


def django_project(root: Path) -> Path:
    """A small Django project with pytest-django configured in pyproject.toml."""
    (root / "newsroom").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(DJANGO_PYPROJECT, encoding="utf-8")
    (root / "newsroom" / "__init__.py").write_text("", encoding="utf-8")
    (root / "newsroom" / "settings.py").write_text(DJANGO_SETTINGS, encoding="utf-8")
    (root / "newsroom" / "text.py").write_text(DJANGO_MODULE, encoding="utf-8")
    (root / "tests" / "test_text.py").write_text(DJANGO_TEST, encoding="utf-8")
    (root / "tests" / "test_text_lengths.py").write_text(DJANGO_UNRELATED_TEST, encoding="utf-8")
    (root / "tests" / "test_async.py").write_text(DJANGO_UNCOLLECTABLE_TEST, encoding="utf-8")
    return root


def django_script() -> StageScript:
    script = StageScript()
    script.defaults.update(
        Plan=Reply.json(
            {
                "steps": ["slugify, then the suffix"],
                "touched_symbols": ["headline_slug"],
                "checks": ["the doctest"],
            }
        ),
        GeneratedTests=Reply.json({"code": DJANGO_SPEC_TESTS}),
        Candidate=candidate(DJANGO_CORRECT),
    )
    return script
