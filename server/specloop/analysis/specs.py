"""Spec extraction: TODO-style comments and the docstrings of stub functions.

A spec is what a developer wrote down as a request for code: a TODO / FIXME /
XXX / HACK comment (with the comment lines that continue it, and the
``TODO(name):`` form) or the docstring of a function whose body is only
``...``, ``pass`` or ``raise NotImplementedError``. Each spec carries its range,
its enclosing function or class, and the code around it, because a spec is
read together with its code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from itertools import chain, islice

from tree_sitter import Node, Tree

from specloop.analysis.parsing import SAME_SCOPE_STATEMENTS
from specloop.analysis.text import LineIndex, decode
from specloop.defaults import DEFAULT_MARKERS

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SKIPPED_DECORATORS = {"abstractmethod", "abstractproperty", "overload"}
_ABSTRACT_BASES = {"Protocol", "ABC"}
_CONTEXT_LINES = 3


class SpecKind(StrEnum):
    COMMENT = "comment"
    DOCSTRING = "docstring"


class ScopeKind(StrEnum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"


@dataclass(frozen=True, slots=True)
class Scope:
    """The innermost function or class around a spec (or the module)."""

    kind: ScopeKind
    name: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SpecContext:
    """The code a spec is read with."""

    trailing_code: str
    """Code before the comment on its first line ("" for a standalone comment)."""
    next_code: tuple[str, ...]
    """The next few lines of code after the spec, stripped."""
    scope_is_stub: bool
    """The enclosing function's body is only a docstring, pass, ... or NotImplementedError."""
    has_doctest: bool = False
    interface_stub: bool = False
    """A stub that reads as an interface (a method of a base for subclasses), a pytest
    fixture to override, or a function kept only for its documentation."""
    return_annotation: str | None = None
    """The stub's return annotation as written (``"float"``), None when it has none."""
    docstring_lines: tuple[str, ...] = ()
    """A docstring spec's lines as written (quotes removed), so its layout can be read."""
    commented_code: tuple[str, ...] = ()
    """Commented-out code right below a comment spec ("# assert total([1, 2]) == 3"),
    without the ``#``: not part of its text, but what it may ask to bring back."""


@dataclass(frozen=True, slots=True)
class Spec:
    kind: SpecKind
    marker: str | None
    tag: str | None
    """What stands in ``TODO(tag)``: an owner, an issue or a version."""
    text: str
    """The words of the spec, without the marker, ``#`` and quotes, lines joined by spaces."""
    start: int
    end: int
    scope: Scope
    context: SpecContext


@cache
def _marker_pattern(markers: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(marker) for marker in markers)
    # Upper-case markers anywhere at the start; lower-case ones only with a ':' or '(' after.
    # A tag is short and asks nothing: "TODO (rooted?)" holds text.
    return re.compile(
        rf"^#+[ \t]*(?:(?P<upper>{names})\b|(?P<lower>(?i:{names}))(?=[:(]))"
        r"[ \t]*(?:\((?P<tag>[^)?]{0,40})\))?[ \t]*[:,;!\-\u2013\u2014]?[ \t]*(?P<text>.*)$"
    )


def extract_specs(
    source: bytes,
    tree: Tree,
    lines: LineIndex,
    markers: Iterable[str] = DEFAULT_MARKERS,
    limit: int | None = None,
) -> list[Spec]:
    """Every spec in the module, in document order; with ``limit``, no more than that of
    each kind (comments, docstrings), so a file of a million TODOs costs no more than that."""
    marker_tuple = tuple(markers)
    specs = list(islice(_comment_specs(source, tree, lines, marker_tuple), limit))
    specs.extend(islice(_docstring_specs(source, tree, lines), limit))
    specs.sort(key=lambda spec: spec.start)
    return specs


