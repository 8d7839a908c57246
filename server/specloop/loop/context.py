"""What a loop run works on and what the model gets to see about it.

``resolve_target`` turns a snapshot of a file and a line into a LoopSpec: the
function, method or class at that line (or the one a TODO at that line belongs
to) with every spec written for it, the same from whichever of its lines.

``build_context`` gathers the code around that target from the workspace index
(its source, signature, docstring, the module's imports, tests that exercise it,
what it calls and what calls it) and fits it into a token budget in that order
of priority, recording whatever was left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Generic, TypeVar

from specloop.analysis.ambiguity import Label, assess
from specloop.analysis.index import (
    Definition,
    ModuleIndex,
    WorkspaceIndex,
    absolute_path,
    build_index,
    index_module,
    relative_to,
)
from specloop.analysis.modules import import_name
from specloop.analysis.parsing import parse
from specloop.analysis.specs import Spec
from specloop.analysis.symbols import SymbolKind
from specloop.analysis.targets import ParsedModule, TargetAt, spec_lines, target_at
from specloop.analysis.text import LineIndex, encode
from specloop.defaults import DEFAULT_MARKERS
from specloop.loop.models import Context, LoopSpec, SpecItem, TestReference
from specloop.loop.snapshot import Project, SourceSnapshot

MAX_TESTS = 3
MAX_CALLEES = 12
MAX_CALLERS = 8
MAX_DEFINITIONS_PER_NAME = 3
"""A called name defined more often than this elsewhere is too ambiguous to show."""
CHARS_PER_TOKEN = 4

_FROM_IMPORT = re.compile(r"from\s+([.\w]+)\s+import\s+(.*)", re.DOTALL)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TargetError:
    """Why a file and line name nothing the loop can work on, as a sentence."""

    reason: str


class ContextError(ValueError):
    """The target of a spec can no longer be read; the message says what to do."""


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


# ---------------------------------------------------------------- resolving the target


def resolve_target(
    snapshot: SourceSnapshot, line: int, markers: Iterable[str] = DEFAULT_MARKERS
) -> LoopSpec | TargetError:
    """The function or class at 1-based ``line`` of ``snapshot``, with every spec written for it.

    ``line`` may be any line of the target, a TODO or comment inside it or directly above
    it, or its stub docstring: the result is the same for all of them (`targets.py`).
    """
    parsed = load(snapshot)
    path = snapshot.path
    count = _line_count(parsed.source)
    if count == 0:
        return TargetError(f"{path} is empty; there is no function or class to work on.")
    if not 1 <= line <= count:
        return TargetError(
            f"Line {line} is outside {path}, which has {count} line{'s' if count > 1 else ''}; "
            f"give a line from 1 to {count}."
        )
    found = target_at(parsed, line, markers)
    if found.definition is None and found.spec_at_line is not None:
        return TargetError(
            f"The {found.spec_at_line.marker or 'spec'} at line {line} of {path} is at module "
            "level, but specloop works on a function or class; move it into (or directly "
            "above) the definition it is about."
        )
    if found.definition is None:
        return TargetError(
            f"Line {line} of {path} is not inside a function or class; "
            "put the cursor inside the function or class to work on."
        )
    return _loop_spec(path, parsed.lines, found.definition, found.specs)


def loop_spec(path: str, parsed: ParsedModule, found: TargetAt) -> LoopSpec | None:
    """The run's spec of what `target_at` found in ``parsed``; None at module level."""
    if found.definition is None:
        return None
    return _loop_spec(path, parsed.lines, found.definition, found.specs)


def load(snapshot: SourceSnapshot, path: Path | None = None) -> ParsedModule:
    """Parse and index the snapshot; ``path`` (absolute) names its definitions' file."""
    source = encode(snapshot.text)
    tree = parse(source)
    module = index_module(path or Path(snapshot.path), source, tree)
    return ParsedModule(source, tree, LineIndex.of(source), module)


def _line_count(source: bytes) -> int:
    """Lines as an editor numbers them, not counting the empty one after a final newline."""
    return source.count(b"\n") + (0 if not source or source.endswith(b"\n") else 1)


