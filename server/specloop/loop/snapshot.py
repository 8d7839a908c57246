"""What a run works on: a snapshot of the target file, and the other unsaved buffers.

In an editor the buffer, saved or not, is the truth: the language server hands the
run the open document and every other open buffer of the project. Only the command
line and the benchmarks read a file from disk into a snapshot (``read_snapshot``).
Nothing in a run reads the target file from disk again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """One file's text at one moment: its path relative to the project root, and version."""

    path: str
    """POSIX path relative to the project root, e.g. ``src/billing.py``."""
    text: str
    version: int | None = None
    """The editor's document version; None for a file read from disk."""


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
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return SnapshotError(
            f"{path} is not UTF-8 text (invalid byte at offset {error.start}); "
            "specloop reads Python source as UTF-8, so save the file as UTF-8."
        )
    # Python's own newline handling would turn CRLF into LF; the text is kept byte for byte.
    return SourceSnapshot(relative, text)