def may_contain_specs(source: bytes, markers: Iterable[str] = DEFAULT_MARKERS) -> bool:
    """False only when ``source`` certainly holds no spec; needs no parse tree.

    A spec needs a comment that opens with a marker, a placeholder statement (``pass``,
    ``...``, ``raise NotImplementedError``) right after a string, or a docstring that
    is a block's whole body. This
    check is conservative: whatever it cannot rule out, it reports as possible.
    """
    if marker_comment_starts(source, tuple(markers)):
        return True
    if any(_may_follow_a_string(source, offset) for offset in _placeholder_offsets(source)):
        return True
    return next(_docstring_only_offsets(source), None) is not None


def _may_follow_a_string(source: bytes, offset: int) -> bool:
    if source.startswith(b"NotImplementedError", offset):
        before = source[max(0, offset - 80) : offset].rstrip(b" \t")
        if not before.endswith(b"raise"):
            return False  # Not `raise NotImplementedError`: never a placeholder.
        offset -= len(source[max(0, offset - 80) : offset]) - len(before) + len(b"raise")
    line_start = source.rfind(b"\n", 0, offset) + 1
    same_line = source[line_start:offset].rstrip(b" \t;")
    if same_line.strip():
        return same_line.endswith((b'"', b"'"))
    end = line_start - 1
    while end > 0:
        start = source.rfind(b"\n", 0, end) + 1
        line = source[start:end].strip()
        end = start - 1
        if not line or line.startswith(b"#"):
            continue
        if b"#" in line or line.endswith(b"\\"):
            return True  # A trailing comment or a continuation: too subtle to rule out here.
        return line.rstrip(b";").rstrip().endswith((b'"', b"'"))
    return False


def _comment_specs(
    source: bytes, tree: Tree, lines: LineIndex, markers: tuple[str, ...]
) -> Iterator[Spec]:
    if not markers:
        return
    pattern = _marker_pattern(markers)
    root = tree.root_node
    continued_up_to = -1
    # Only comments that can start a spec are looked at: a byte scan finds them.
    for start in marker_comment_starts(source, markers):
        if start <= continued_up_to:
            continue
        comment = root.descendant_for_byte_range(start, start + 1)
        if comment is None or comment.type != "comment" or comment.start_byte != start:
            continue  # A '#' inside a string, or not at the comment's start.
        match = pattern.match(_text(comment))
        if match is None:
            continue
        parts = [match.group("text").strip()]
        last = comment
        while (following := _continuation(source, lines, root, comment, last, pattern)) is not None:
            parts.append(_continued_text(_text(following), pattern))
            last = following
        continued_up_to = last.end_byte
        yield Spec(
            kind=SpecKind.COMMENT,
            marker=(match.group("upper") or match.group("lower") or "").upper(),
            tag=(match.group("tag") or "").strip() or None,
            text=" ".join(part for part in parts if part),
            start=comment.start_byte,
            end=last.end_byte,
            scope=_scope_of(comment),
            context=_context(
                source,
                lines,
                comment,
                last.end_byte,
                _code_before(source, lines, comment),
                commented_code=tuple(_commented_code_below(source, lines, root, comment, last)),
            ),
        )


def _commented_code_below(
    source: bytes, lines: LineIndex, root: Node, first: Node, last: Node
) -> Iterator[str]:
    """The lines of commented-out code aligned with the spec right below it (a few): each
    a form of code, or indented below the first (a commented-out body)."""
    body_indent: int | None = None
    for line in range(last.end_point.row + 1, last.end_point.row + 6):
        candidate = _aligned_comment(source, lines, root, first, line)
        if candidate is None:
            return
        code = _text(candidate).lstrip("#")
        indent = len(code) - len(code.lstrip())
        in_body = body_indent is not None and indent > body_indent and code.strip()
        if not in_body and not _is_commented_code(_text(candidate)):
            return
        if body_indent is None:
            body_indent = indent
        yield code.strip()


def _continued_text(text: str, pattern: re.Pattern[str]) -> str:
    marked = pattern.match(text)
    return (marked.group("text") if marked else text.lstrip("#")).strip()


