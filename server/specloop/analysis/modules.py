"""How Python names a project's files: import names, source roots, and who imports whom.

A file's import name is found the way Python finds it when the project root (and a
``src/`` folder, the "src layout") is on ``sys.path``: climb from the file while the
folder is a package (holds ``__init__.py``); a climb that stops at ``src/`` names the
module from there, any other stop names it from the project root (namespace
packages). ``imports_module`` reads a file's import statements and says whether one of
them loads a given module, absolute or relative — "a test of this module" means a test
that imports it, not one that mentions its name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

SOURCE_FOLDER = "src"

_IMPORT = re.compile(r"^\s*import\s+(.+)$", re.DOTALL)
_FROM = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+(.+)$", re.DOTALL)


def source_roots(root: Path) -> list[str]:
    """Folders (relative, POSIX) that go on ``sys.path``: the root, and ``src`` if it is one."""
    src = root / SOURCE_FOLDER
    if src.is_dir() and not (src / "__init__.py").exists():
        return [".", SOURCE_FOLDER]
    return ["."]


def import_name(root: Path, relative: str) -> str:
    """The dotted name Python imports ``relative`` (a ``.py`` path under ``root``) by."""
    parts = PurePosixPath(relative).with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    folders = PurePosixPath(relative).parts[:-1]
    depth = len(folders)
    while depth > 0 and (root.joinpath(*folders[:depth]) / "__init__.py").exists():
        depth -= 1
    if depth == 1 and folders[0] == SOURCE_FOLDER and SOURCE_FOLDER in source_roots(root):
        return ".".join(parts[1:])
    return ".".join(parts)


def imports_module(
    import_lines: Iterable[str], importer: str, module: str, names: Iterable[str] = ()
) -> bool:
    """Whether any of ``import_lines`` (statements of the module named ``importer``) loads
    ``module``: itself, ``from its_package import its_name``, or one of ``names`` from a
    package above it (a package that re-exports the module's definitions).
    """
    exported = set(names)
    packages = {".".join(module.split(".")[:depth]) for depth in range(1, module.count(".") + 1)}
    for line in import_lines:
        text = " ".join(line.replace("\\\n", " ").split())
        if (match := _IMPORT.match(text)) is not None:
            loaded = [_first_word(item) for item in _items(match.group(1))]
            if any(name == module or name.startswith(module + ".") for name in loaded):
                return True
            continue
        if (match := _FROM.match(text)) is None:
            continue
        dots, base, imported = match.groups()
        absolute = _absolute(importer, dots, base)
        if absolute is None:
            continue
        if absolute == module or absolute.startswith(module + "."):
            return True
        imported_names = [_first_word(item) for item in _items(imported)]
        if any(f"{absolute}.{name}" == module for name in imported_names):
            return True
        if absolute in packages and exported & set(imported_names):
            return True
    return False


def _items(text: str) -> list[str]:
    return [item for item in text.strip().strip("()").split(",") if item.strip()]


def _first_word(item: str) -> str:
    return item.split()[0] if item.split() else ""


def _absolute(importer: str, dots: str, base: str) -> str | None:
    """The absolute module a ``from <dots><base> import`` statement in ``importer`` names."""
    if not dots:
        return base
    package = importer.split(".")[: -len(dots)] if len(dots) <= importer.count(".") else None
    if package is None:
        return None
    return ".".join([*package, base] if base else package)
