"""`specloop check`: analyse files on disk and yield one record per reported spec.

Files are read as bytes and must be UTF-8; anything else is reported as skipped, with
a reason, never a crash or a hang: only regular files are read (a FIFO named ``x.py``
would block, a link to /dev/zero would never end), at most `MAX_FILE_BYTES` of them,
code nested too deeply to parse safely is left alone, and a file reports at most
`MAX_SPECS_PER_FILE` specs. Folders that cannot be listed are reported too. Large trees
are analysed in worker processes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from specloop.analysis.ambiguity import Label
from specloop.analysis.findings import CODE, Finding, find_specs
from specloop.analysis.parsing import parse_checked
from specloop.analysis.paths import ExcludeRules, python_files
from specloop.analysis.text import ColumnUnit, LineIndex
from specloop.config import Severity

# Below this many files a process pool costs more than it saves.
_PARALLEL_THRESHOLD = 64
_CHUNK = 16
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_SPECS_PER_FILE = 1_000


@dataclass(frozen=True, slots=True)
class Record:
    """One reported spec; lines and columns are 1-based, columns count code points."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    severity: str
    message: str
    label: str
    facets: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str
    unreadable: bool = False
    """It could not be read at all (not a policy such as the size cap)."""


@dataclass(frozen=True, slots=True)
class CheckOptions:
    markers: tuple[str, ...]
    severity: Severity
    all_labels: bool = False


def check(
    paths: Sequence[Path], options: CheckOptions, exclude: Iterable[str] = ()
) -> Iterator[Record | Skipped]:
    """Records for every file under ``paths``, file by file in a stable order."""
    rules = ExcludeRules(Path.cwd(), tuple(exclude))
    folders: list[Skipped] = []

    def unreadable(path: Path, error: OSError) -> None:
        reason = f"is a folder that cannot be listed ({error.strerror or error}); skipped"
        folders.append(Skipped(str(path), reason, unreadable=True))

    files = [str(path) for path in python_files(paths, rules, unreadable)]
    yield from folders
    if len(files) < _PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        for name in files:
            yield from check_file(name, options)
        return
    with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 2, 8)) as pool:
        for results in pool.map(_check_file_list, files, [options] * len(files), chunksize=_CHUNK):
            yield from results


def _check_file_list(path: str, options: CheckOptions) -> list[Record | Skipped]:
    return list(check_file(path, options))


def check_file(path: str, options: CheckOptions) -> Iterator[Record | Skipped]:
    source = _read(path)
    if isinstance(source, Skipped):
        yield source
        return
    tree, problem = parse_checked(source)
    if problem is not None:
        yield Skipped(path, f"was not analysed: {problem}")
        return
    lines = LineIndex.of(source)
    findings = find_specs(source, tree, lines, options.markers, MAX_SPECS_PER_FILE + 1)
    for finding in findings[:MAX_SPECS_PER_FILE]:
        if options.all_labels or finding.label is Label.AMBIGUOUS:
            yield _record(path, source, lines, finding, options.severity)
    if len(findings) > MAX_SPECS_PER_FILE:
        reason = f"holds more than {MAX_SPECS_PER_FILE} specs; only the first were analysed"
        yield Skipped(path, reason)


def _read(path: str) -> bytes | Skipped:
    """The file's bytes, if it is a regular, readable UTF-8 file of a sensible size."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return Skipped(path, "is not a regular file (a FIFO, a device...); skipped", True)
        if status.st_size > MAX_FILE_BYTES:
            size = status.st_size / 1024 / 1024
            limit = MAX_FILE_BYTES // 1024 // 1024
            return Skipped(path, f"is {size:.0f} MB, over the {limit} MB limit; skipped")
        with open(path, "rb") as handle:
            source = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return Skipped(path, f"cannot be read ({error.strerror or error}); skipped", True)
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as error:
        return Skipped(path, f"is not valid UTF-8 (byte {error.start}); skipped")
    return source


def _record(
    path: str, source: bytes, lines: LineIndex, finding: Finding, severity: Severity
) -> Record:
    start = lines.point_of(source, finding.spec.start, ColumnUnit.UTF32)
    end = lines.point_of(source, finding.spec.end, ColumnUnit.UTF32)
    return Record(
        path=Path(path).as_posix(),
        line=start.line + 1,
        column=start.column + 1,
        end_line=end.line + 1,
        end_column=end.column + 1,
        code=CODE,
        severity=severity.value,
        message=finding.message,
        label=finding.label.value,
        facets=finding.facets_data(),
    )