def marker_comment_starts(source: bytes, markers: tuple[str, ...]) -> list[int]:
    """Offsets of every '#' run directly followed by a marker (any case), in order."""
    return [match.start() for match in _marker_scan(markers).finditer(source)]


@cache
def _marker_scan(markers: tuple[str, ...]) -> re.Pattern[bytes]:
    # Starting with a literal '#' lets the regex engine skip ahead quickly.
    names = b"|".join(re.escape(marker.encode()) for marker in markers)
    return re.compile(rb"#[#\t ]*(?:" + names + rb")", re.IGNORECASE)


def _find_all(source: bytes, needle: bytes) -> Iterator[int]:
    offset = source.find(needle)
    while offset != -1:
        yield offset
        offset = source.find(needle, offset + len(needle))


def _continuation(
    source: bytes,
    lines: LineIndex,
    root: Node,
    first: Node,
    previous: Node,
    pattern: re.Pattern[str],
) -> Node | None:
    """The comment continuing the spec on the next line, if there is one."""
    candidate = _aligned_comment(source, lines, root, first, previous.end_point.row + 1)
    if candidate is not None and _continues(source, lines, first, previous, candidate, pattern):
        return candidate
    return None


def _aligned_comment(
    source: bytes, lines: LineIndex, root: Node, first: Node, line: int
) -> Node | None:
    """The comment that opens ``line`` in the column ``first`` opens in, if there is one."""
    if line >= lines.line_count:
        return None
    offset = lines.starts[line] + first.start_point.column
    if source[offset : offset + 1] != b"#":
        return None
    candidate = root.descendant_for_byte_range(offset, offset + 1)
    if candidate is None or candidate.type != "comment" or candidate.start_byte != offset:
        return None
    return candidate


def _continues(
    source: bytes,
    lines: LineIndex,
    first: Node,
    previous: Node,
    candidate: Node,
    pattern: re.Pattern[str],
) -> bool:
    """A continuation line sits on the next line, aligned with the first, and alone."""
    if candidate.start_point.row != previous.end_point.row + 1:
        return False
    if candidate.start_point.column != first.start_point.column:
        return False
    if _code_before(source, lines, candidate):
        return False
    text = _text(candidate)
    if text.lstrip("#").strip() == "" or _PRAGMA.match(text):
        return False
    if _is_commented_code(text) and not _ends_mid_sentence(_text(previous)):
        return False  # code, not the rest of a sentence ("… with" / "#  Error(msg)")
    marked = pattern.match(text)
    return marked is None or _sentence_goes_on(_text(previous), marked)


# Comments addressed to tools, not readers: they end a spec ("# mypy: disable-error-code=").
_PRAGMA = re.compile(
    r"#+\s*(?:(?:type|mypy|pyright|pylint|pragma|fmt|isort|ruff|flake8|yapf|pyre-\w+|specloop)"
    r"\s*:|noqa\b|nosec\b)",
    re.IGNORECASE,
)


# A line of commented-out code ends a spec too: the spec is the prose above it ("# FIXME:
# <issue URL>" over "#    def f3(self, __a=42, /):"), and code read as prose gives the
# rules words it never meant ("or", "?"). Forms prose lines do not take: a definition,
# a decorator, a prompt, an assignment, a line that is one call or one literal, a
# compound statement's header, a simple statement of code. Read on the line without
# its "#" and outer spaces; every alternative is linear in the line's length.
_CODE_FORM = re.compile(
    r"(?:async\s+)?def\s+\w+\s*\(|class\s+\w+\s*[(:]|@[\w.]+(?:\(.*\))?$|>>>"
    r"|[\w.]+(?:\[[^\]]*\])?\s*(?:[-+*/|&%]|//)?=(?!=)\s*[^\s.](?:.*[^.\s])?$"
    r"|[\w.]+\(.*\)[,:]?$"
    r"|(?:else|try|finally)\s*:$"
    r"|(?:if|elif|(?:async\s+)?(?:for|with)|while|except)\b(?=.*(?:[(\[=<>!]|\w\.\w|\w_\w)).*:$"
    r"|raise\s+[\w.]+\(|assert\s|import\s+[\w.]+$|from\s+[\w.]+\s+import\s|pass$|return(?:\s+\S*)?$"
)
# One literal on its own line: a bracket to its match, holding a string or ending in a
# comma (`("G@id:minion_a1", ["minion_a1"]),`); not a parenthetical ("(see gh-12)").
_LITERAL_LINE = re.compile(r"[(\[{].*[)\]}],?$")
_QUOTED = re.compile(r"(?<!\w)(['\"])[^'\"]*\1(?!\w)")
# Longer lines are prose: commented-out code this long is rare, and the cap keeps a
# hostile file's megabyte comment line cheap.
_LONGEST_CODE_LINE = 300


