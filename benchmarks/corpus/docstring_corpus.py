"""The docstring corpus: real docstrings (by reference) and the variants we wrote.

Three sources of docstring specs, each judged by docs/rubric.md and
docs/rubric.md ("Docstring specs"):

- **real stubs** — the 70 stub docstrings already in ``batch1_labelled.jsonl``;
- **real non-stub docstrings** — ``REAL_PER_PROJECT`` short docstrings of
  implemented public functions from each pinned sdist, drawn with a fixed seed
  and read *as if the body were a stub* (would two engineers write the same
  function from it?). Stored as references (project, version, path, line, sha1);
  the text is read back from the sdist;
- **variants** — ``variants.txt``, written by us: for each base function a clear
  docstring, an ambiguous variant (an open choice injected) and an incomplete
  variant (the output or a condition removed). Their text is ours and is stored.

Everything here is stdlib-only, like the rest of ``benchmarks/corpus``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.corpus.extract import EXCLUDED_DIRS
from benchmarks.corpus.fetch import load_sources, spec_fingerprint

HERE = Path(__file__).resolve().parent
VARIANTS_FILE = HERE / "variants.txt"
TODO_LABELS_FILE = HERE / "batch1_labelled.jsonl"
TODO_BATCH_FILES = tuple(HERE / f"batch{n}_refs.jsonl" for n in (2, 3, 4))
ITEMS_FILE = HERE / "items.jsonl"
REAL_PER_PROJECT = 12
SEED = 20261201
_SKIPPED_PARTS = {"tests", "test", "testing", "conftest.py", "docs", "doc", "benchmarks"}
VARIANT_ROLES = ("clear", "ambiguous", "incomplete")


@dataclass(frozen=True)
class Variant:
    base: str
    role: str  # clear | ambiguous | incomplete
    signature: str
    docstring: str

    @property
    def id(self) -> str:
        digest = hashlib.sha1(f"{self.base}/{self.role}".encode()).hexdigest()[:10]
        return f"var:{digest}"


def parse_variants(path: Path = VARIANTS_FILE) -> list[Variant]:
    """Read ``variants.txt``: blocks separated by blank lines.

    A block is ``def ...`` (the signature, without the colon), then ``C:``, ``A:``
    and ``I:`` lines (the clear summary, its ambiguous and its incomplete
    version; ``C+ text`` adds a line to the clear one), then optional doctest
    lines (``>>>`` and the expected output) that belong to the clear docstring
    only. Lines starting with ``#`` are comments.
    """
    variants: list[Variant] = []
    text = path.read_text(encoding="utf-8")
    for block in re.split(r"\n\s*\n", text):
        lines = [line.rstrip() for line in block.splitlines() if not line.startswith("#")]
        if not lines:
            continue
        signature = lines[0]
        if not signature.startswith("def "):
            raise ValueError(f"variants.txt: a block must start with 'def': {signature!r}")
        parts: dict[str, str] = {}
        examples: list[str] = []
        for line in lines[1:]:
            if line[:2] in ("C:", "A:", "I:"):
                parts[line[0]] = line[2:].strip()
            elif line[:2] in ("C+", "A+", "I+"):
                parts[line[0]] += "\n" + line[3:]
            elif line.strip():
                examples.append(line.strip())
        if set(parts) != {"C", "A", "I"}:
            raise ValueError(f"variants.txt: {signature!r} needs C:, A: and I: lines")
        base = re.match(r"def (\w+)", signature)
        assert base is not None
        name = base.group(1)
        clear = parts["C"] + ("\n\n" + "\n".join(examples) if examples else "")
        variants.append(Variant(name, "clear", signature, clear))
        variants.append(Variant(name, "ambiguous", signature, parts["A"]))
        variants.append(Variant(name, "incomplete", signature, parts["I"]))
    names = [v.base for v in variants]
    duplicates = {name for name in names if names.count(name) > 3}
    if duplicates:
        raise ValueError(f"variants.txt: duplicate base names {sorted(duplicates)}")
    return variants


def stub_source(signature: str, docstring: str) -> str:
    """A module holding one stub function with this docstring."""
    body = docstring.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
    return f'{signature}:\n    """\n{indented}\n    """\n    ...\n'


# --- real non-stub docstrings -------------------------------------------------------


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    rest = node.body[1:]
    if not rest:
        return True
    for statement in rest:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Raise):
            continue
        return False
    return True


def source_functions(
    root: Path,
) -> Iterator[tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function of an sdist's source (not its tests, docs or benchmarks), with its
    file relative to ``root``, in a stable order: what the corpora draw from."""
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root)
        if set(relative.parts) & (EXCLUDED_DIRS | _SKIPPED_PARTS):
            continue
        if any(part.startswith("test") for part in relative.parts):
            continue
        try:
            tree = ast.parse(file.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield relative, node


def _candidates(project: str, root: Path) -> Iterator[dict[str, Any]]:
    for relative, node in source_functions(root):
        if node.name.startswith("_") or _is_stub(node):
            continue
        docstring = ast.get_docstring(node, clean=False)
        first = node.body[0]
        if docstring is None or not isinstance(first, ast.Expr):
            continue
        words = docstring.split()
        if not 6 <= len(words) <= 60 or len(docstring.splitlines()) > 12:
            continue
        yield {
            "project": project,
            "path": str(relative),
            "line": first.lineno,
            "def_line": node.lineno,
        }


def draw_real(roots: dict[str, Path], per_project: int = REAL_PER_PROJECT) -> list[dict[str, Any]]:
    """A fixed-seed sample of short docstrings of implemented functions, per project."""
    chosen: list[dict[str, Any]] = []
    for project in sorted(roots):
        found = list(_candidates(project, roots[project]))
        rng = random.Random(f"{SEED}/{project}")
        chosen.extend(sorted(rng.sample(found, min(per_project, len(found))), key=_key))
    return chosen


def _key(row: dict[str, Any]) -> tuple[str, int]:
    return (row["path"], row["line"])


def docstring_literal(file: Path, line: int) -> str:
    """The docstring literal that opens on ``line`` (1-based), from quote to quote."""
    source = file.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and node.lineno == line
        ):
            segment = ast.get_source_segment(source, node)
            if segment is not None:
                return segment
    raise LookupError(f"no docstring opens at {file}:{line}")


