"""Before the model is asked anything: does the module import in the environment the checks use?

A module whose dependency is not installed where the checks run would fail every check
with ``ModuleNotFoundError``, whatever code the model wrote. `missing_dependency` imports
the module as it is now (the snapshot, not a candidate) in the sandbox, with the
project's environment, and when a module that is not part of the project is missing it
says which one, in which environment, and how to point specloop at the right one. Any
other import problem (a settings module a framework wants, a stub that raises) is left
to the checks, which report it in full.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from specloop.analysis.modules import import_name, source_roots
from specloop.validate.environment import PythonEnvironment
from specloop.validate.project_copy import ProjectCopy, run_copy
from specloop.validate.sandbox import Isolation, Sandbox, SandboxLimits

_MISSING = re.compile(r"^ModuleNotFoundError: No module named '([\w.]+)'", re.MULTILINE)
_IMPORT = "import importlib, sys; importlib.import_module(sys.argv[1])"


@dataclass(frozen=True)
class ImportCheck:
    project_root: Path
    module_path: str
    """Relative to the project root."""
    source: str
    """The module as the run found it (the editor's buffer)."""
    environment: PythonEnvironment
    isolation: Isolation
    limits: SandboxLimits
    open_buffers: Mapping[str, str]
    files: ProjectCopy | None = None
    """The run's copy of the project (`project_copy`); None: the sandbox copies it."""


_IMPORTED: set[tuple[str, ...]] = set()
"""Modules known to import in an environment (this process's life): asked once, not per run."""


async def missing_dependency(check: ImportCheck) -> str | None:
    """Why the module cannot be imported where the checks run, or None when nothing is missing."""
    # The module's own text and the environment decide it; another buffer could too (an
    # import added to a module it imports), but then the checks still say what is missing.
    environment = check.environment
    known = (
        str(check.project_root),
        check.module_path,
        hashlib.sha256(check.source.encode()).hexdigest(),
        environment.python,
        repr(environment.version),
    )
    if known in _IMPORTED:
        return None
    missing = await _ask(check)
    if missing is None:
        _IMPORTED.add(known)
    return missing


async def _ask(check: ImportCheck) -> str | None:
    module = check.module_path
    async with Sandbox(check.isolation, check.environment) as sandbox:
        files = run_copy(check.files, check.project_root, check.open_buffers)
        await asyncio.to_thread(files.fill, sandbox, module, [])
        sandbox.write(module, check.source)
        name = import_name(sandbox.path, module)
        result = await sandbox.run([sandbox.python, "-c", _IMPORT, name], check.limits)
        if result.ok:
            return None
        match = _MISSING.search(result.stderr)
        if match is None or _in_project(sandbox.path, match.group(1)):
            return None
    missing = match.group(1)
    environment = check.environment
    where = environment.label(check.project_root)
    found = environment.source
    if environment.own and environment.tried:
        found += f"; no project environment was found (looked for {', '.join(environment.tried)})"
    return (
        f"{module} cannot be imported: it needs {missing}, which is not installed in the "
        f"Python the checks run with: {where}, {found}. Point specloop at the project's "
        "environment — the setting `python` (CLI: --python PATH), e.g. .venv/bin/python — "
        "or install "
        f"{missing.split('.')[0]} there, then run specloop again."
    )


def _in_project(sandbox: Path, module: str) -> bool:
    """``module``'s top level is a file or package of the project (its own import problem)."""
    top = module.split(".")[0]
    for root in source_roots(sandbox):
        folder = sandbox / root
        if (folder / f"{top}.py").exists() or (folder / top).is_dir():
            return True
    return False