def _is_commented_code(comment: str) -> bool:
    """Whether a comment line is commented-out code (``#`` and all)."""
    line = comment.lstrip("#").strip()
    if len(line) > _LONGEST_CODE_LINE:
        return False
    if _CODE_FORM.match(line):
        return True
    return bool(_LITERAL_LINE.match(line)) and (line.endswith(",") or bool(_QUOTED.search(line)))


def _sentence_goes_on(previous: str, marked: re.Match[str]) -> bool:
    """A marker repeated on every line of one sentence ("# TODO: should be made more
    robust with" / "# TODO: respect to symbol names"): the earlier line stops on a word
    no sentence ends with, and this one goes on in lower case, with no tag. (Lines
    that could each stand alone stay apart: a list of terse TODOs has no full stops.)"""
    return (
        marked.group("tag") is None
        and marked.group("text")[:1].islower()
        and _ends_mid_sentence(previous)
    )


def _ends_mid_sentence(line: str) -> bool:
    """The line stops on a word no sentence ends with, or on a comma, dash or ampersand."""
    words = line.rstrip().rsplit(None, 1)
    last = words[-1].lower() if words else ""
    return last in _GOES_ON or last.endswith((",", "-", "&"))


# Words no sentence ends with: a line ending on one goes on below.
_GOES_ON = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "nor", "to", "of", "for", "in", "on", "at",
        "by", "with", "from", "into", "onto", "as", "than", "that", "which", "who", "whose",
        "if", "when", "where", "while", "then", "so", "be", "is", "are", "was", "were",
        "been", "being", "it'd", "we'd", "would", "should", "could", "can", "will", "may",
        "might", "must", "not", "no", "its", "their", "our", "your", "this", "these",
        "those", "some", "any", "all", "each", "every", "per", "via", "about", "between",
        "such",
    }
)  # fmt: skip


def _docstring_specs(source: bytes, tree: Tree, lines: LineIndex) -> Iterator[Spec]:
    root = tree.root_node
    seen: set[int] = set()
    last_definitions: dict[int, dict[str, int]] = {}
    # A stub ends in a placeholder statement, or its docstring is its whole body: find
    # those, then ask the tree.
    for offset in chain(_placeholder_offsets(source), _docstring_only_offsets(source)):
        node = root.descendant_for_byte_range(offset, offset + 1)
        while node is not None and node.type not in ("block", "module"):
            node = node.parent
        function = node.parent if node is not None else None
        if function is None or function.type != "function_definition":
            continue
        if function.start_byte in seen:
            continue
        seen.add(function.start_byte)
        spec = _stub_docstring_spec(source, lines, function, last_definitions)
        if spec is not None:
            yield spec


_PLACEHOLDERS = (b"pass", b"...", b"NotImplementedError")


def _docstring_only_offsets(source: bytes) -> Iterator[int]:
    """Offsets of triple quotes that open a block's first statement and end the block
    (``def f():``, a docstring, then code indented less, or nothing): where a
    docstring-only body may be. Needs no parse tree; the tree confirms it."""
    for needle in (b'"""', b"'''"):
        for offset in _find_all(source, needle):
            start = offset - 1 if offset and source[offset - 1] in b"rRuU" else offset
            line_start = source.rfind(b"\n", 0, start) + 1
            if source[line_start:start].strip(b" \t"):
                continue  # code before it on its line: not the first line of a block
            before = line_start - 1
            while before >= 0 and source[before] in b" \t\r\n":
                before -= 1
            if before < 0 or source[before] != ord(":"):
                continue
            end = source.find(needle, offset + len(needle))
            if end != -1 and _block_ends(source, end + len(needle), start - line_start):
                yield offset


