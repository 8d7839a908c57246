"""`specloop check`: analyse files on disk and yield one record per reported spec.

Files are read as bytes and must be UTF-8; anything else is reported as skipped, with
a reason, never a crash or a hang: only regular files are read (a FIFO named ``x.py``
would block, a link to /dev/zero would never end), at most `MAX_FILE_BYTES` of them,
code nested too deeply to parse safely is left alone, and a file reports at most
`MAX_SPECS_PER_FILE` specs. Folders that cannot be listed are reported too. Large trees
are analysed in worker processes.

Each file is checked with its project's ``[tool.specloop]`` (`specloop.project`) under
the command line's options. A project configuration with a bad key or bad TOML stops the
check before any file is read (`ConfigProblem`), as ruff does: a result computed with
settings the user did not mean is worse than none.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Tree

from specloop.analysis.findings import CODE, Finding, find_specs
from specloop.analysis.parsing import parse_checked
from specloop.analysis.paths import ExcludeRules, python_files
from specloop.analysis.selection import reported
from specloop.analysis.symbols import enclosing_name
from specloop.analysis.text import ColumnUnit, LineIndex
from specloop.analysis.tiers import severity_of
from specloop.config import DiagnosticsSettings
from specloop.defaults import Severity, Tiers
from specloop.project import ProjectConfig, ProjectConfigs

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
    tier: str = "precise"
    """The finding's confidence tier (`specloop.analysis.tiers`): precise or broad."""
    facets: list[dict[str, str]] = field(default_factory=list)
    symbol: str = ""
    """The dotted name of the classes and functions around the spec ("" at module level)."""
    text: str = ""
    """The spec's words as `Spec.text` has them (what a baseline key is made of)."""


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str
    unreadable: bool = False
    """It could not be read at all (not a policy such as the size cap)."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """A project configuration that cannot be used as written: the check does not run."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What the command line asked for; None: the project's value, else the default."""

    markers: tuple[str, ...] | None = None
    severity: Severity | None = None
    all_labels: bool = False
    force_exclude: bool = False
    """Apply excludes to files named on the command line too (what pre-commit passes)."""
    tiers: Tiers | None = None


@dataclass(frozen=True, slots=True)
class FileOptions:
    """How one file is checked: the command line's options over its project's."""

    settings: DiagnosticsSettings
    all_labels: bool = False
    relative: str | None = None
    """The file's path relative to its project's folder (what test-file-ness is read from)."""


def check(
    paths: Sequence[Path], options: CheckOptions, exclude: Iterable[str] = ()
) -> Iterator[Record | Skipped | ConfigProblem]:
    """Records for every file under ``paths``, file by file in a stable order."""
    rules = ExcludeRules(Path.cwd(), tuple(exclude))
    folders: list[Skipped] = []

    def unreadable(path: Path, error: OSError) -> None:
        reason = f"is a folder that cannot be listed ({error.strerror or error}); skipped"
        folders.append(Skipped(str(path), reason, unreadable=True))

    named = {path for path in paths if not path.is_dir()}
    configs = ProjectConfigs()
    planned: list[tuple[str, ProjectConfig | None]] = []
    for path in python_files(paths, rules, unreadable):
        project = configs.for_file(path)
        if _included(path, path in named, options.force_exclude, rules, project):
            planned.append((str(path), project))
    problems = {p.path: p for _, p in planned if p is not None and p.message() is not None}
    if problems:
        for path in sorted(problems):
            yield ConfigProblem(str(path), problems[path].message() or "")
        return
    yield from folders
    files = [name for name, _ in planned]
    per_file = [_file_options(options, project, Path(name)) for name, project in planned]
    if len(files) < _PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        for name, file_options in zip(files, per_file, strict=True):
            yield from check_file(name, file_options)
        return
    with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 2, 8)) as pool:
        for results in pool.map(_check_file_list, files, per_file, chunksize=_CHUNK):
            yield from results


def _included(
    path: Path,
    named: bool,
    force_exclude: bool,
    rules: ExcludeRules,
    project: ProjectConfig | None,
) -> bool:
    """A file named on the command line is checked unless ``force_exclude``; one found by
    walking already passed the command line's excludes, and meets its project's here."""
    if named and not force_exclude:
        return True
    if named and rules.excludes(path):
        return False
    return project is None or not project.excludes(path)


def _file_options(options: CheckOptions, project: ProjectConfig | None, path: Path) -> FileOptions:
    values = dict(project.values) if project is not None else {}
    if options.markers is not None:
        values["markers"] = options.markers
    if options.severity is not None:
        values["severity"] = options.severity
    if options.tiers is not None:
        values["tiers"] = options.tiers
    settings = DiagnosticsSettings.model_validate(values)
    return FileOptions(settings, options.all_labels, _relative(path, project))


def _relative(path: Path, project: ProjectConfig | None) -> str:
    """``path`` relative to its project's folder, else to the working folder, if inside."""
    base = project.root if project is not None else Path.cwd()
    try:
        return path.absolute().relative_to(base.absolute()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_file_list(path: str, options: FileOptions) -> list[Record | Skipped]:
    return list(check_file(path, options))


def check_file(path: str, options: FileOptions) -> Iterator[Record | Skipped]:
    source = _read(path)
    if isinstance(source, Skipped):
        yield source
        return
    tree, problem = parse_checked(source)
    if problem is not None:
        yield Skipped(path, f"was not analysed: {problem}")
        return
    lines = LineIndex.of(source)
    settings = options.settings
    findings = find_specs(
        source, tree, lines, settings.markers, MAX_SPECS_PER_FILE + 1, path=options.relative
    )
    shown = reported(
        findings[:MAX_SPECS_PER_FILE],
        source,
        lines,
        tree,
        docstrings=settings.docstrings,
        all_labels=options.all_labels,
        tiers=settings.tiers,
    )
    for finding in shown:
        yield _record(path, source, lines, tree, finding, settings.severity)
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
    path: str, source: bytes, lines: LineIndex, tree: Tree, finding: Finding, severity: Severity
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
        severity=severity_of(finding.tier, severity).value,
        message=finding.message,
        label=finding.label.value,
        tier=finding.tier.value,
        facets=finding.facets_data(),
        symbol=enclosing_name(tree, finding.spec.start),
        text=finding.spec.text,
    )
