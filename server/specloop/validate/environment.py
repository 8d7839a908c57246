"""The project's Python environment: which interpreter runs the checks, and what of it to show.

A project's code imports its dependencies, and they live in the project's environment,
not in specloop's. `find_environment` looks where editors look, in this order, and says
which one it used:

1. the setting ``python`` (CLI ``--python``; VS Code passes the Python extension's
   interpreter of the file's workspace folder): an interpreter or a virtual environment;
2. ``VIRTUAL_ENV``, unless it is specloop's own environment;
3. ``.venv`` or ``venv`` in the project root (uv's and most tools' default; uv's
   ``UV_PROJECT_ENVIRONMENT`` too);
4. PDM's ``.pdm-python`` and Poetry's cache of virtual environments, found without
   running either tool;
5. else specloop's own interpreter, with one line naming what was tried.

The interpreter is asked once (cached until it changes) for its version and the folders
it reads — prefixes, standard library, site-packages, and folders its ``.pth`` files add
outside the project — with ``-I`` (nothing from the caller's environment). The sandbox
shows exactly those folders, read-only. pytest comes from the environment when it has
it; otherwise specloop lends its own (`pytest_kit`): a copy of pytest and its pure-Python
dependencies in specloop's cache, put on the path of that run only. Nothing is ever
installed into, or written to, the project's environment.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import util as import_util
from pathlib import Path

import platformdirs

_QUERY_TIMEOUT_S = 20.0
_QUERY = """\
import importlib.util, json, sys
print(json.dumps({
    "version": list(sys.version_info[:3]),
    "prefixes": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}),
    "path": [entry for entry in sys.path if entry],
    "pytest": importlib.util.find_spec("pytest") is not None,
}))
"""
KIT_MODULES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py")
"""What specloop's own pytest needs to run in an environment that has no pytest."""
KIT_MIN_VERSION = (3, 11)
"""specloop's pytest and its dependencies need this Python or newer without extra packages."""


class InterpreterError(Exception):
    """The configured interpreter cannot be used; the message says what to do."""


@dataclass(frozen=True)
class PythonEnvironment:
    """An interpreter the checks run with, and what the sandbox must show of it."""

    python: str
    """The interpreter as found (not resolved: a venv's ``bin/python``)."""
    version: tuple[int, int, int]
    readable: tuple[str, ...]
    """Folders (and files) the interpreter reads: shown read-only in the sandbox."""
    source: str
    """How it was found: ``the setting python``, ``.venv in the project``, ..."""
    has_pytest: bool
    own: bool = False
    """specloop's own interpreter: no project environment was found (or none was asked for)."""
    tried: tuple[str, ...] = ()
    """What was looked for before falling back to specloop's own."""
    kit: str | None = None
    """specloop's own pytest, put on the path when the environment has none."""

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def bin_dir(self) -> str:
        return str(Path(self.python).parent)

    @property
    def project_pytest(self) -> bool:
        """The project's own pytest runs the checks (with its plugins and configuration)."""
        return self.has_pytest and not self.own

    def label(self, root: Path | None = None) -> str:
        """``.venv/bin/python (3.12)``: the interpreter, relative to the project when inside it."""
        shown = self.python
        if root is not None and Path(self.python).is_relative_to(root):
            shown = str(Path(self.python).relative_to(root))
        return f"{shown} ({self.short_version})"

    def describe(self, root: Path | None = None) -> str:
        """One line for every report: which interpreter, found how, and where pytest came from."""
        found = f"{self.label(root)}, {self.source}"
        if self.own and self.tried:
            found += f" (no project environment: looked for {', '.join(self.tried)})"
        pytest = "its own pytest" if self.has_pytest else "specloop's pytest, lent for the run"
        return f"checks ran with {found}; {pytest}"

    def pythonpath(self, sandbox: Path, roots: list[str]) -> str:
        """PYTHONPATH inside the sandbox: the project's source roots, then the lent pytest."""
        entries = [str(sandbox / root) if root != "." else str(sandbox) for root in roots]
        if not self.has_pytest and self.kit is not None:
            entries.append(self.kit)
        return os.pathsep.join(entries)


@dataclass(frozen=True)
class _Found:
    python: Path
    source: str


@dataclass
class _Search:
    root: Path
    tried: list[str] = field(default_factory=list)


