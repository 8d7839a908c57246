"""What a run works on: a snapshot of the target file, and the other unsaved buffers.

In an editor the buffer, saved or not, is the truth: the language server hands the
run the open document and every other open buffer of the project. Only the command
line and the benchmarks read a file from disk into a snapshot (``read_snapshot``),
and only the command line writes one back (``write_back``). Nothing in a run reads
the target file from disk again.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """One file's text at one moment: its path relative to the project root, and version."""

    path: str
    """POSIX path relative to the project root, e.g. ``src/billing.py``."""
    text: str
    version: int | None = None
    """The editor's document version; None for a file read from disk."""
    bom: bool = False
    """The file starts with a UTF-8 byte order mark, which ``text`` leaves out."""


@dataclass(frozen=True, slots=True)
class Project:
    """The project a run belongs to and the buffers that differ from the disk."""

    root: Path
    open_buffers: Mapping[str, str] = field(default_factory=dict)
    """Relative POSIX path -> text of every open buffer inside ``root``."""

    def with_buffer(self, snapshot: SourceSnapshot) -> dict[str, str]:
        """The open buffers, with ``snapshot`` as the text of its own file."""
        return {**self.open_buffers, snapshot.path: snapshot.text}


@dataclass(frozen=True, slots=True)
class SnapshotError:
    """Why a file cannot be read into a snapshot, as a sentence that says what to do."""

    reason: str


def relative_path(root: Path, path: Path) -> str | None:
    """``path`` relative to ``root`` in POSIX form; None when it lies outside ``root``."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return PurePosixPath(relative.as_posix()).as_posix()


def read_snapshot(root: Path, path: Path) -> SourceSnapshot | SnapshotError:
    """Read ``path`` (inside ``root``) as UTF-8 text: how the CLI and benchmarks make a snapshot."""
    relative = relative_path(root, path)
    if relative is None:
        return SnapshotError(
            f"{path} is outside the project root {root}; run specloop from the project root."
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return SnapshotError(f"{path} does not exist; give the path of a Python file.")
    except IsADirectoryError:
        return SnapshotError(f"{path} is a directory; give the path of a Python file.")
    except OSError as error:
        return SnapshotError(f"{path} could not be read ({error.strerror}); check its permissions.")
    bom = data.startswith(_BOM)
    try:
        text = data[len(_BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as error:
        return SnapshotError(
            f"{path} is not UTF-8 text (invalid byte at offset {error.start}); "
            "specloop reads Python source as UTF-8, so save the file as UTF-8."
        )
    # Python's own newline handling would turn CRLF into LF; the text is kept byte for byte.
    return SourceSnapshot(relative, text, bom=bom)


def write_back(root: Path, base: SourceSnapshot, new_text: str) -> str | None:
    """Write ``new_text`` over the file ``base`` was read from; why not, if it was not.

    Only if the file still holds exactly what ``base`` read, and never over a read-only
    file. The write is atomic (a temporary file in the same folder, then a rename) and
    keeps what the user set: the line endings (the text keeps them), the byte order mark,
    the mode and the owner; a file with other hard links is written in place, so every
    name of it sees the change.
    """
    path = root / base.path
    current = read_snapshot(root, path)
    if isinstance(current, SnapshotError):
        return f"{current.reason} Nothing was written."
    if current.text != base.text or current.bom != base.bom:
        return f"{path} changed while the loop ran; not applied. Run specloop again."
    status = path.stat()
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return (
            f"{path} is read-only (mode {stat.S_IMODE(status.st_mode):o}); not applied. Make it "
            "writable if it should change, then run specloop again."
        )
    data = (_BOM if base.bom else b"") + new_text.encode("utf-8")
    if status.st_nlink > 1:
        # A rename would leave the file's other names holding the old text: write in place.
        with open(path, "r+b") as handle:
            handle.write(data)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        return None
    temporary = path.with_name(f".{path.name}.specloop-{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(PermissionError):  # only root may give a file away
            os.chown(temporary, status.st_uid, status.st_gid)
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return None
