"""module_symbols: the nested outline a documentSymbol request returns."""

from specloop.analysis.parsing import parse
from specloop.analysis.symbols import Symbol, SymbolKind, module_symbols

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