def find_environment(
    root: Path, configured: str | None = None, environ: Mapping[str, str] | None = None
) -> PythonEnvironment:
    """The environment the checks of a project at ``root`` run with (see the module doc).

    Raises `InterpreterError` when ``configured`` names no usable interpreter: a setting
    the user gave is never silently replaced by another interpreter.
    """
    environ = os.environ if environ is None else environ
    if configured:
        python = _interpreter(Path(configured).expanduser(), root)
        problem = "it does not exist or is not a Python interpreter or virtual environment"
        if python is not None:
            try:
                return _described(_Found(python, "the setting python"), root)
            except InterpreterError as error:
                problem = str(error)
        raise InterpreterError(
            f"The Python interpreter set for specloop ({configured}) cannot be used: "
            f"{problem}. Set `python` (CLI: --python) to the project's interpreter or "
            "virtual environment, e.g. .venv/bin/python."
        )
    search = _Search(root.resolve())
    for finder in (_virtual_env, _project_folders, _pdm, _poetry):
        found = finder(search, environ)
        if found is not None:
            try:
                return _described(found, root)
            except InterpreterError as error:
                search.tried.append(f"{found.python} ({error})")
    return own_environment(tuple(search.tried))


def own_environment(tried: tuple[str, ...] = ()) -> PythonEnvironment:
    """specloop's own interpreter, for a project without an environment of its own."""
    return _own(tried)


