"""Which files to analyse: gitignore-style excludes, .gitignore files, and safe defaults."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from specloop.kept_walks import KeptWalks

# Directories nobody wants linted; the same spirit as ruff's default excludes. Vendored
# copies of other projects are theirs to clarify, not this project's: pip's `_vendor/`,
# numpy's `vendored-meson/` (their TODOs were most of both trees' findings).
DEFAULT_EXCLUDES = (
    ".git/",
    ".hg/",
    ".svn/",
    ".bzr/",
    ".tox/",
    ".nox/",
    ".venv/",
    "venv/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".pytest_cache/",
    "__pycache__/",
    "__pypackages__/",
    "node_modules/",
    "site-packages/",
    "_build/",
    "buck-out/",
    "_vendor/",
    "vendor/",
    "vendored/",
    "_vendored/",
    "vendored-*/",
    "third_party/",
    "third-party/",
    "thirdparty/",
)
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class ExcludeRules:
    """User excludes (relative to ``root``) plus every .gitignore met while walking."""

    root: Path
    patterns: tuple[str, ...] = ()
    _with_defaults: pathspec.GitIgnoreSpec = field(init=False)
    _user: pathspec.GitIgnoreSpec = field(init=False)

    def __post_init__(self) -> None:
        self._with_defaults = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDES, *self.patterns])
        self._user = pathspec.GitIgnoreSpec.from_lines(self.patterns)

    def excludes(self, path: Path, is_dir: bool = False) -> bool:
        """Whether a path named on its own (an open file, a file given to the command
        line with ``--force-exclude``) is left out: inside a default-excluded folder too."""
        relative = _relative(path.resolve(), self.root.resolve())
        return relative is not None and self._with_defaults.match_file(
            relative + ("/" if is_dir else "")
        )

    def user_excludes(self, relative: str, is_dir: bool) -> bool:
        return self._user.match_file(relative + ("/" if is_dir else ""))


_DEFAULT_FOLDERS = pathspec.GitIgnoreSpec.from_lines(DEFAULT_EXCLUDES)


def _default_folder(name: str) -> bool:
    """A folder the walk does not enter below a path it was given (``.venv``, ``_vendor``):
    matched by name, so naming such a folder still checks what is inside it."""
    return _DEFAULT_FOLDERS.match_file(name + "/")


Unreadable = Callable[[Path, OSError], None]
"""Told of every folder that could not be listed."""


def python_files(
    paths: Iterable[Path], rules: ExcludeRules, unreadable: Unreadable | None = None
) -> Iterator[Path]:
    """Python files under ``paths`` in a stable order; paths named explicitly are kept.

    A named path that is not a folder is yielded as it is (a FIFO or a device too: the
    reader decides what to do with it).
    """
    for path in paths:
        if path.is_dir():
            yield from _walk(path, rules, unreadable)
        else:
            yield path


_WALKS: KeptWalks[tuple[str, str, str, tuple[str, ...]], list[Path]] = KeptWalks()
"""The process's walks (a server's, across its runs): see `specloop.kept_walks`."""


def _walk(top: Path, rules: ExcludeRules, unreadable: Unreadable | None) -> Iterator[Path]:
    # Everything is compared as resolved paths (resolved once); results keep the user's spelling.
    resolved_top = top.resolve()
    rules = ExcludeRules(rules.root.resolve(), rules.patterns)
    key = (str(top), str(resolved_top), str(rules.root), rules.patterns)
    kept = _WALKS.get(key)
    if kept is not None:
        yield from kept
        return
    started = time.time_ns()
    found: list[Path] = []
    read: list[str] = []  # what the walk depends on: folders listed, .gitignore files read
    ignores: list[tuple[Path, pathspec.GitIgnoreSpec]] = list(_ancestor_gitignores(top, read))
    failed = False

    def report(error: OSError) -> None:
        nonlocal failed
        failed = True
        if unreadable is not None and error.filename is not None:
            unreadable(top / Path(error.filename).relative_to(resolved_top), error)

    for directory, subdirectories, files in os.walk(resolved_top, onerror=report):
        here = Path(directory)
        read.append(directory)
        # Scopes of .gitignore files that are no longer ancestors of `here` are dropped.
        ignores = [(base, spec) for base, spec in ignores if _relative(here, base) is not None]
        own = _read_gitignore(here)
        if own is not None:
            ignores.append((here, own))
            read.append(os.path.join(directory, ".gitignore"))
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not _ignored(os.path.join(directory, name), True, rules, ignores)
        )
        # Strings, not paths, per file: a large tree has thousands of them.
        below = top / os.path.relpath(directory, resolved_top)
        for name in sorted(files):
            path = os.path.join(directory, name)
            if name.endswith(PYTHON_SUFFIXES) and not _ignored(path, False, rules, ignores):
                found.append(below / name)
                yield found[-1]
    if not failed:  # an unreadable folder is told of on every walk
        _WALKS.keep(key, read, found, started)


def _ignored(
    path: str,
    is_dir: bool,
    rules: ExcludeRules,
    ignores: list[tuple[Path, pathspec.GitIgnoreSpec]],
) -> bool:
    """``path`` and every base here are already resolved."""
    if is_dir and _default_folder(os.path.basename(path)):
        return True
    if rules.patterns:
        relative = _relative(path, rules.root)
        if relative is not None and rules.user_excludes(relative, is_dir):
            return True
    return any(_matches(spec, path, base, is_dir) for base, spec in ignores)


def _matches(spec: pathspec.GitIgnoreSpec, path: Path | str, base: Path, is_dir: bool) -> bool:
    relative = _relative(path, base)
    return relative is not None and spec.match_file(relative + ("/" if is_dir else ""))


def _ancestor_gitignores(
    top: Path, read: list[str]
) -> Iterator[tuple[Path, pathspec.GitIgnoreSpec]]:
    """The .gitignore files above ``top`` up to its repository root, outermost first.

    ``read`` is told of each path the answer depends on: not the folders above (a
    temporary folder changes all the time), but the .gitignore files in them, read or
    missing, and the ``.git`` that is missing in each below the repository's root."""
    resolved = top.resolve()
    if (resolved / ".git").exists():
        return
    read.append(str(resolved / ".git"))
    found = []
    for directory in resolved.parents:
        read.append(str(directory / ".gitignore"))
        spec = _read_gitignore(directory)
        if spec is not None:
            found.append((directory, spec))
        if (directory / ".git").exists():
            # A directory named explicitly is checked even if a .gitignore above hides it.
            if not any(_matches(spec, resolved, base, True) for base, spec in found):
                yield from reversed(found)
            return
        read.append(str(directory / ".git"))
    # Not inside a repository: .gitignore files further up do not apply.


def _read_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = text.splitlines()
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:  # git skips a line that is no pattern ("!" alone), and so does this
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _is_pattern(line)])


def checked_pattern(pattern: str) -> str:
    """``pattern``, if it is a gitignore pattern; else a ValueError that says so (for an
    ``exclude`` of the command line, the editor or ``[tool.specloop]``)."""
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except ValueError:
        raise ValueError(f"{pattern!r} is not a gitignore pattern") from None
    return pattern


def _is_pattern(line: str) -> bool:
    try:
        checked_pattern(line)
    except ValueError:
        return False
    return True


def _relative(path: Path | str, base: Path) -> str | None:
    """``path`` relative to ``base`` (both already resolved), or None if outside it."""
    path_text, base_text = str(path), str(base)
    if path_text == base_text:
        return "."
    prefix = base_text if base_text.endswith(os.sep) else base_text + os.sep
    if not path_text.startswith(prefix):
        return None
    return path_text[len(prefix) :].replace(os.sep, "/")
