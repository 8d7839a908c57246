"""Print the items of the corpus for a labeller: each spec with the code it is read with.

Items come from ``items.jsonl`` (no labels in it). Third-party text is
read back from the pinned sdists (``fetch.py`` downloads them on first use into
``benchmarks/.cache/sdists``); our variants are printed from the file itself.

    python3 -m benchmarks.corpus.show_items                  # every item, in file order
    python3 -m benchmarks.corpus.show_items --kind todo      # only TODO-style comments
    python3 -m benchmarks.corpus.show_items --kind docstring # only docstrings
    python3 -m benchmarks.corpus.show_items --batch 2        # only the second batch of comments
    python3 -m benchmarks.corpus.show_items --id ref:pip/src/pip/_internal/cache.py:283
    python3 -m benchmarks.corpus.show_items --start 100 --count 50   # a page

What is printed for each kind of item:

- a TODO-style comment (``source: real-comment``): the lines around it, the
  comment's first line marked with ``>>``;
- a real stub docstring (``real-stub``): the whole stub function and the lines of
  its class header, if any;
- a real docstring of an implemented function (``real-nonstub``): its ``def``
  line and docstring with the body replaced by ``...`` — label it as the spec of
  a stub;
- a variant (``variant``): a stub function we wrote.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any

from benchmarks.corpus.docstring_corpus import (
    docstring_literal,
    load_items,
    signature_at,
    stub_source,
)
from benchmarks.corpus.fetch import ensure_sources

CONTEXT_LINES = 10


def render(item: dict[str, Any], roots: dict[str, Path] | None) -> str:
    if item["source"] == "variant":
        return stub_source(item["signature"], item["docstring"])
    assert roots is not None
    file = roots[item["project"]] / item["path"]
    lines = file.read_text(encoding="utf-8").splitlines()
    line = int(item["line"])
    if item["source"] == "real-comment":
        return _window(lines, line, CONTEXT_LINES, CONTEXT_LINES)
    if item["source"] == "real-nonstub":
        literal = docstring_literal(file, line)
        indent = " " * (len(lines[line - 1]) - len(lines[line - 1].lstrip()))
        signature = signature_at(file, line)
        return f"{signature}:\n{indent}{literal}\n{indent}...\n"
    return _stub_function(file, lines, line)


def _window(lines: list[str], line: int, before: int, after: int) -> str:
    start, end = max(1, line - before), min(len(lines), line + after)
    marked = [
        f"{'>>' if number == line else '  '} {number:5d}  {lines[number - 1]}"
        for number in range(start, end + 1)
    ]
    return "\n".join(marked) + "\n"


def _stub_function(file: Path, lines: list[str], line: int) -> str:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for child in node.body:
                if _opens_at(child, line):
                    header = "\n".join(lines[node.lineno - 1 : node.body[0].lineno - 1])
                    return f"{header}\n    ...\n" + _span(lines, child)
        elif _opens_at(node, line):
            return _span(lines, node)
    return _window(lines, line, 3, 12)


def _opens_at(node: ast.AST, line: int) -> bool:
    return (
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and bool(node.body)
        and node.body[0].lineno == line
    )


def _span(lines: list[str], node: ast.AST) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    last = getattr(node, "end_lineno", None) or node.lineno
    return "\n".join(lines[first - 1 : last]) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Print corpus items for labelling.")
    parser.add_argument("--kind", choices=["todo", "docstring"])
    parser.add_argument("--batch", type=int, help="only the TODO corpus' batch N (1 to 4)")
    parser.add_argument("--id", action="append", help="only this item (repeatable)")
    parser.add_argument("--start", type=int, default=0, help="skip this many items first")
    parser.add_argument("--count", type=int, help="print at most this many items")
    args = parser.parse_args(argv)
    items = load_items()
    if args.kind:
        items = [item for item in items if item["kind"] == args.kind]
    if args.batch:
        items = [item for item in items if item.get("batch") == args.batch]
    if args.id:
        wanted = set(args.id)
        items = [item for item in items if item["id"] in wanted]
    items = items[args.start :]
    if args.count is not None:
        items = items[: args.count]
    roots = ensure_sources() if any(i["source"] != "variant" for i in items) else None
    for number, item in enumerate(items, start=args.start + 1):
        where = f"  {item['project']}/{item['path']}:{item['line']}" if "path" in item else ""
        print(f"=== [{number}] {item['id']}  kind={item['kind']}{where}")
        print(render(item, roots))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