def _block_ends(source: bytes, offset: int, indent: int) -> bool:
    """Whether the first code after ``offset`` (past the end of its line, blank lines and
    comments) is indented less than ``indent``, or there is none."""
    line_end = source.find(b"\n", offset)
    rest = source[offset : len(source) if line_end == -1 else line_end].strip()
    if rest and not rest.startswith(b"#"):
        return False
    while line_end != -1:
        line_start = line_end + 1
        line_end = source.find(b"\n", line_start)
        line = source[line_start : len(source) if line_end == -1 else line_end]
        code = line.lstrip(b" \t")
        if code.strip() and not code.startswith(b"#"):
            return len(line) - len(code) < indent
    return True


def _placeholder_offsets(source: bytes) -> Iterator[int]:
    """Offsets of words that can make a body a placeholder (the tree confirms them)."""
    for needle in _PLACEHOLDERS:
        for offset in _find_all(source, needle):
            before = source[offset - 1 : offset]
            after = source[offset + len(needle) : offset + len(needle) + 1]
            if not (before.isalnum() or before == b"_") and not (after.isalnum() or after == b"_"):
                yield offset


def _stub_docstring_spec(
    source: bytes, lines: LineIndex, function: Node, last_definitions: dict[int, dict[str, int]]
) -> Spec | None:
    """``last_definitions``: `_defined_again_below`'s table of each body's functions, built
    once per module."""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    statements = [child for child in body.named_children if child.type != "comment"]
    if not statements or not _is_docstring(statements[0]):
        return None
    if len(statements) == 1 and not _may_be_a_docstring_only_stub(function):
        return None
    placeholders = statements[1:]
    if not all(_is_placeholder(statement) for statement in placeholders):
        return None
    if _is_abstract(function) or _declares_for_type_checkers(function, last_definitions):
        return None
    docstring = statements[0]
    raw = decode(source[docstring.start_byte : docstring.end_byte])
    returns = function.child_by_field_name("return_type")
    return Spec(
        kind=SpecKind.DOCSTRING,
        marker=None,
        tag=None,
        text=_docstring_text(raw),
        start=docstring.start_byte,
        end=docstring.end_byte,
        scope=_scope_of(docstring),
        context=_context(
            source,
            lines,
            docstring,
            docstring.end_byte,
            "",
            raw,
            interface_stub=_is_interface_stub(function, placeholders)
            or _is_fixture_or_documentation(function),
            return_annotation=_text(returns) if returns is not None else None,
        ),
    )


def _is_docstring(statement: Node) -> bool:
    return (
        statement.type == "expression_statement"
        and statement.named_child_count == 1
        and statement.named_children[0].type in ("string", "concatenated_string")
    )


def _is_placeholder(statement: Node) -> bool:
    if statement.type == "pass_statement":
        return True
    if statement.type == "expression_statement":
        return [child.type for child in statement.named_children] == ["ellipsis"]
    if statement.type == "raise_statement":
        raised = statement.named_children[0] if statement.named_children else None
        if raised is not None and raised.type == "call":
            raised = raised.child_by_field_name("function")
        return raised is not None and _text(raised) == "NotImplementedError"
    return False


_BASE_CLASS_NAME = re.compile(r"Base|Abstract|Interface|Mixin|Protocol")


def _is_interface_stub(function: Node, placeholders: list[Node]) -> bool:
    """A method stub that defines an interface: raises NotImplementedError or sits in a base."""
    owner = _enclosing(function, ("class_definition", "function_definition"))
    if owner is None or owner.type != "class_definition":
        return False
    if any(statement.type == "raise_statement" for statement in placeholders):
        return True
    name = owner.child_by_field_name("name")
    return name is not None and bool(_BASE_CLASS_NAME.search(_text(name)))


