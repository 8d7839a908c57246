"""Project configuration in the server: ``[tool.specloop]`` per workspace folder, kept current.

`ProjectFeature` owns the cache of pyproject.toml files (`specloop.project`), the text
of any pyproject.toml open in the editor (its unsaved buffer is the truth, as for code),
and what the user was already told. It answers "which diagnostics settings apply to
this document" (the project's, with the editor's non-default settings over them) and,
when a pyproject.toml changes — on disk (``workspace/didChangeWatchedFiles``, a watcher
registered when the client can), or in an open buffer (``didChange``, ``didSave``) —
reads it again and has every open document's diagnostics published again.

A bad key or TOML that does not parse is said once (``window/showMessage``) per file
and wording, and shown as a diagnostic on the pyproject.toml line that holds the key.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from specloop.analysis.documents import ContentChange, DocumentStore
from specloop.analysis.paths import ExcludeRules
from specloop.config import DiagnosticsSettings
from specloop.defaults import SOURCE
from specloop.project import PYPROJECT, ProjectConfig, ProjectConfigs

if TYPE_CHECKING:
    from specloop.lsp.server import SpecloopServer

log = logging.getLogger(__name__)

WATCHER_ID = "specloop-pyproject-watcher"
CONFIG_CODE = "invalid-configuration"


class ProjectFeature:
    def __init__(self, server: SpecloopServer) -> None:
        self.server = server
        self.configs = ProjectConfigs()
        self.buffers = DocumentStore()
        self._told: dict[Path, str] = {}

    @staticmethod
    def owns(uri: str) -> bool:
        """Whether ``uri`` is a pyproject.toml: a document of this feature's, not code."""
        return uri.rsplit("/", 1)[-1] == PYPROJECT

    # ------------------------------------------------------------------ settings

    def diagnostics_settings(self, uri: str) -> DiagnosticsSettings:
        """The settings for ``uri``: its project's under the editor's; problems are told."""
        editor = self.server.settings.diagnostics
        project = self._project(uri)
        if project is None:
            return editor
        self._tell(project)
        return project.diagnostics(editor)

    def excludes(self, uri: str) -> bool:
        """Whether the editor's or the project's ``exclude`` leaves ``uri`` out."""
        path = _path(uri)
        if path is None:
            return False
        patterns = self.server.settings.diagnostics.exclude
        root = self.server.workspace.root_path
        if patterns and root is not None and ExcludeRules(Path(root), patterns).excludes(path):
            return True
        project = self._project(uri)
        return project is not None and project.excludes(path)

    def relative_path(self, uri: str) -> str | None:
        """``uri``'s file relative to its project's folder, else to its workspace folder
        (what test-file-ness is read from); None when it is no file."""
        path = _path(uri)
        if path is None:
            return None
        project = self._project(uri)
        base = project.root if project is not None else self._workspace_folder(path)
        if base is not None:
            try:
                return path.absolute().relative_to(base.absolute()).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def _project(self, uri: str) -> ProjectConfig | None:
        path = _path(uri)
        if path is None:
            return None
        return self.configs.for_file(path, self._workspace_folder(path))

    def _workspace_folder(self, path: Path) -> Path | None:
        """The innermost workspace folder holding ``path`` (None: outside every one)."""
        workspace = self.server.workspace
        uris = [folder.uri for folder in workspace.folders.values()]
        if workspace.root_uri:
            uris.append(workspace.root_uri)
        roots = [Path(root).absolute() for uri in uris if (root := to_fs_path(uri))]
        absolute = path.absolute()
        inside = [root for root in roots if root == absolute or root in absolute.parents]
        return max(inside, key=lambda root: len(root.parts)) if inside else None

    # ------------------------------------------------------------------ changes

    async def register_watcher(self) -> None:
        """Ask the client to tell the server about pyproject.toml changes, where it can."""
        if not self.server.client_supports(
            "workspace.did_change_watched_files.dynamic_registration"
        ):
            return
        watcher = types.FileSystemWatcher(glob_pattern=f"**/{PYPROJECT}")
        registration = types.Registration(
            id=WATCHER_ID,
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[watcher]),
        )
        try:
            await self.server.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as error:  # the client refused: changes are seen on save only
            log.warning("The client did not register the pyproject.toml watcher: %s", error)

    def files_changed(self, uris: list[str]) -> None:
        """Watched files changed on disk: read the pyproject.toml files again."""
        if any(self.owns(uri) for uri in uris):
            self._reread()

    def opened(self, uri: str, text: str, version: int | None) -> None:
        self.buffers.open(uri, text, version)
        self._buffer_changed(uri)

    def changed(self, uri: str, version: int | None, changes: list[ContentChange]) -> None:
        if uri in self.buffers:
            self.buffers.change(uri, version, changes)
            self._buffer_changed(uri)

    def saved(self, uri: str) -> None:
        self._reread()

    def closed(self, uri: str) -> None:
        self.buffers.close(uri)
        path = _path(uri)
        if path is not None:
            self.configs.set_buffer(path, None)
        self._reread()

    def _buffer_changed(self, uri: str) -> None:
        document, path = self.buffers.get(uri), _path(uri)
        if document is not None and path is not None:
            self.configs.set_buffer(path, document.text)
        self._reread()

    def _reread(self) -> None:
        self.configs.forget()
        for path in list(self._told):
            # Said again only if still wrong; a fixed file loses its diagnostics.
            config = self.configs.for_file(path.parent / "x.py", path.parent)
            if config is None or config.path != path or config.message() is None:
                del self._told[path]
                self._publish_config_diagnostics(path, None)
        self.server.diagnostics.refresh_all()

    # ------------------------------------------------------------------ telling

    def _tell(self, project: ProjectConfig) -> None:
        problem = project.message()
        if problem is None:
            return
        message = (
            f"specloop found an {problem}. Until the file is fixed, it uses the defaults "
            "for what it could not read."
        )
        if self._told.get(project.path) == message:
            return
        self._told[project.path] = message
        log.warning(message)
        self.server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=message)
        )
        self._publish_config_diagnostics(project.path, project)

    def _publish_config_diagnostics(self, path: Path, project: ProjectConfig | None) -> None:
        uri = from_fs_path(str(path))
        if uri is None:
            return
        buffer = self.buffers.get(uri)
        text = buffer.text if buffer is not None else _read(path)
        diagnostics = []
        for problem in project.problems if project is not None else ():
            line = _line_of_problem(text, problem.key, problem.reason)
            diagnostics.append(
                types.Diagnostic(
                    range=types.Range(
                        start=types.Position(line=line, character=0),
                        end=types.Position(line=line + 1, character=0),
                    ),
                    message=f"{problem.sentence()} (specloop ignored it)",
                    severity=types.DiagnosticSeverity.Warning,
                    code=CONFIG_CODE,
                    source=SOURCE,
                )
            )
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )


def _line_of_problem(text: str, key: str, reason: str) -> int:
    """The 0-based line a problem is about: where TOML stopped parsing, or the key's line."""
    if key == PYPROJECT:
        where = re.search(r"at line (\d+)", reason)
        return max(int(where.group(1)) - 1, 0) if where else 0
    return _line_of_key(text, key.split(".")[2] if key.count(".") >= 2 else key)


def _line_of_key(text: str, key: str) -> int:
    """The line of ``key = ...`` in the ``[tool.specloop]`` table, else the table's header."""
    lines = text.splitlines()
    header = next(
        (n for n, line in enumerate(lines) if re.match(r"\s*\[\s*tool\.specloop\s*\]", line)), 0
    )
    assignment = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number in range(header + 1, len(lines)):
        if lines[number].lstrip().startswith("["):
            break
        if assignment.match(lines[number]):
            return number
    return header


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None