@functools.cache
def _own(tried: tuple[str, ...]) -> PythonEnvironment:
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    executable = Path(sys.executable)
    folders = [*prefixes, str(executable.parent), str(executable.resolve().parent)]
    return PythonEnvironment(
        python=sys.executable,
        version=(sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
        readable=tuple(dict.fromkeys(folders)),
        source="specloop's own interpreter",
        has_pytest=True,
        own=True,
        tried=tried,
    )


def _described(found: _Found, root: Path) -> PythonEnvironment:
    answer = _cached_answer(str(found.python), _stamp(found.python))
    kit = None if answer.pytest else pytest_kit(answer.version)
    readable = _readable(found.python, answer, root.resolve())
    return PythonEnvironment(
        python=str(found.python),
        version=answer.version,
        readable=readable + ((kit,) if kit else ()),
        source=found.source,
        has_pytest=answer.pytest,
        own=_same_interpreter(found.python),
        kit=kit,
    )


# ---------------------------------------------------------------- where to look


def _virtual_env(search: _Search, environ: Mapping[str, str]) -> _Found | None:
    value = environ.get("VIRTUAL_ENV")
    if not value:
        search.tried.append("VIRTUAL_ENV")
        return None
    folder = Path(value)
    if _same_prefix(folder):
        search.tried.append("VIRTUAL_ENV (specloop's own)")
        return None
    python = _interpreter(folder, search.root)
    if python is None:
        search.tried.append(f"VIRTUAL_ENV ({value}: no interpreter)")
        return None
    return _Found(python, "VIRTUAL_ENV")


def _project_folders(search: _Search, environ: Mapping[str, str]) -> _Found | None:
    names = [".venv", "venv"]
    uv_environment = environ.get("UV_PROJECT_ENVIRONMENT")
    if uv_environment:
        names.insert(0, uv_environment)
    for name in names:
        folder = search.root / name
        python = _interpreter(folder, search.root) if (folder / "pyvenv.cfg").is_file() else None
        if python is not None and not _same_prefix(folder):
            return _Found(python, f"{name} in the project")
    search.tried.append(" and ".join(f"{name}/" for name in names))
    return None


def _pdm(search: _Search, environ: Mapping[str, str]) -> _Found | None:
    marker = search.root / ".pdm-python"
    try:
        python = _interpreter(Path(marker.read_text(encoding="utf-8").strip()), search.root)
    except (OSError, UnicodeDecodeError):
        python = None
    if python is None:
        search.tried.append(".pdm-python")
        return None
    return _Found(python, "PDM (.pdm-python)")


def _poetry(search: _Search, environ: Mapping[str, str]) -> _Found | None:
    """Poetry's environment for this project in its cache (``<name>-<hash>-py<X.Y>``)."""
    name = _project_name(search.root)
    if name is None:
        search.tried.append("Poetry's virtualenvs")
        return None
    cache = environ.get("POETRY_VIRTUALENVS_PATH") or str(
        Path(environ.get("POETRY_CACHE_DIR") or platformdirs.user_cache_dir("pypoetry"))
        / "virtualenvs"
    )
    sanitized = re.sub(r'[ $`!*@"\\\r\n\t]', "_", name.lower())[:42]
    digest = hashlib.sha256(str(search.root).encode()).digest()
    prefix = f"{sanitized}-{base64.urlsafe_b64encode(digest).decode()[:8]}-py"
    for folder in sorted(Path(cache).glob(f"{prefix}*"), reverse=True):
        python = _interpreter(folder, search.root)
        if python is not None:
            return _Found(python, "Poetry's virtualenv")
    search.tried.append("Poetry's virtualenvs")
    return None


def _project_name(root: Path) -> str | None:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    poetry = data.get("tool", {}).get("poetry", {})
    name = poetry.get("name") or data.get("project", {}).get("name")
    return name if isinstance(name, str) else None


def _interpreter(path: Path, root: Path) -> Path | None:
    """``path`` itself when it is an interpreter, or the one of the environment at ``path``."""
    if not path.is_absolute():
        path = root / path
    if path.is_dir():
        candidates = [path / "bin" / "python", path / "bin" / "python3"]
        path = next((candidate for candidate in candidates if _executable(candidate)), path)
    return Path(os.path.abspath(path)) if _executable(path) else None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _same_prefix(folder: Path) -> bool:
    try:
        return folder.resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False


def _same_interpreter(python: Path) -> bool:
    return _same_prefix(python.parent.parent) or python == Path(sys.executable)


# ---------------------------------------------------------------- asking the interpreter


def _stamp(python: Path) -> tuple[float, ...]:
    """Changes when the environment does: the interpreter and its pyvenv.cfg."""
    stamps = []
    for path in (python, python.parent.parent / "pyvenv.cfg"):
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:
            stamps.append(0.0)
    return tuple(stamps)


@dataclass(frozen=True)
class _Answer:
    """What an interpreter says about itself."""

    version: tuple[int, int, int]
    prefixes: tuple[Path, ...]
    path: tuple[Path, ...]
    pytest: bool


@functools.lru_cache(maxsize=32)
def _cached_answer(python: str, stamp: tuple[float, ...]) -> _Answer:
    return _ask(python)


def _ask(python: str) -> _Answer:
    """The interpreter's version and search path (``-I``: no variable of ours reaches it)."""
    try:
        completed = subprocess.run(
            [python, "-I", "-c", _QUERY],
            capture_output=True,
            text=True,
            timeout=_QUERY_TIMEOUT_S,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InterpreterError(f"it could not be run: {error}") from error
    try:
        data = json.loads(completed.stdout.strip().splitlines()[-1])
        major, minor, micro = (int(part) for part in data["version"][:3])
        return _Answer(
            version=(major, minor, micro),
            prefixes=tuple(Path(str(prefix)) for prefix in data["prefixes"]),
            path=tuple(Path(str(entry)) for entry in data["path"]),
            pytest=bool(data["pytest"]),
        )
    except (ValueError, IndexError, KeyError, TypeError):
        detail = (completed.stderr.strip() or f"exit status {completed.returncode}")[-300:]
        raise InterpreterError(f"it did not answer as Python does: {detail}") from None


def _readable(python: Path, answer: _Answer, root: Path) -> tuple[str, ...]:
    """What the sandbox shows: the prefixes (site-packages inside them), search-path folders
    outside the project and the home folder, and the interpreter's folders."""
    home = Path.home()
    shown: dict[str, None] = dict.fromkeys(map(str, answer.prefixes))
    for path in answer.path:
        if any(_is_within(path, prefix) for prefix in answer.prefixes):
            continue  # shown with its prefix
        if _is_within(path, root):
            continue  # the project itself is the sandbox's copy, never the original
        if _is_within(path, home):
            continue  # nothing of the home folder but the environment itself
        if path.exists():
            shown[str(path)] = None
    shown[str(python.parent)] = None
    shown[str(python.resolve().parent)] = None
    return tuple(shown)


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


# ---------------------------------------------------------------- specloop's own pytest


def pytest_kit(version: tuple[int, ...]) -> str | None:
    """A folder holding specloop's pytest and what it needs, for an environment without pytest.

    Built once per pytest version in specloop's cache; None when it cannot run on
    ``version`` of Python (then the environment needs pytest of its own).
    """
    if tuple(version[:2]) < KIT_MIN_VERSION:
        return None
    import pytest

    return str(_build_kit(pytest.__version__))


@functools.cache
def _build_kit(pytest_version: str) -> Path:
    contents = hashlib.sha256(" ".join(KIT_MODULES).encode()).hexdigest()[:8]
    folder = platformdirs.user_cache_path("specloop") / f"pytest-kit-{pytest_version}-{contents}"
    if (folder / ".complete").exists():
        return folder
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in KIT_MODULES:
        spec = import_util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(
                origin.parent,
                staging / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        else:
            shutil.copy2(origin, staging / origin.name)
    (staging / ".complete").write_text(pytest_version)
    try:
        staging.rename(folder)
    except OSError:  # another process built it first
        shutil.rmtree(staging, ignore_errors=True)
    return folder
