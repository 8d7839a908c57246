"""module_symbols: the nested outline a documentSymbol request returns."""

import random
import sysconfig
from pathlib import Path

from tree_sitter import Query, QueryCursor

from specloop.analysis.parsing import parse, python_language
from specloop.analysis.symbols import _HOLDS_STATEMENTS, Symbol, SymbolKind, module_symbols

SOURCE = b"""\
import functools


@functools.cache
def top(a, b=1) -> int:
    def helper():
        pass
    return helper()


class Outer(Base, metaclass=Meta):
    class Inner:
        async def run(self):
            lambda: None

    @property
    def value(self):
        return 1


if True:
    def conditional():
        pass
"""


def outline(symbols: list[Symbol]) -> list[tuple[str, SymbolKind, list]]:
    return [(s.name, s.kind, outline(s.children)) for s in symbols]


def test_outline_nests_classes_methods_and_inner_functions():
    symbols = module_symbols(parse(SOURCE))
    assert outline(symbols) == [
        ("top", SymbolKind.FUNCTION, [("helper", SymbolKind.FUNCTION, [])]),
        (
            "Outer",
            SymbolKind.CLASS,
            [
                ("Inner", SymbolKind.CLASS, [("run", SymbolKind.METHOD, [])]),
                ("value", SymbolKind.METHOD, []),
            ],
        ),
        ("conditional", SymbolKind.FUNCTION, []),
    ]


def test_a_decorated_definition_starts_at_its_decorator_and_names_its_identifier():
    top = module_symbols(parse(SOURCE))[0]
    assert SOURCE[top.start :].startswith(b"@functools.cache")
    assert SOURCE[top.name_start : top.name_end] == b"top"
    assert top.detail == "(a, b=1) -> int"


def test_class_detail_lists_its_bases():
    outer = module_symbols(parse(SOURCE))[1]
    assert outer.detail == "(Base, metaclass=Meta)"


def test_broken_code_still_yields_the_definitions_that_parse():
    symbols = module_symbols(parse(b"def ok():\n    return 1\n\ndef broken(:\n    pass\n"))
    assert symbols[0].name == "ok"


def test_an_empty_module_has_no_symbols():
    assert module_symbols(parse(b"")) == []


# Every definition tree-sitter's query finds anywhere in the tree: the reference the
# statement-level walk must agree with.
EVERY_DEFINITION = """
(function_definition name: (identifier) @name) @definition
(class_definition name: (identifier) @name) @definition
"""


def flatten(symbols: list[Symbol]) -> list[tuple[str, int, int]]:
    found = []
    for symbol in symbols:
        found.append((symbol.name, symbol.name_start, symbol.name_end))
        found.extend(flatten(symbol.children))
    return sorted(found)


def queried(source: bytes) -> list[tuple[str, int, int]]:
    query = Query(python_language(), EVERY_DEFINITION)
    names = QueryCursor(query).captures(parse(source).root_node).get("name", [])
    return sorted(((n.text or b"").decode(), n.start_byte, n.end_byte) for n in names)


def broken_variants(source: bytes, rng: random.Random) -> list[bytes]:
    """The file cut short, with a line gone, and with a stray bracket: code being typed."""
    lines = source.splitlines(keepends=True)
    if not lines:
        return []
    cut = rng.randrange(len(lines))
    gone = rng.randrange(len(lines))
    return [
        b"".join(lines[:cut]),
        b"".join(lines[:gone] + lines[gone + 1 :]),
        b"".join(lines[:cut]) + b"x = (\n" + b"".join(lines[cut:]),
    ]


WHERE_DEFINITIONS_HIDE = [
    b"match x:\n    case 1:\n        def in_case(): pass\n    case _:\n        class K: pass\n",
    b"if x:\n  pass\n  else:\n    def under_an_error(): pass\n",
    b"try:\n    pass\nexcept* E:\n    def g(): pass\nfinally:\n    def h(): pass\n",
    b"with a:\n    async def f(): pass\nwhile b:\n    pass\nelse:\n    def w(): pass\n",
]


def test_the_outline_holds_every_definition_the_tree_has_even_in_broken_code():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(stdlib.glob("*.py"))[::4]  # about 50 modules, all of Python's syntax
    rng = random.Random(7)
    sources = list(WHERE_DEFINITIONS_HIDE)
    for path in files:
        source = path.read_bytes()
        sources.extend([source, *broken_variants(source, rng)])
    assert len(sources) > 150
    for source in sources:
        assert flatten(module_symbols(parse(source))) == queried(source), source[:80]


def test_every_node_type_the_walk_enters_exists_in_the_grammar():
    """A misspelt or retired type would silently hide the definitions under it."""
    language = python_language()
    for node_type in _HOLDS_STATEMENTS:
        assert language.id_for_node_kind(node_type, True) is not None, node_type