_DOCUMENTATION_NAME = re.compile(r"^_\w*_doc$|^_doc_\w+$")
_FIXTURE_DECORATORS = {"fixture", "yield_fixture"}


def _is_fixture_or_documentation(function: Node) -> bool:
    """A pytest fixture that a test module overrides, or a function kept only for its
    docstring (scipy's ``_root_krylov_doc``): contracts and documentation, not requests."""
    name = function.child_by_field_name("name")
    if name is not None and _DOCUMENTATION_NAME.match(_text(name)):
        return True
    return bool(_decorator_names(function) & _FIXTURE_DECORATORS)


def _decorator_names(function: Node) -> set[str]:
    outer = function.parent
    if outer is None or outer.type != "decorated_definition":
        return set()
    return {
        _text(decorator).lstrip("@").split("(")[0].rsplit(".", 1)[-1].strip()
        for decorator in outer.named_children
        if decorator.type == "decorator"
    }


def _may_be_a_docstring_only_stub(function: Node) -> bool:
    """A module-level function whose body is its docstring alone is a stub (``def
    largest(values):`` and what it should do). A method so written is a hook that does
    nothing on purpose (a base class's default: ``eof_received``, a SAX handler's
    ``characters``), and a decorated function declares (a pluggy hookspec)."""
    if _enclosing(function, ("class_definition",)) is not None:
        return False
    return function.parent is None or function.parent.type != "decorated_definition"


def _is_abstract(function: Node) -> bool:
    """Abstract methods, overloads and Protocol members are contracts, not requests."""
    outer = function.parent
    if outer is not None and outer.type == "decorated_definition":
        for decorator in outer.children_by_field_name("decorator") or [
            child for child in outer.named_children if child.type == "decorator"
        ]:
            name = _text(decorator).lstrip("@").split("(")[0].rsplit(".", 1)[-1].strip()
            if name in _SKIPPED_DECORATORS:
                return True
    owner = _enclosing(function, ("class_definition",))
    if owner is not None:
        bases = owner.child_by_field_name("superclasses")
        if bases is not None:
            names = {name.rsplit(".", 1)[-1] for name in _IDENTIFIER.findall(_text(bases))}
            if names & _ABSTRACT_BASES:
                return True
    return False


_TYPE_CHECKING = re.compile(r"^(?:typing\.)?TYPE_CHECKING$")
_DEFINITIONS = ("class_definition", "function_definition")


def _declares_for_type_checkers(
    function: Node, last_definitions: dict[int, dict[str, int]]
) -> bool:
    """A stub written for type checkers, with its real body elsewhere: one under ``if
    TYPE_CHECKING:``, one marked ``# type: ignore[empty-body]``, or one its module or
    class defines again further down (the runtime version, often under ``if not
    TYPE_CHECKING:``). Like an ``@overload``, it declares; it asks for no body."""
    body = function.child_by_field_name("body")
    if (
        body is not None
        and b"empty-body" in (function.text or b"")[: body.start_byte - function.start_byte]
    ):
        return True
    inside, current = function, function.parent
    while current is not None and current.type not in _DEFINITIONS:
        if current.type == "if_statement":
            condition = current.child_by_field_name("condition")
            consequence = current.child_by_field_name("consequence")
            if (
                condition is not None
                and consequence is not None
                and consequence.start_byte == inside.start_byte
                and _TYPE_CHECKING.match(_text(condition))
            ):
                return True
        inside, current = current, current.parent
    return _defined_again_below(function, last_definitions)