def _loop_spec(path: str, lines: LineIndex, target: Definition, specs: Sequence[Spec]) -> LoopSpec:
    items = [
        SpecItem(
            kind=spec.kind.value,
            line=spec_lines(lines, spec)[0],
            marker=spec.marker,
            text=spec.text,
            ambiguous=assess(spec).label is Label.AMBIGUOUS,
        )
        for spec in specs
    ]
    kinds = {item.kind for item in items}
    kind = "symbol" if not items else "docstring" if kinds == {"docstring"} else "comment"
    return LoopSpec(
        path=path,
        line=target.line,
        first_line=target.first_line,
        last_line=target.last_line,
        kind=kind,
        text="\n".join(item.text for item in items if item.text),
        symbol=target.qualified_name,
        symbol_kind=target.kind.value,
        items=items,
    )


# ---------------------------------------------------------------- gathering the context


@dataclass
class _Picked(Generic[T]):
    """Candidates for one part of the context, and notes on what was dropped choosing them."""

    items: list[T] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Gathered:
    target_source: str
    signature: str
    docstring: str | None
    imports: list[str]
    tests: _Picked[TestReference]
    callees: _Picked[str]
    callers: _Picked[str]


def build_context(
    project: Project,
    spec: LoopSpec,
    snapshot: SourceSnapshot,
    index: WorkspaceIndex | None = None,
    token_budget: int = 3000,
) -> Context:
    """The code around ``spec``'s target, within ``token_budget`` (about 4 characters a token).

    The target module is read from ``snapshot`` and every other open buffer from
    ``project.open_buffers``, never from the disk. Raises ContextError when the snapshot
    no longer defines the target.
    """
    module = load(snapshot, absolute_path(project.root / snapshot.path)).module
    target = _find_target(module, spec, snapshot.path)
    if index is None:
        buffers = project.with_buffer(snapshot)
        overrides = {project.root / path: encode(text) for path, text in buffers.items()}
        index = build_index(project.root, overrides=overrides)
    root = project.root
    importers = index.files_importing(target.path, [_top_name(target)])
    importing = [path for path in importers if index.is_test_file(path)]
    gathered = _Gathered(
        target_source=module.source_of(target),
        signature=target.signature,
        docstring=target.docstring,
        imports=list(module.imports),
        tests=_tests(index, root, target, importing),
        callees=_callees(index, root, module, target),
        callers=_callers(index, root, module, target, importers),
    )
    context = _fit(spec, snapshot.path, gathered, token_budget)
    return context.model_copy(
        update={
            "import_name": import_name(root, snapshot.path),
            "regression_tests": [relative_to(root, path) for path in importing],
        }
    )


def _find_target(module: ModuleIndex, spec: LoopSpec, path: str) -> Definition:
    candidates = module.named(spec.symbol)
    if not candidates:
        raise ContextError(
            f"{spec.symbol} is no longer defined in {path}; run the command again on the "
            "current code."
        )
    around = [definition for definition in candidates if definition.contains_line(spec.line)]
    return (around or candidates)[0]


def _tests(
    index: WorkspaceIndex, root: Path, target: Definition, importing: list[Path]
) -> _Picked[TestReference]:
    """Test functions that mention the target, in test files that import its module; those
    in files named after it come first.

    Files are read best first, and reading stops once no later file can change the pick.
    """
    word = re.compile(rf"(?<!\w){re.escape(target.name)}(?!\w)")
    files = sorted(
        (_file_relevance(relative_to(root, path), target), path)
        for path in index.mentioning(target.name, importing)
    )
    found: list[tuple[tuple[int, bool], TestReference]] = []
    unread = 0
    for position, (relevance, path) in enumerate(files):
        found.extend(_tests_in(index, root, path, relevance, target, word))
        later = files[position + 1 :]
        if later and _settled(found, later[0][0]):
            unread = len(later)
            break
    found.sort(key=lambda pair: pair[0])
    picked = _limited("tests", [reference for _, reference in found], MAX_TESTS)
    if unread:
        picked.notes = [
            f"tests: {len(found) - MAX_TESTS} of {len(found)} found left out (limit of "
            f"{MAX_TESTS}); {unread} more test files that mention {target.name} not searched"
        ]
    return picked


def _tests_in(
    index: WorkspaceIndex,
    root: Path,
    path: Path,
    relevance: int,
    target: Definition,
    word: re.Pattern[str],
) -> list[tuple[tuple[int, bool], TestReference]]:
    module = index.module(path)
    if module is None:
        return []
    found = []
    for test in module.definitions:
        if not _is_test(test) or _same(test, target):
            continue
        source = module.source_of(test)
        if word.search(source):
            rank = (relevance, target.name not in test.calls)
            reference = TestReference(
                path=relative_to(root, path), name=test.qualified_name, source=source
            )
            found.append((rank, reference))
    return found


