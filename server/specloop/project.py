"""Project configuration: the ``[tool.specloop]`` table of the nearest pyproject.toml.

A file's project configuration is found as ruff finds its own: walking up from the
file's folder, the first ``pyproject.toml`` with a ``[tool.specloop]`` table (one
without that table is passed over, so a sub-package's pyproject.toml does not hide the
repository's), stopping at ``stop`` (the workspace folder), else at the repository root
(a folder holding ``.git``), else at the filesystem root. A pyproject.toml that is not
valid TOML is the nearest too: its error is reported and the defaults apply.

Values are validated by `specloop.config` (the same rules as editor settings);
``exclude`` patterns are gitignore-style and relative to the pyproject.toml's folder.
`ProjectConfigs` caches what it read by file modification time, and takes the text of
an unsaved editor buffer over the file on disk.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specloop.analysis.paths import ExcludeRules
from specloop.config import (
    DiagnosticsSettings,
    SettingsProblem,
    load_project_settings,
    merged_diagnostics,
)

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class ProjectConfig:
    """One pyproject.toml's ``[tool.specloop]``: the keys it set, validated, and its problems."""

    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    problems: tuple[SettingsProblem, ...] = ()

    @property
    def root(self) -> Path:
        return self.path.parent

    def message(self) -> str | None:
        """What is wrong, naming the file and every rejected key; None when all is well.

        Front ends add what they do about it (the CLI stops, the server goes on without
        the rejected keys)."""
        if not self.problems:
            return None
        listed = "; ".join(problem.sentence() for problem in self.problems)
        return f"invalid configuration in {self.path}: {listed}"

    def diagnostics(self, editor: DiagnosticsSettings | None = None) -> DiagnosticsSettings:
        """The diagnostics settings for a file of this project (editor values override)."""
        return merged_diagnostics(self.values, editor or DiagnosticsSettings())

    def excludes(self, path: Path, is_dir: bool = False) -> bool:
        """Whether the project's ``exclude`` patterns leave ``path`` out."""
        patterns = self.values.get("exclude", ())
        return bool(patterns) and ExcludeRules(self.root, tuple(patterns)).excludes(path, is_dir)


def read_project_config(path: Path, text: str | None = None) -> ProjectConfig | None:
    """``path``'s ``[tool.specloop]``; None if it has none. ``text``: an unsaved buffer's."""
    try:
        if text is None:
            text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except OSError as error:
        problem = SettingsProblem(PYPROJECT, f"cannot be read ({error.strerror or error})")
        return ProjectConfig(path, problems=(problem,))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        problem = SettingsProblem(PYPROJECT, f"not valid TOML ({error})")
        return ProjectConfig(path, problems=(problem,))
    tool = document.get("tool")
    if not isinstance(tool, dict) or "specloop" not in tool:
        return None
    loaded = load_project_settings(tool["specloop"])
    return ProjectConfig(path, loaded.values, loaded.problems)


class ProjectConfigs:
    """Finds and caches each file's project configuration."""

    def __init__(self) -> None:
        self._read: dict[Path, tuple[tuple[int, int], ProjectConfig | None]] = {}
        self._buffers: dict[Path, str] = {}

    def for_file(self, path: Path, stop: Path | None = None) -> ProjectConfig | None:
        """The configuration of the nearest pyproject.toml above ``path`` (see the module)."""
        start = path.absolute().parent
        limit = stop.absolute() if stop is not None else None
        for directory in (start, *start.parents):
            candidate = directory / PYPROJECT
            config = self._config(candidate)
            if config is not None:
                return config
            if directory == limit or (limit is None and (directory / ".git").exists()):
                return None
        return None

    def set_buffer(self, path: Path, text: str | None) -> None:
        """The editor's unsaved text of a pyproject.toml (None: read the file again)."""
        key = path.absolute()
        if text is None:
            self._buffers.pop(key, None)
        else:
            self._buffers[key] = text
        self._read.pop(key, None)

    def forget(self) -> None:
        """Read every pyproject.toml again on next use (one changed on disk)."""
        self._read.clear()

    def _config(self, candidate: Path) -> ProjectConfig | None:
        buffer = self._buffers.get(candidate)
        if buffer is not None:
            return read_project_config(candidate, buffer)
        try:
            status = candidate.stat()
        except OSError:
            return None
        modified = (status.st_mtime_ns, status.st_size)
        cached = self._read.get(candidate)
        if cached is not None and cached[0] == modified:
            return cached[1]
        config = read_project_config(candidate)
        self._read[candidate] = (modified, config)
        return config
