"""Find TODO-style specs in a source tree (corpus building only).

This is the simple, stdlib extractor used to *draw the labelled sample*; the
product has its own tree-sitter extractor. Two kinds of spec are found in every
``.py`` file outside vendored folders:

- comments that start with TODO, FIXME, XXX or HACK (upper case with a word
  boundary, e.g. ``TODO(name):`` or ``FIXME -``; other cases only when followed by
  ``:`` or ``(``, e.g. ``todo:``), together with the comment lines that continue
  them: consecutive comment-only lines at the same column that are not a new
  marker and not a bare ``#`` (a line that repeats the marker only to continue a
  wrapped sentence, ``# XXX and then...``, counts as a continuation);
- docstrings of stub functions (body = docstring + one of ``...``, ``pass``,
  ``raise NotImplementedError[(...)]``), skipping ``@abstractmethod``-style and
  ``@overload`` functions and members of ``Protocol`` classes.

A spec's ``line`` is the 1-based line of the marker comment or of the docstring's
opening quotes. Its ``text`` is the comment lines as written (from ``#``), or the
docstring literal from its opening quote to its closing quote (prefix dropped).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.corpus.fetch import spec_fingerprint

EXCLUDED_DIRS = {
    # vendored third-party code (copies or git submodules), not the project's own
    "_vendor",
    "vendor",
    "vendored",
    "_vendored",
    "vendored-meson",
    "subprojects",
    "_external",
    "pythoncapi-compat",
    "highway",
    "x86-simd-sort",
}
UPPER_MARKER = re.compile(r"#+\s*(TODO|FIXME|XXX|HACK)\b")
OTHER_MARKER = re.compile(r"#+\s*(todo|fixme|xxx|hack)\s*(\(|:)", re.IGNORECASE)
ABSTRACT_DECORATORS = {"abstractmethod", "abstractproperty", "abstractclassmethod", "overload"}


def marker_of(comment: str) -> str | None:
    """Return the upper-cased marker a comment token starts with, or None."""
    m = UPPER_MARKER.match(comment) or OTHER_MARKER.match(comment)
    return m.group(1).upper() if m else None


def _wrapped(prev_line: str, comment: str, marker: str) -> bool:
    """True if ``comment`` repeats ``marker`` only to continue a wrapped sentence.

    Some authors prefix every line of a block with the marker. Such a line
    continues the previous one when this one goes on in lower case without a
    ``:``/``(`` after the marker, and the previous line ends with a comma or is
    long (>= 60 characters, i.e. wrapped) without ending a sentence.
    """
    m = re.match(r"#+\s*" + marker + r"\b\s*(.*)", comment)
    if not m or marker_of(comment) != marker or not m.group(1)[:1].islower():
        return False
    prev = prev_line.rstrip()
    return prev.endswith(",") or (len(prev) >= 60 and prev[-1] not in ".!?:")


def comment_specs(source: str) -> Iterator[dict[str, Any]]:
    """Yield marker comments (with their continuation lines) found in ``source``."""
    lines = source.splitlines()
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    comments = [(t.start[0], t.start[1], t.string) for t in tokens if t.type == tokenize.COMMENT]
    by_line = {row: (col, text) for row, col, text in comments}
    consumed: set[int] = set()
    for row, col, text in comments:
        marker = marker_of(text)
        if marker is None or row in consumed:
            continue
        block = [text]
        nxt = row + 1
        while nxt in by_line:
            ncol, ntext = by_line[nxt]
            own_line = lines[nxt - 1][:ncol].strip() == ""
            if ncol != col or not own_line or ntext.strip("# \t") == "":
                break
            if marker_of(ntext) and not _wrapped(lines[nxt - 2], ntext, marker):
                break
            block.append(ntext)
            consumed.add(nxt)
            nxt += 1
        yield {
            "kind": "comment",
            "marker": marker,
            "line": row,
            "end_line": nxt - 1,
            "text": "\n".join(block),
        }


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _is_protocol(node: ast.ClassDef) -> bool:
    for base in node.bases:
        target = base.value if isinstance(base, ast.Subscript) else base
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "Protocol":
            return True
    return False


def _is_stub_tail(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return stmt.value.value is Ellipsis
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _docstring_literal(lines: list[str], node: ast.Constant) -> str:
    """Source text of a docstring from its opening quote to its closing quote."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    chunk = lines[first : last + 1]
    chunk[-1] = chunk[-1][: node.end_col_offset]
    chunk[0] = chunk[0][node.col_offset :]
    text = "\n".join(chunk)
    quote = min((i for i in (text.find('"'), text.find("'")) if i >= 0), default=0)
    return text[quote:]


def docstring_specs(source: str) -> Iterator[dict[str, Any]]:
    """Yield docstrings of stub functions in ``source`` (see the module docstring)."""
    tree = ast.parse(source)
    lines = source.splitlines()

    def visit(node: ast.AST, in_protocol: bool) -> Iterator[dict[str, Any]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from visit(child, _is_protocol(child))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                body = child.body
                if (
                    not in_protocol
                    and len(body) == 2
                    and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)
                    and _is_stub_tail(body[1])
                    and not (_decorator_names(child) & ABSTRACT_DECORATORS)
                ):
                    doc = body[0].value
                    yield {
                        "kind": "docstring",
                        "marker": None,
                        "line": doc.lineno,
                        "end_line": doc.end_lineno,
                        "text": _docstring_literal(lines, doc),
                        "function": child.name,
                    }
                yield from visit(child, False)
            else:
                yield from visit(child, in_protocol)

    yield from visit(tree, False)


def iter_python_files(root: Path) -> Iterator[Path]:
    """Yield ``.py`` files under ``root`` in sorted order, skipping vendored folders."""
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if not EXCLUDED_DIRS.intersection(rel.parts[:-1]):
            yield path


def specs_in_tree(root: Path) -> Iterator[dict[str, Any]]:
    """Yield every spec in the tree with its posix ``path`` and ``sha1`` fingerprint."""
    for path in iter_python_files(root):
        try:
            source = path.read_text(encoding="utf-8")
            found = list(comment_specs(source)) + list(docstring_specs(source))
        except (SyntaxError, UnicodeDecodeError, tokenize.TokenError, ValueError):
            continue
        rel = path.relative_to(root).as_posix()
        for spec in sorted(found, key=lambda s: s["line"]):
            spec["path"] = rel
            spec["sha1"] = spec_fingerprint(spec["text"])
            yield spec