def _settled(found: list[tuple[tuple[int, bool], TestReference]], next_relevance: int) -> bool:
    """Enough tests rank at least as high as anything a file of ``next_relevance`` could add."""
    best_possible = (next_relevance, False)
    return sum(1 for rank, _ in found if rank <= best_possible) >= MAX_TESTS


def _file_relevance(test_path: str, target: Definition) -> int:
    """0: the test file's path names the target; 1: it names the target's module; else 2."""
    names: set[str] = set()
    for part in test_path.removesuffix(".py").split("/"):
        names.update((part, part.removeprefix("test_").removesuffix("_test"), *part.split("_")))
    if target.name in names:
        return 0
    return 1 if _module_stem(target.path) in names else 2


def _is_test(definition: Definition) -> bool:
    return definition.kind is not SymbolKind.CLASS and definition.name.startswith("test")


def _callees(
    index: WorkspaceIndex, root: Path, module: ModuleIndex, target: Definition
) -> _Picked[str]:
    """Signatures of what the target calls: same module first, then what the module imports."""
    rendered: list[str] = []
    ambiguous: list[str] = []
    seen: set[tuple[Path, str, int]] = set()
    for name in target.calls:
        found = _resolve_callee(index, module, target, name)
        if found is None:
            ambiguous.append(name)
            continue
        for definition in found:
            key = (definition.path, definition.qualified_name, definition.start)
            if key not in seen:
                seen.add(key)
                rendered.append(_render(root, definition))
    picked = _limited("callees", rendered, MAX_CALLEES)
    if ambiguous:
        picked.notes.insert(
            0,
            f"callees: {len(ambiguous)} called names defined more than "
            f"{MAX_DEFINITIONS_PER_NAME} times left out (ambiguous): {', '.join(ambiguous)}",
        )
    return picked


def _resolve_callee(
    index: WorkspaceIndex, module: ModuleIndex, target: Definition, name: str
) -> list[Definition] | None:
    """Where ``name`` is probably defined; None when it is defined too often to tell.

    A bare call ``f()`` can only reach a definition of this module or an imported
    name (else it is a builtin); ``x.f()`` can reach any method called ``f``.
    """
    plain = name in target.plain_calls
    local = [
        d
        for d in module.definitions
        if d.name == name and not _within(d, target) and not (plain and d.kind is SymbolKind.METHOD)
    ]
    if local:
        owner = target.qualified_name.rpartition(".")[0]
        local.sort(key=lambda d: d.qualified_name.rpartition(".")[0] != owner)
        return local[:MAX_DEFINITIONS_PER_NAME]
    elsewhere = [
        d
        for d in index.definitions(name)
        if d.path != module.path and not index.is_test_file(d.path)
    ]
    imported = _imported_from(module.imports, name)
    preferred = [d for d in elsewhere if _module_stem(d.path) in imported]
    if preferred or plain:
        return preferred[:MAX_DEFINITIONS_PER_NAME]
    return elsewhere if len(elsewhere) <= MAX_DEFINITIONS_PER_NAME else None


def _imported_from(imports: Sequence[str], name: str) -> set[str]:
    """The last component of each module that ``from ... import`` brings ``name`` from."""
    word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    found = set()
    for line in imports:
        match = _FROM_IMPORT.match(line)
        if match is not None and word.search(match.group(2)):
            found.add(match.group(1).rpartition(".")[2])
    found.discard("")
    return found


def _callers(
    index: WorkspaceIndex,
    root: Path,
    module: ModuleIndex,
    target: Definition,
    importers: list[Path],
) -> _Picked[str]:
    """Signatures of definitions that call the target: same module first, then the
    modules that import it (or its class), ``importers``; tests left out. A call of the
    same name in a module that does not import the target is another function's
    (``dict.get`` for a ``get``), and reading every such module cost seconds in a large
    tree."""
    local = [d for d in module.definitions if target.name in d.calls and not _within(d, target)]
    elsewhere = [
        d
        for d in index.callers(target.name, include_tests=False, among=importers)
        if d.path != module.path
    ]
    rendered = [_render(root, definition) for definition in [*local, *elsewhere]]
    return _limited("callers", rendered, MAX_CALLERS)


