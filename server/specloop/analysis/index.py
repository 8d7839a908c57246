"""The workspace index: which definitions exist, what they call, and which tests name them.

Built with tree-sitter only (no model). Building it walks the project (with
``paths.py``'s excludes), reads every Python file once and keeps its bytes;
parsing is lazy. A lookup first narrows the files with a byte scan (the
``def``/``class`` names and the words of import statements of each file, its
`SourceFacts`, or a regex for the word) and parses only the files that can match,
each at most once. So the index of a large project is ready in the time it takes to
read it, and a context needs a few parses. The bytes of files read before, and their
facts, are kept across builds, by path and stamp (`SOURCES`), and so is the walk
(`paths.python_files`): a server runs the loop again and again over the same tree.

Concurrent lookups from several threads are safe: at worst two threads parse
the same file once each, and one result wins.
"""

from __future__ import annotations

import inspect
import os
import re
import string
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from tree_sitter import Node, Query, QueryCursor, Tree

from specloop.analysis.modules import import_name, imports_module
from specloop.analysis.parsing import SAME_SCOPE_STATEMENTS, parse, python_language
from specloop.analysis.paths import ExcludeRules, python_files
from specloop.analysis.symbols import Symbol, SymbolKind, module_symbols
from specloop.analysis.text import decode
from specloop.kept_walks import file_stamp

_CALLS = """
(call function: (identifier) @plain)
(call function: (attribute attribute: (identifier) @attribute))
"""
_IMPORT_TYPES = ("import_statement", "import_from_statement", "future_import_statement")
_TEST_DIRECTORIES = frozenset({"tests", "test"})
# Identifier characters; bytes >= 0x80 stand in for non-ASCII letters of UTF-8 identifiers.
_WORD = rb"[A-Za-z0-9_\x80-\xff]"
_WORD_BYTES = frozenset(f"_{string.ascii_letters}{string.digits}".encode() + bytes(range(128, 256)))
# Starting with a literal keeps the scan fast; the byte before is checked separately.
# One pattern per keyword: an alternation has no literal start to search for.
_DEFINED_NAME = tuple(
    re.compile(word + rb"[ \t]+(" + _WORD + rb"+)") for word in (b"def", b"class")
)
_ANY_WORD = re.compile(_WORD + rb"+")
# The start of an import statement. One after a semicolon is not seen: rare enough to miss.
_IMPORT_START = re.compile(rb"[ \t]*(?:import|from)\b")


@dataclass(frozen=True, slots=True)
class Definition:
    """A function, method or class; byte ranges into its module's source, lines 1-based."""

    path: Path
    name: str
    qualified_name: str
    """Dotted through the enclosing definitions: ``Account.charge``, ``outer.inner``."""
    kind: SymbolKind
    signature: str
    """The header as written, up to its colon: ``def charge(self, amount: Decimal) -> Decimal:``."""
    decorators: tuple[str, ...]
    docstring: str | None
    start: int
    """Where the definition starts, decorators included."""
    end: int
    line: int
    """The line of the ``def`` or ``class`` keyword."""
    first_line: int
    last_line: int
    calls: tuple[str, ...]
    """Names it calls (``f(...)``, ``x.f(...)``), in order of first call, outside nested ones."""
    plain_calls: frozenset[str]
    """The names in ``calls`` called bare (``f(...)``); the others only as attributes."""

    def contains_line(self, line: int) -> bool:
        return self.first_line <= line <= self.last_line


@dataclass(frozen=True, slots=True)
class ModuleIndex:
    """One module's definitions (outer before inner, in document order) and import lines."""

    path: Path
    source: bytes
    definitions: tuple[Definition, ...]
    imports: tuple[str, ...]

    def innermost(self, line: int) -> Definition | None:
        """The most deeply nested definition whose lines include ``line``."""
        found = None
        for definition in self.definitions:
            if definition.contains_line(line):
                found = definition
        return found

    def named(self, qualified_name: str) -> list[Definition]:
        return [d for d in self.definitions if d.qualified_name == qualified_name]

    def source_of(self, definition: Definition) -> str:
        """The definition's source, decorators included, with its indentation removed."""
        column = definition.start - (self.source.rfind(b"\n", 0, definition.start) + 1)
        return dedented(self.source[definition.start : definition.end], column)