def signature_at(file: Path, line: int) -> str:
    """The ``def`` header of the function whose docstring opens on ``line``."""
    source = file.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if function and node.body and node.body[0].lineno == line:
            lines = source.splitlines()[node.lineno - 1 : node.body[0].lineno - 1]
            header = "\n".join(lines).rstrip()
            return header[:-1] if header.endswith(":") else header
    raise LookupError(f"no function whose docstring opens at {file}:{line}")


def docstring_value(literal: str) -> str:
    """The docstring's text, dedented the way ``inspect.cleandoc`` does it."""
    import inspect

    value = ast.literal_eval(literal)
    assert isinstance(value, str)
    return inspect.cleandoc(value)


# --- items ---------------------------------------------------------------------------


def todo_items(
    paths: tuple[Path, ...] = (TODO_LABELS_FILE, *TODO_BATCH_FILES),
) -> list[dict[str, Any]]:
    """The TODO corpus' references: batch 1 (comments and stubs), batches 2 to 4 (comments)."""
    items = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            items.append(
                {
                    "id": f"ref:{row['project']}/{row['path']}:{row['line']}",
                    "kind": "todo" if row["kind"] == "comment" else "docstring",
                    "source": "real-stub" if row["kind"] == "docstring" else "real-comment",
                    "batch": row.get("batch", 1),
                    "project": row["project"],
                    "version": row["version"],
                    "path": row["path"],
                    "line": row["line"],
                    "sha1": row["sha1"],
                }
            )
    return items


def real_docstring_items(roots: dict[str, Path]) -> list[dict[str, Any]]:
    # Drawn from the first eight sdists only: the sources added for later batches add no items.
    versions = {src["project"]: src["version"] for src in load_sources() if "batch" not in src}
    batch1 = {project: root for project, root in roots.items() if project in versions}
    items = []
    for row in draw_real(batch1):
        file = roots[row["project"]] / row["path"]
        literal = docstring_literal(file, row["line"])
        items.append(
            {
                "id": f"ref:{row['project']}/{row['path']}:{row['line']}",
                "kind": "docstring",
                "source": "real-nonstub",
                "project": row["project"],
                "version": versions[row["project"]],
                "path": row["path"],
                "line": row["line"],
                "sha1": spec_fingerprint(literal),
            }
        )
    return items


def variant_items() -> list[dict[str, Any]]:
    return [
        {
            "id": variant.id,
            "kind": "docstring",
            "source": "variant",
            "signature": variant.signature,
            "docstring": variant.docstring,
        }
        for variant in parse_variants()
    ]


def build_items(roots: dict[str, Path]) -> list[dict[str, Any]]:
    """Every item of the corpus, in a fixed order that does not group a base's variants."""
    items = [*todo_items(), *real_docstring_items(roots), *variant_items()]
    return sorted(items, key=lambda item: hashlib.sha1(item["id"].encode()).hexdigest())


def split_of(item_id: str, base: str | None = None) -> str:
    """dev or held-out, by hash; a variant goes by its base, so a triple stays together.

    A reference ``ref:<project>/<path>:<line>`` hashes ``<project>/<path>:<line>``, the
    key ``benchmarks/todo_detector.py`` splits the TODO corpus by, so the TODO
    corpus keeps the halves it was tuned and held out with.
    """
    key = f"base:{base}" if base else item_id.removeprefix("ref:")
    return "dev" if hashlib.sha1(key.encode()).digest()[0] % 2 == 0 else "held-out"


def load_items(path: Path = ITEMS_FILE) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_items(items: list[dict[str, Any]], path: Path = ITEMS_FILE) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    from fetch import ensure_sources

    built = build_items(ensure_sources())
    write_items(built)
    print(f"wrote {len(built)} items to {ITEMS_FILE}")