def _render(root: Path, definition: Definition) -> str:
    header = f"# {definition.qualified_name} in {relative_to(root, definition.path)}"
    return "\n".join([header, *definition.decorators, definition.signature])


def _top_name(target: Definition) -> str:
    """The module-level name a test imports to reach ``target`` (``Stack`` for ``Stack.pop``)."""
    return target.qualified_name.split(".")[0]


def _module_stem(path: Path) -> str:
    return path.parent.name if path.stem == "__init__" else path.stem


def _same(one: Definition, other: Definition) -> bool:
    return one.path == other.path and one.start == other.start


def _within(inner: Definition, outer: Definition) -> bool:
    """``inner`` is ``outer`` or nested in it."""
    return inner.path == outer.path and outer.start <= inner.start and inner.end <= outer.end


def _limited(label: str, items: list[T], limit: int) -> _Picked[T]:
    if len(items) <= limit:
        return _Picked(items)
    note = f"{label}: {len(items) - limit} of {len(items)} left out (limit of {limit})"
    return _Picked(items[:limit], [note])


# ---------------------------------------------------------------- fitting the budget


class _Budget:
    def __init__(self, tokens: int) -> None:
        self.left = tokens
        self.used = 0

    def take(self, text: str) -> bool:
        """Spend the tokens of ``text`` if they fit."""
        cost = estimate_tokens(text)
        if cost > self.left:
            return False
        self.force(text)
        return True

    def force(self, text: str) -> None:
        cost = estimate_tokens(text)
        self.left -= cost
        self.used += cost


def _fit(spec: LoopSpec, module_path: str, parts: _Gathered, token_budget: int) -> Context:
    budget = _Budget(token_budget)
    omitted: list[str] = []
    # The signature names the target: it always goes in, and its cost is set aside first.
    budget.force(parts.signature)
    target_source = _fit_text("target source", parts.target_source, budget, omitted)
    docstring = _fit_text("docstring", parts.docstring or "", budget, omitted)
    imports = _fit_items("imports", parts.imports, str, budget, omitted)
    tests = _fit_picked("tests", parts.tests, _test_text, budget, omitted)
    callees = _fit_picked("callees", parts.callees, str, budget, omitted)
    callers = _fit_picked("callers", parts.callers, str, budget, omitted)
    return Context(
        spec=spec,
        module_path=module_path,
        target_source=target_source,
        signature=parts.signature,
        docstring=docstring or None,
        imports=imports,
        callees=callees,
        callers=callers,
        tests=tests,
        omitted=omitted,
        token_estimate=budget.used,
    )


def _fit_text(label: str, text: str, budget: _Budget, omitted: list[str]) -> str:
    """All of ``text``, or as many whole leading lines as fit with a note of the rest."""
    if budget.take(text):
        return text
    lines = text.split("\n")
    # chars[k]: the length of the first k lines, each with its newline.
    chars = list(accumulate((len(line) + 1 for line in lines), initial=0))
    for kept in range(len(lines) - 1, 0, -1):
        marker = _truncation_marker(len(lines) - kept)
        if math.ceil((chars[kept] + len(marker)) / CHARS_PER_TOKEN) <= budget.left:
            truncated = "\n".join([*lines[:kept], marker])
            budget.force(truncated)
            omitted.append(f"{label}: {len(lines) - kept} of {len(lines)} lines left out (budget)")
            return truncated
    omitted.append(f"{label}: left out (budget)")
    return ""


def _truncation_marker(count: int) -> str:
    return f"# ... {count} more lines left out to fit the context budget"


def _fit_picked(
    label: str,
    picked: _Picked[T],
    text: Callable[[T], str],
    budget: _Budget,
    omitted: list[str],
) -> list[T]:
    omitted.extend(picked.notes)
    return _fit_items(label, picked.items, text, budget, omitted)


def _fit_items(
    label: str, items: Sequence[T], text: Callable[[T], str], budget: _Budget, omitted: list[str]
) -> list[T]:
    """The items that fit, in order; one too large for what is left does not stop smaller ones."""
    kept = [item for item in items if budget.take(text(item))]
    if len(kept) < len(items):
        omitted.append(f"{label}: {len(items) - len(kept)} of {len(items)} left out (budget)")
    return kept


def _test_text(test: TestReference) -> str:
    return f"{test.path}\n{test.name}\n{test.source}"