def _defined_again_below(function: Node, last_definitions: dict[int, dict[str, int]]) -> bool:
    """An undecorated function that its module or class (through ``if`` and ``try``
    statements) defines again, undecorated, further down. ``last_definitions`` keeps,
    per body, where each name's last such definition starts."""
    name = _name_of(function)
    if name is None or function.parent is None or function.parent.type not in ("block", "module"):
        return False  # decorated: a property's getter and setter share a name
    scope: Node | None = function.parent
    while scope is not None and scope.type != "module" and not _is_definition_body(scope):
        scope = scope.parent
    if scope is None:
        return False
    last = last_definitions.get(scope.start_byte)
    if last is None:
        last = last_definitions[scope.start_byte] = {}
        for other in _plain_functions(scope):
            if (other_name := _name_of(other)) is not None:
                last[other_name] = other.start_byte
    return last.get(name, -1) > function.start_byte


def _is_definition_body(node: Node) -> bool:
    parent = node.parent
    return node.type == "block" and parent is not None and parent.type in _DEFINITIONS


def _plain_functions(node: Node) -> Iterator[Node]:
    """The undecorated functions a body defines, through its ``if``/``try`` statements."""
    for child in node.named_children:
        if child.type == "function_definition":
            yield child
        elif child.type in SAME_SCOPE_STATEMENTS:
            yield from _plain_functions(child)


def _name_of(function: Node) -> str | None:
    name = function.child_by_field_name("name")
    return _text(name) if name is not None else None


def _docstring_text(raw: str) -> str:
    return " ".join(line.strip() for line in _docstring_body(raw).splitlines() if line.strip())


def _docstring_body(raw: str) -> str:
    """The literal without its prefix and quotes."""
    body = raw
    for prefix in ("r", "u", "R", "U", "b", "B", "f", "F"):
        if body.startswith(prefix) and body[1:2] in ('"', "'"):
            body = body[1:]
            break
    return body.strip('"').strip("'").strip()


def _scope_of(node: Node) -> Scope:
    owner = _enclosing(node, ("function_definition", "class_definition"))
    if owner is None:
        root = node
        while root.parent is not None:
            root = root.parent
        return Scope(ScopeKind.MODULE, None, root.start_byte, root.end_byte)
    name = owner.child_by_field_name("name")
    kind = ScopeKind.FUNCTION if owner.type == "function_definition" else ScopeKind.CLASS
    return Scope(kind, _text(name) if name else None, owner.start_byte, owner.end_byte)


def _enclosing(node: Node, types: tuple[str, ...]) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type in types:
            return current
        current = current.parent
    return None


def _context(
    source: bytes,
    lines: LineIndex,
    first: Node,
    end: int,
    trailing: str,
    docstring: str = "",
    interface_stub: bool = False,
    return_annotation: str | None = None,
    commented_code: tuple[str, ...] = (),
) -> SpecContext:
    scope_node = _enclosing(first, ("function_definition", "class_definition"))
    stub = (
        scope_node is not None and scope_node.type == "function_definition" and _is_stub(scope_node)
    )
    return SpecContext(
        trailing_code=trailing,
        next_code=_next_code(source, lines, end),
        scope_is_stub=stub,
        has_doctest=">>>" in docstring,
        interface_stub=interface_stub,
        return_annotation=return_annotation,
        docstring_lines=tuple(_docstring_body(docstring).splitlines()) if docstring else (),
        commented_code=commented_code,
    )


def _is_stub(function: Node) -> bool:
    body = function.child_by_field_name("body")
    if body is None:
        return False
    statements = [child for child in body.named_children if child.type != "comment"]
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    return all(_is_placeholder(statement) for statement in statements)


def _next_code(source: bytes, lines: LineIndex, end: int) -> tuple[str, ...]:
    found: list[str] = []
    line = lines.line_of(end) + 1
    while line < lines.line_count and len(found) < _CONTEXT_LINES:
        text = decode(lines.line_bytes(source, line)).strip()
        if text and not text.startswith("#"):
            found.append(text)
        line += 1
    return tuple(found)


def _code_before(source: bytes, lines: LineIndex, node: Node) -> str:
    line_start = lines.starts[node.start_point.row]
    return decode(source[line_start : node.start_byte]).strip()


def _text(node: Node) -> str:
    return decode(node.text or b"")
