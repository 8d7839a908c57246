"""`specloop check`: analyse files on disk and yield one record per reported spec.

Files are read as bytes and must be UTF-8; anything unreadable is reported
as skipped, never a crash. Large trees are analysed in worker processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from specloop.analysis.ambiguity import Label
from specloop.analysis.findings import CODE, Finding, find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.paths import ExcludeRules, python_files
from specloop.analysis.text import ColumnUnit, LineIndex
from specloop.config import Severity

# Below this many files a process pool costs more than it saves.
_PARALLEL_THRESHOLD = 64
_CHUNK = 16


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
    files = [str(path) for path in python_files(paths, rules)]
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
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as error:
        yield Skipped(path, f"cannot be read ({error.strerror or error})")
        return
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as error:
        yield Skipped(path, f"is not valid UTF-8 (byte {error.start}); skipped")
        return
    lines = LineIndex.of(source)
    for finding in find_specs(source, parse(source), lines, options.markers):
        if options.all_labels or finding.label is Label.AMBIGUOUS:
            yield _record(path, source, lines, finding, options.severity)


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
