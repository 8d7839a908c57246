"""What of the project the sandboxes hold, chosen and read once per run, linked into each.

What is copied: the project's Python files (``.py``/``.pyi``), its pytest
configuration (``pyproject.toml``, ``pytest.ini``, ``setup.cfg``, ``tox.ini``,
``conftest.py``) and whatever sits beside the test files (fixtures, data) — never a
dotfile or a secret-looking file (``.env``, keys, credentials, ``secrets/``: see
`specloop.secrets.is_secret_file`), and the editor's unsaved buffers in place of
their files on disk. Copying
all Python files rather than guessing imports is the simple, robust choice: a test
may import anything. Folders that are never source (``.git``, dot-folders such as
``.venv``, ``node_modules``, ``__pycache__``, virtual environments, ``build``,
``dist``) are skipped, files over 1 MB are skipped, and the copy stops at 20 MB or
5,000 files. The files a run needs (the module's packages, the test files and
their ``conftest.py``) are copied first, so the cap only drops files further away.

A run fills many sandboxes (each check's, the subject's, the probes', the mutants'), and
in a large tree choosing and copying the files cost more than the checks themselves.
`ProjectCopy` chooses a set of files once and copies them once, into a folder of its
own, read-only; each sandbox then gets hard links to those copies, and the unsaved
buffers and the candidate written as files of its own. That is safe where the code
under test cannot write the sandbox's project files (namespaces: mounted read-only;
Landlock: writable only below ``home/`` and ``tmp/``); without isolation every sandbox
gets plain copies, as the code there could write through a link into the next check.
What the files are is read when the run starts using them: a file changed on disk
during a run is not seen by that run (the editor's buffers are, as they are the run's).
Across runs, the copies stay while the process lives (`_Store`): a server's next run
links the files that did not change instead of copying them again.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from specloop.analysis.index import is_test_file
from specloop.kept_walks import KeptWalks, file_stamp
from specloop.secrets import is_secret_file
from specloop.validate.sandbox import (
    FOLDER_PREFIX,
    IsolationLevel,
    Sandbox,
    link_files,
    remove_later,
)

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_FILES = 5_000
_CONFIG_FILES = ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini")
_SKIPPED_DIRS = {"node_modules", "__pycache__", "build", "dist", "site-packages", "venv", "env"}
_SOURCE_SUFFIXES = {".py", ".pyi"}


class ProjectCopy:
    """One run's view of the project for its sandboxes (see the module's docstring).

    ``shared``: keep the copies for the run and link them into each sandbox (only when
    the sandbox's project files are read-only to the code under test).
    """

    def __init__(self, root: Path, open_buffers: Mapping[str, str], shared: bool = True) -> None:
        self.root = root.resolve()
        self.buffers = {
            relative_path(self.root, path): text
            for path, text in open_buffers.items()
            if path.endswith((".py", ".pyi"))
        }
        self.shared = shared
        self._chosen: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._listing: list[_Listed] | None = None
        self._copied: set[str] = set()
        self._tried: set[str] = set()
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._remove: Callable[[], object] | None = None

    def close(self) -> None:
        """Remove the run's copies, off the caller's path (also done when this object is
        collected)."""
        if self._remove is not None:
            self._remove()

    def fill(
        self, sandbox: Sandbox, module: str, tests: list[str], without_tests: bool = False
    ) -> None:
        """Put the project in ``sandbox``, unsaved buffers in place of their files.

        The module itself is left for the caller to write: it is the candidate's.
        ``without_tests``: no test file and no ``conftest.py`` (the subject's copy).
        """
        with self._lock:
            key = (module, tuple(tests))
            if self._listing is None:
                self._listing = project_listing(self.root)
            if key not in self._chosen:
                files, skipped = _chosen_files(self.root, module, tests, self._listing)
                if not self._chosen:  # once a run: the other choices differ by a test file
                    _warn_over_cap(len(files), skipped)
                self._chosen[key] = files
            files = self._chosen[key]
        buffers = self.buffers
        if without_tests:
            files = [path for path in files if not _is_test_or_setup(path)]
            buffers = {path: text for path, text in buffers.items() if not _is_test_or_setup(path)}
        wanted = [path for path in files if path != module and path not in buffers]
        if self.shared and sandbox.isolation.level is not IsolationLevel.NONE:
            folder, copied = self._copies(wanted)
            sandbox.link_in(folder, [path for path in wanted if path in copied])
        else:
            sandbox.copy_in(self.root, [path for path in wanted if _stamp(self.root, path)])
        for path, text in buffers.items():
            sandbox.write(path, text)

    def _copies(self, paths: list[str]) -> tuple[Path, set[str]]:
        """The run's folder of copies, holding ``paths`` (linked now if they are new), and
        all it holds: a file that vanished or became unreadable since it was listed is not
        there."""
        with self._lock:
            if self._folder is None:
                # Named with the owner's pid, as a sandbox's: swept if the process is killed.
                prefix = f"{FOLDER_PREFIX}{os.getpid()}-project-"
                self._folder = Path(tempfile.mkdtemp(prefix=prefix))
                self._remove = weakref.finalize(self, remove_later, self._folder)
            new = [relative for relative in paths if relative not in self._tried]
            self._copied.update(_store_of(self.root).link_into(self._folder, new))
            self._tried.update(new)
            return self._folder, self._copied


class _Store:
    """Read-only copies of one project's files, kept while the process lives.

    A long-lived server runs the loop again and again over the same tree: copying its
    files for each run cost as much as the checks in a large tree. A run's folder gets
    hard links to these copies, so it keeps the files as they were when the run took
    them; a file changed on disk since (its size, times or inode differ) is copied anew
    under the same name, a new inode, which earlier runs' links do not see.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        # Named as a sandbox folder is, with the owner's pid: the next specloop removes the
        # store of one that was killed (`sandbox._sweep_stale_folders`).
        prefix = f"{FOLDER_PREFIX}{os.getpid()}-store-"
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        self._copied: dict[str, tuple[int, int, int, int]] = {}
        self._lock = threading.Lock()

    def link_into(self, folder: Path, paths: list[str]) -> list[str]:
        """Hard links in ``folder`` to fresh copies of ``paths``; the paths linked (not a
        file that is gone, unreadable or no longer a small regular file)."""
        with self._lock:
            fresh = [(relative, self._fresh(relative)) for relative in paths]
            linked = [(relative, stored) for relative, stored in fresh if stored is not None]
            link_files((stored, os.path.join(folder, relative)) for relative, stored in linked)
            return [relative for relative, _ in linked]

    def _fresh(self, relative: str) -> str | None:
        stored = os.path.join(self.folder, relative)
        key = _stamp(self.root, relative)
        if key is None:
            return None
        if self._copied.get(relative) != key:
            try:
                os.makedirs(os.path.dirname(stored), exist_ok=True)
                fresh = f"{stored}.specloop-new"
                shutil.copyfile(os.path.join(self.root, relative), fresh)
                os.chmod(fresh, 0o444)
                os.replace(fresh, stored)
            except OSError as error:
                log.info("Not copied to the sandbox: %s (%s)", relative, error.strerror)
                return None
            self._copied[relative] = key
        return stored


_STORES: dict[Path, _Store] = {}
_STORES_LOCK = threading.Lock()


def _store_of(root: Path) -> _Store:
    with _STORES_LOCK:
        if root not in _STORES:
            _STORES[root] = _Store(root)
        return _STORES[root]


def remove_stores() -> None:
    """Remove the copies kept across runs (when the process ends, or is told to stop)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            shutil.rmtree(store.folder, ignore_errors=True)
        _STORES.clear()


atexit.register(remove_stores)


def run_copy(files: ProjectCopy | None, root: Path, open_buffers: Mapping[str, str]) -> ProjectCopy:
    """The run's copy when a request carries one; else a copy for this sandbox alone."""
    return files if files is not None else ProjectCopy(root, open_buffers, shared=False)


def _is_test_or_setup(path: str) -> bool:
    return is_test_file(path) or PurePosixPath(path).name == "conftest.py"


def project_files(
    root: Path, module: str, tests: list[str], listing: list[_Listed] | None = None
) -> list[str]:
    """The project's files to copy (relative paths), essentials first, within the caps.

    ``listing``: the project's files as `project_listing` found them (once per run)."""
    files, skipped = _chosen_files(root, module, tests, listing)
    _warn_over_cap(len(files), skipped)
    return files


def _chosen_files(
    root: Path, module: str, tests: list[str], listing: list[_Listed] | None
) -> tuple[list[str], int]:
    """`project_files`, and how many more files the caps left out."""
    root = root.resolve()
    needed = [module, *tests]
    essentials = [path for path in _essentials(root, needed) if _copyable(root, path)]
    chosen: dict[str, None] = dict.fromkeys(essentials)
    total = sum(_size(root / path) for path in chosen)
    skipped = 0
    for path, size in _candidates(listing if listing is not None else project_listing(root), tests):
        if path in chosen:
            continue
        if len(chosen) >= MAX_FILES or total + size > MAX_TOTAL_BYTES:
            skipped += 1
            continue
        chosen[path] = None
        total += size
    return list(chosen), skipped


def _warn_over_cap(copied: int, skipped: int) -> None:
    if skipped:
        log.warning(
            "Copied %d project files to the sandbox; %d more were over the cap.", copied, skipped
        )


def _essentials(root: Path, needed: list[str]) -> Iterator[str]:
    """The needed files, plus ``__init__.py``/``conftest.py`` on their way and the config."""
    yield from (name for name in _CONFIG_FILES if (root / name).is_file())
    for path in needed:
        parts = PurePosixPath(path).parts
        for depth in range(len(parts)):
            folder = PurePosixPath(*parts[:depth])
            for name in ("__init__.py", "conftest.py"):
                if (root / folder / name).is_file():
                    yield str(folder / name)
        if (root / path).is_file():
            yield path


_Listed = tuple[str, str, int]
"""A file the walk found: its folder (relative, "" at the root), its name, its size (-1:
not copyable). Strings, not paths: a large tree has thousands, and pathlib is slow."""


_LISTINGS: KeptWalks[str, list[_Listed]] = KeptWalks()
"""The process's listings (a server's, across its runs): see `specloop.kept_walks`.

A file's size may have changed since its folder's listing was kept: the caps count the
listed size, and the store, which looks at each file it copies, leaves out one that is no
longer a small regular file."""


def project_listing(root: Path) -> list[_Listed]:
    """Every file below ``root`` outside skipped folders, in a stable order, judged once."""
    kept = _LISTINGS.get(str(root))
    if kept is not None:
        return kept
    started = time.time_ns()
    read: list[str] = []
    found = list(_walk(root, read))
    _LISTINGS.keep(str(root), read, found, started)
    return found


def _walk(root: Path, read: list[str]) -> Iterator[_Listed]:
    """`project_listing`'s walk; ``read`` is told of each folder listed, each environment's
    ``pyvenv.cfg`` and each symlinked file's target."""
    top = str(root)
    for directory, subdirs, files in os.walk(top):
        read.append(directory)
        subdirs[:] = sorted(
            name for name in subdirs if not _skipped_dir(Path(directory, name), read)
        )
        relative = os.path.relpath(directory, top).replace(os.sep, "/")
        folder = "" if relative == "." else relative
        for name in sorted(files):
            path = f"{folder}/{name}" if folder else name
            yield folder, name, _walked_size(root, os.path.join(directory, name), path, read)


def _candidates(listing: Iterable[_Listed], tests: list[str]) -> Iterator[tuple[str, int]]:
    """Python files anywhere, and any file beside the test files, with their sizes."""
    test_dirs = {os.path.dirname(path) for path in tests}
    for folder, name, size in listing:
        if size < 0:
            continue
        beside_tests = any(
            not test_dir or folder == test_dir or folder.startswith(test_dir + "/")
            for test_dir in test_dirs
        )
        if os.path.splitext(name)[1] in _SOURCE_SUFFIXES or beside_tests:
            yield (f"{folder}/{name}" if folder else name), size


def _walked_size(root: Path, full: str, path: str, read: list[str]) -> int:
    """`_copyable` for a file the walk found: the walk enters no symlinked folder, so only
    a symlinked file needs resolving. Its size; -1 when it is not copyable."""
    try:
        found = os.lstat(full)
    except OSError:
        return -1
    if stat.S_ISLNK(found.st_mode):
        read.append(os.path.realpath(full))
        return _size(Path(full)) if _copyable(root, path) else -1
    copyable = not is_secret_file(path) and _small_readable_file(found, full)
    return found.st_size if copyable else -1


def _stamp(root: Path, relative: str) -> tuple[int, int, int, int] | None:
    """The file's size, times and inode if it is still a small readable regular file: the
    listing may be older than the file's last change (`_LISTINGS`)."""
    full = os.path.join(root, relative)
    try:
        found = os.stat(full)
    except OSError:
        return None
    return file_stamp(found) if _small_readable_file(found, full) else None


def _small_readable_file(found: os.stat_result, full: str) -> bool:
    """A regular file within the size cap that this process can read."""
    return (
        stat.S_ISREG(found.st_mode) and found.st_size <= MAX_FILE_BYTES and _readable(found, full)
    )


def _readable(found: os.stat_result, full: str) -> bool:
    """``os.access(full, R_OK)``, answered from the file's mode when that settles it: the
    walk meets every file of a large tree once per run."""
    if found.st_uid == os.geteuid() and found.st_mode & stat.S_IRUSR:
        return True
    return os.access(full, os.R_OK)


def _skipped_dir(path: Path, read: list[str]) -> bool:
    if path.name.startswith(".") or path.name in _SKIPPED_DIRS or path.is_symlink():
        return True
    marker = path / "pyvenv.cfg"
    if marker.exists():
        read.append(str(marker))
        return True
    return False


def _copyable(root: Path, path: str) -> bool:
    """A regular file inside the project, small enough, readable, and not a secret — judged
    by what it is, not by its name: a symlink ``config_local.py`` to ``.env.local`` is not."""
    if is_secret_file(path):
        return False
    full = root / path
    try:
        resolved = full.resolve()
        return (
            resolved.is_file()
            and root in resolved.parents
            and not is_secret_file(resolved.relative_to(root).as_posix())
            and resolved.stat().st_size <= MAX_FILE_BYTES
            and os.access(resolved, os.R_OK)
        )
    except OSError:
        return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def relative_path(root: Path, path: str) -> str:
    """``path`` relative to ``root``, POSIX-style; refuses paths outside the project."""
    candidate = Path(path)
    if candidate.is_absolute():
        candidate = candidate.resolve().relative_to(root.resolve())
    relative = PurePosixPath(candidate.as_posix())
    if ".." in relative.parts:
        raise ValueError(f"The path {path!r} is outside the project {root}.")
    return str(relative)