def index_module(path: Path, source: bytes, tree: Tree | None = None) -> ModuleIndex:
    """Index one module; pass ``tree`` when ``source`` is already parsed."""
    tree = tree if tree is not None else parse(source)
    root = tree.root_node
    flat = list(_flatten(module_symbols(tree), ""))
    calls = _calls_by_definition([symbol for symbol, _ in flat], root)
    definitions = tuple(
        _definition(path, source, root, symbol, qualified, calls[index])
        for index, (symbol, qualified) in enumerate(flat)
    )
    return ModuleIndex(path, source, definitions, tuple(_imports(source, root)))


def is_test_file(relative: str) -> bool:
    """test_*.py, *_test.py, or any .py file under a tests/ (or test/) folder."""
    *folders, name = relative.split("/")
    if not name.endswith(".py"):
        return False
    if name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(folder in _TEST_DIRECTORIES for folder in folders)


def dedented(text: bytes, column: int) -> str:
    """``text`` (starting at ``column`` of its line) with that indentation cut from later lines."""
    first, *rest = decode(text).split("\n")
    return "\n".join([first, *(_strip_indent(line, column) for line in rest)])


def relative_to(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` in posix form (absolute if it lies outside)."""
    # os.path on strings: pathlib's relative_to costs more than the rest of an index scan.
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    if absolute == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    found = absolute[len(prefix) :] if absolute.startswith(prefix) else absolute
    return found.replace(os.sep, "/")


def absolute_path(path: Path) -> Path:
    """Absolute and normalised without touching the disk (unlike ``resolve()``)."""
    return Path(os.path.abspath(path))


class WorkspaceIndex:
    """The Python files under ``root`` and lazily parsed per-module indexes."""

    def __init__(self, root: Path, sources: dict[Path, bytes], skipped: Sequence[Path]) -> None:
        self.root = root
        self.skipped = tuple(skipped)
        """Files that were left out: unreadable or not UTF-8."""
        self._sources = sources
        self._modules: dict[Path, ModuleIndex] = {}
        self._facts: dict[Path, SourceFacts] = {}

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(self._sources)

    def relative(self, path: Path) -> str:
        return relative_to(self.root, path)

    def is_test_file(self, path: Path) -> bool:
        return is_test_file(self.relative(path))

    def module(self, path: Path) -> ModuleIndex | None:
        """The module's index, parsed on first use; None for files outside the index."""
        key = absolute_path(path)
        found = self._modules.get(key)
        if found is None:
            source = self._sources.get(key)
            if source is None:
                return None
            found = self._modules[key] = index_module(key, source)
        return found

    def modules(self) -> Iterator[ModuleIndex]:
        """Every module, parsing whatever was not parsed yet."""
        for path in self._sources:
            module = self.module(path)
            if module is not None:
                yield module

    def definitions(self, name: str) -> list[Definition]:
        """Definitions named ``name`` (``charge``) or qualified so (``Account.charge``)."""
        simple = name.rsplit(".", 1)[-1]
        simple_word = simple.encode()
        found: list[Definition] = []
        for path in self._sources:
            if simple_word not in self.facts(path).defined:
                continue
            module = self.module(path)
            if module is not None:
                found.extend(d for d in module.definitions if _matches(d, name, simple))
        return found

    def callers(
        self, name: str, include_tests: bool = True, among: Iterable[Path] | None = None
    ) -> list[Definition]:
        """Definitions that call ``name`` (as ``name(...)`` or ``x.name(...)``), in the
        files ``among`` (default: all)."""
        call = re.compile(_word_pattern(name) + rb"\s*\(")
        found: list[Definition] = []
        for path in self._paths_matching(name, call, among):
            if not include_tests and self.is_test_file(path):
                continue
            module = self.module(path)
            if module is not None:
                found.extend(d for d in module.definitions if name in d.calls)
        return found

    def mentioning(self, name: str, among: Iterable[Path]) -> list[Path]:
        """The files of ``among`` that contain ``name`` as a whole word."""
        return list(self._paths_matching(name, re.compile(_word_pattern(name)), among))

    def files_importing(self, module_path: Path, names: Sequence[str] = ()) -> list[Path]:
        """Files that import the module at ``module_path`` (as Python would resolve it), or
        one of ``names`` from a package above it."""
        module = import_name(self.root, self.relative(module_path))
        last = module.rsplit(".", 1)[-1]
        found = []
        # ``names`` come in only from a package above the module: a top-level one has none.
        words = [last, *names] if "." in module else [last]
        for word in dict.fromkeys(words):
            encoded = word.encode()
            for path in self._sources:
                # Only a file that names ``word`` in an import statement can import it this
                # way: a cheap test that spares parsing every file that merely says "get".
                if encoded not in self.facts(path).imported:
                    continue
                if path in found or path == absolute_path(module_path):
                    continue
                indexed = self.module(path)
                importer = import_name(self.root, self.relative(path))
                if indexed is not None and imports_module(indexed.imports, importer, module, names):
                    found.append(path)
        return found

    def _paths_matching(
        self, name: str, pattern: re.Pattern[bytes], among: Iterable[Path] | None = None
    ) -> Iterator[Path]:
        """The paths (of ``among``, or all) whose source matches ``pattern``."""
        # A substring test is ~25x faster than the regex; the regex confirms the few hits.
        needle = name.encode()
        for path in self._sources if among is None else among:
            source = self._sources[path]
            if needle in source and next(_whole_words(pattern, source), None) is not None:
                yield path

    def facts(self, path: Path) -> SourceFacts:
        """What a quick scan of the file says (`SourceFacts`), kept with its source."""
        found = self._facts.get(path)
        if found is None:
            found = self._facts[path] = SOURCES.facts(path, self._sources[path])
        return found


def build_index(
    root: Path, exclude: Sequence[str] = (), overrides: Mapping[Path, bytes] | None = None
) -> WorkspaceIndex:
    """Read every Python file under ``root`` (minus excludes and .gitignore'd files).

    ``overrides`` (absolute path -> source) stand in for the files on disk: an editor's
    unsaved buffers are what the user sees, so they are what the index reads.
    """
    root = absolute_path(root)
    overridden = {absolute_path(path): source for path, source in (overrides or {}).items()}
    sources: dict[Path, bytes] = {}
    skipped: list[Path] = []
    for key in python_files([root], ExcludeRules(root, tuple(exclude))):
        # Below an absolute, normalised root, the walk's paths are absolute and normal.
        source = overridden.pop(key) if key in overridden else SOURCES.read(key)
        if source is None:
            skipped.append(key)
        else:
            sources[key] = source
    # Buffers of files that are not on disk yet (or not walked) are part of the project too.
    sources.update((path, source) for path, source in overridden.items() if root in path.parents)
    return WorkspaceIndex(root, sources, skipped)


class SourceFacts:
    """What quick scans of a source say: supersets of what parsing would, which spare
    parsing most files. Each is scanned on first use, then kept as long as the source is
    (`SourceCache.facts`)."""

    def __init__(self, source: bytes) -> None:
        self._source = source

    @cached_property
    def defined(self) -> frozenset[bytes]:
        """Names after ``def``/``class`` keywords."""
        source = self._source
        return frozenset(
            match.group(1) for pattern in _DEFINED_NAME for match in _whole_words(pattern, source)
        )

    @cached_property
    def imported(self) -> frozenset[bytes]:
        """Words in its import statements (``import a.b as c``, ``from .x import (y, z)``)."""
        source = self._source
        words: set[bytes] = set()
        done = 0
        # Every import statement says "import": a literal search is fast, a regex anchored
        # at each line's start is not (a large tree has a million lines).
        at = source.find(b"import")
        while at != -1:
            if at >= done:
                start, end = _statement_around(source, at)
                if _IMPORT_START.match(source, start):
                    words.update(_ANY_WORD.findall(source, start, end))
                    done = end
            at = source.find(b"import", at + 6)
        return frozenset(words)


def _statement_around(source: bytes, at: int) -> tuple[int, int]:
    """Where the logical line holding offset ``at`` starts and ends: lines joined by a
    backslash, or by parentheses opened on an import's first line."""
    start = source.rfind(b"\n", 0, at) + 1
    while start >= 2 and source[start - 2 : start] == b"\\\n":
        start = source.rfind(b"\n", 0, start - 2) + 1
    end = source.find(b"\n", at)
    end = len(source) if end == -1 else end
    while source[end - 1 : end] == b"\\" and end < len(source):
        following = source.find(b"\n", end + 1)
        end = len(source) if following == -1 else following
    opened = source.rfind(b"(", start, end)
    if opened != -1 and source.find(b")", opened, end) == -1:
        closed = source.find(b")", end)
        end = len(source) if closed == -1 else closed
    return start, end


@dataclass(slots=True)
class _Kept:
    stamp: tuple[int, int, int, int]
    source: bytes
    facts: SourceFacts | None = None


class SourceCache:
    """Python sources read before, by path and stamp, up to ``limit`` bytes in all, with
    their `SourceFacts` once asked for.

    A file whose size, times or inode changed is read again. Past the limit, files are read
    each time and not kept (a very large tree costs what it did, never more memory).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: dict[Path, _Kept] = {}
        self._size = 0
        self._lock = threading.Lock()

    def read(self, path: Path) -> bytes | None:
        """The file's bytes if it is readable UTF-8, else None."""
        try:
            found = os.stat(path)
        except OSError:
            return None
        stamp = file_stamp(found)
        with self._lock:
            kept = self._kept.get(path)
        if kept is not None and kept.stamp == stamp:
            return kept.source
        source = _read_utf8(path)
        with self._lock:
            old = self._kept.pop(path, None)
            self._size -= len(old.source) if old is not None else 0
            if source is not None and self._size + len(source) <= self.limit:
                self._kept[path] = _Kept(stamp, source)
                self._size += len(source)
        return source

    def facts(self, path: Path, source: bytes) -> SourceFacts:
        """``source``'s facts: scanned once while the cache keeps this very source for
        ``path`` (an editor's buffer, or a file past the limit, is scanned each time)."""
        with self._lock:
            kept = self._kept.get(path)
        if kept is None or kept.source is not source:
            return SourceFacts(source)
        if kept.facts is None:
            kept.facts = SourceFacts(source)
        return kept.facts


SOURCES = SourceCache(limit=64 * 1024 * 1024)
"""The process's sources (a server's, across its runs); 64 MB holds a large project's."""


def _read_utf8(path: Path) -> bytes | None:
    try:
        source = path.read_bytes()
        source.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return source


def _matches(definition: Definition, name: str, simple: str) -> bool:
    return definition.qualified_name == name if name != simple else definition.name == name


def _word_pattern(name: str) -> bytes:
    """``name`` not followed by a word character; `_whole_words` checks what precedes it. A
    pattern that starts with a literal is searched about 100x faster than one that starts
    with a lookbehind, which made every large tree's search for a short name slow."""
    return re.escape(name.encode()) + rb"(?!" + _WORD + rb")"


def _whole_words(pattern: re.Pattern[bytes], source: bytes) -> Iterator[re.Match[bytes]]:
    """The matches of ``pattern`` (one that starts with a word, as a `_word_pattern`) that
    start a word: the character before them is not a word character."""
    for match in pattern.finditer(source):
        start = match.start()
        if start == 0 or source[start - 1] not in _WORD_BYTES:
            yield match


def _flatten(symbols: list[Symbol], prefix: str) -> Iterator[tuple[Symbol, str]]:
    """Symbols outer-first in document order, each with its qualified name."""
    for symbol in symbols:
        qualified = f"{prefix}{symbol.name}"
        yield symbol, qualified
        yield from _flatten(symbol.children, f"{qualified}.")


@cache
def _calls_query() -> Query:
    return Query(python_language(), _CALLS)


@dataclass(slots=True)
class _Calls:
    names: dict[str, None] = field(default_factory=dict)
    """An insertion-ordered set."""
    plain: set[str] = field(default_factory=set)


def _calls_by_definition(symbols: list[Symbol], root: Node) -> list[_Calls]:
    """For each symbol (outer-first, document order), the names called in its own body."""
    captures = QueryCursor(_calls_query()).captures(root)
    captured = [(node, True) for node in captures.get("plain", [])]
    captured.extend((node, False) for node in captures.get("attribute", []))
    captured.sort(key=lambda pair: pair[0].start_byte)
    calls = [_Calls() for _ in symbols]
    open_symbols: list[int] = []
    next_symbol = 0
    for node, plain in captured:
        offset = node.start_byte
        while next_symbol < len(symbols) and symbols[next_symbol].start <= offset:
            _close_before(open_symbols, symbols, symbols[next_symbol].start)
            open_symbols.append(next_symbol)
            next_symbol += 1
        _close_before(open_symbols, symbols, offset)
        if open_symbols:
            owner, name = calls[open_symbols[-1]], decode(node.text or b"")
            owner.names[name] = None
            if plain:
                owner.plain.add(name)
    return calls


def _close_before(open_symbols: list[int], symbols: list[Symbol], offset: int) -> None:
    """Drop the open symbols that end at or before ``offset``."""
    while open_symbols and symbols[open_symbols[-1]].end <= offset:
        open_symbols.pop()


def _definition(
    path: Path, source: bytes, root: Node, symbol: Symbol, qualified: str, calls: _Calls
) -> Definition:
    name_node = root.descendant_for_byte_range(symbol.name_start, symbol.name_end)
    node = name_node.parent if name_node is not None else None
    if node is None:  # pragma: no cover - the query captured this very name.
        raise ValueError(f"No definition node for {qualified} in {path}.")
    outer = _outer(node)
    return Definition(
        path=path,
        name=symbol.name,
        qualified_name=qualified,
        kind=symbol.kind,
        signature=_signature(source, node),
        decorators=_decorators(outer),
        docstring=_docstring(source, node),
        start=symbol.start,
        end=symbol.end,
        line=node.start_point.row + 1,
        first_line=outer.start_point.row + 1,
        last_line=outer.end_point.row + 1,
        calls=tuple(calls.names),
        plain_calls=frozenset(calls.plain),
    )


def _outer(node: Node) -> Node:
    """The decorated definition around ``node``, or ``node`` itself."""
    parent = node.parent
    return parent if parent is not None and parent.type == "decorated_definition" else node


def _signature(source: bytes, node: Node) -> str:
    colon = next((child for child in node.children if child.type == ":"), None)
    end = colon.end_byte if colon is not None else node.end_byte
    return dedented(source[node.start_byte : end], node.start_point.column)


def _decorators(outer: Node) -> tuple[str, ...]:
    if outer.type != "decorated_definition":
        return ()
    return tuple(
        dedented(child.text or b"", child.start_point.column)
        for child in outer.children
        if child.type == "decorator"
    )


def _docstring(source: bytes, node: Node) -> str | None:
    body = node.child_by_field_name("body")
    statements = body.named_children if body is not None else []
    first = next((child for child in statements if child.type != "comment"), None)
    if first is None or first.type != "expression_statement" or first.named_child_count != 1:
        return None
    string = first.named_children[0]
    parts = string.named_children if string.type == "concatenated_string" else [string]
    if string.type not in ("string", "concatenated_string") or not all(map(_is_text, parts)):
        return None
    return inspect.cleandoc("".join(_string_content(source, part) for part in parts))


def _is_text(string: Node) -> bool:
    """A plain or raw string: no bytes, no f-string."""
    start = string.children[0] if string.children else None
    prefix = decode(start.text or b"").lower() if start is not None else ""
    return string.type == "string" and not ({"b", "f", "t"} & set(prefix))


def _string_content(source: bytes, string: Node) -> str:
    """What stands between a string's quotes, as written (escapes are not processed)."""
    start, end = string.children[0], string.children[-1]
    return decode(source[start.end_byte : end.start_byte])


def _imports(source: bytes, root: Node) -> Iterator[str]:
    """Import statements of the module body, and of top-level if/try blocks."""
    for child in root.named_children:
        yield from _imports_in(source, child)


def _imports_in(source: bytes, node: Node) -> Iterator[str]:
    if node.type in _IMPORT_TYPES:
        yield dedented(source[node.start_byte : node.end_byte], node.start_point.column)
    elif node.type in SAME_SCOPE_STATEMENTS:
        for child in node.named_children:
            yield from _imports_in(source, child)


def _strip_indent(line: str, column: int) -> str:
    """Cut up to ``column`` leading blanks; never anything else."""
    cut = 0
    while cut < column and cut < len(line) and line[cut] in " \t":
        cut += 1
    return line[cut:]
