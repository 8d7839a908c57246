"""Inputs to probe candidates with, from the target's signature and its spec.

In this order (earlier inputs are preferred as questions, being the easiest to read):
1. the spec's own examples: calls of the target in its docstring's ``>>>`` lines, then
   in its text (``f([1, 2], 5) ➞ False``), whose arguments are literals, then inputs the
   text states by parameter name (``For lst = [1, 2] the output should be 3``;
   ``Input: arr = [1, 2], k = 1``; ``Input: [4, 2]`` for a one-parameter function), then
   values near them (words or items reordered, fewer, repeated; numbers ±1, also the
   numbers written inside strings; runs of a character one shorter or longer) — the
   shape of a valid input is often one no hint tells;
2. edge values of the annotated types (empty, zero, negative, one element, ...) and the
   numbers the spec names with their neighbours (boundaries), varied one parameter at a
   time from the first example (or from a typical value), then all at once (alike
   parameters once with the same value and once with values of the same size that
   differ: ties between arguments are boundaries too);
3. property-based inputs: hypothesis strategies built from the type hints, bounded in
   size and count, drawn with a fixed seed — the same inputs for the same seed.
A parameter without a hint takes its type from the values the examples pass. Only
required positional parameters are probed (the others keep their defaults), and only
plain functions (a method needs an instance nobody specified). Every input is a list of
Python literals, so it is recorded as text and replayed in the sandbox as such.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

DEFAULT_SEED = 0
MAX_INPUTS = 64
NEAR_EXAMPLES = 16
GENERATED_INPUTS = 24
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?!\w|\.\d)")
_MAX_SPEC_NUMBERS = 4
_MAX_INT = 10**6
_QUOTED = re.compile(r"(['\"])([^'\"\n]{1,20})\1")
_MAX_SPEC_STRINGS = 12
_MAX_NUMBERS_INSIDE = 3


@dataclass(frozen=True)
class TypeHint:
    """A type as far as probing cares: a kind and its parameters."""

    kind: str
    """int, float, str, bool, bytes, none, list, tuple, dict, set, union, any."""
    items: tuple[TypeHint, ...] = ()
    variadic: bool = False
    """A ``tuple[X, ...]``."""


ANY = TypeHint("any")


@dataclass(frozen=True)
class ProbeSet:
    """The inputs (each a list of literal arguments) and where each came from."""

    seed: int
    parameters: tuple[str, ...]
    inputs: list[list[str]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    """``example``, ``near example``, ``edge`` or ``generated``, one per input."""
    skipped: str | None = None
    """Why nothing is probed (a method, ``*args``, a signature that does not parse)."""


def probe_inputs(
    definition: str,
    docstring: str | None,
    seed: int = DEFAULT_SEED,
    max_inputs: int = MAX_INPUTS,
    generated: int = GENERATED_INPUTS,
) -> ProbeSet:
    """Probe inputs for the function ``definition`` (its source), deterministic per ``seed``."""
    function = _function(definition)
    if function is None:
        return ProbeSet(seed, (), skipped="its definition is not a plain function")
    required = _required_parameters(function)
    if isinstance(required, str):
        return ProbeSet(seed, (), skipped=required)
    names = tuple(arg.arg for arg in required)
    examples = spec_examples(docstring or "", function.name, len(names))
    examples += [
        stated for stated in stated_inputs(docstring or "", names) if stated not in examples
    ]
    hints = [_hint(arg.annotation) if arg.annotation is not None else ANY for arg in required]
    hints = [
        _from_examples(hint, [example[index] for example in examples])
        for index, hint in enumerate(hints)
    ]
    numbers = spec_numbers(docstring or "")
    words = spec_strings(docstring or "")
    probes = ProbeSet(seed, names)
    seen: set[tuple[str, ...]] = set()

    def add(arguments: Sequence[Any], origin: str) -> None:
        # Room is kept for the generated inputs: they reach what the fixed values do not.
        room = max_inputs if origin == "generated" else max_inputs - generated
        texts = tuple(repr(value) for value in arguments)
        if texts in seen or len(probes.inputs) >= room or not _replayable(texts):
            return
        seen.add(texts)
        probes.inputs.append(list(texts))
        probes.origins.append(origin)

    for example in examples:
        add(example, "example")
    for arguments in islice(_near_examples(examples, words), NEAR_EXAMPLES):
        add(arguments, "near example")
    if not names:
        if not examples:
            add((), "edge")
        return probes
    for arguments in _edges(hints, examples, numbers, words):
        add(arguments, "edge")
    for drawn in generated_values(hints, numbers, seed, generated):
        add(drawn, "generated")
    return probes


def _near_examples(examples: Sequence[Sequence[Any]], words: Sequence[str]) -> Iterator[list[Any]]:
    """Each example with one argument moved to a value near it: the first variant of every
    example, then the second of each, ... (so a later example is varied too)."""
    rows = [list(_near_example(example, words)) for example in examples]
    for depth in range(max((len(row) for row in rows), default=0)):
        for row in rows:
            if depth < len(row):
                yield row[depth]


def _near_example(example: Sequence[Any], words: Sequence[str]) -> Iterator[list[Any]]:
    for index, value in enumerate(example):
        for variant in near(value, words):
            yield [*example[:index], variant, *example[index + 1 :]]


def _edges(
    hints: Sequence[TypeHint],
    examples: Sequence[Sequence[Any]],
    numbers: Sequence[int],
    words: Sequence[str],
) -> Iterator[list[Any]]:
    """Each parameter's edge values in turn (the others as in the first example), then all
    at once, shallowest first."""
    edges = [edge_values(hint, numbers, words) for hint in hints]
    base = list(examples[0]) if examples else [values[min(2, len(values) - 1)] for values in edges]
    for index, values in enumerate(edges):
        for value in values:
            yield [*base[:index], value, *base[index + 1 :]]
    for depth in range(max(len(values) for values in edges)):
        same = [values[min(depth, len(values) - 1)] for values in edges]
        yield same
        yield [
            alike(value) if hint in hints[:index] else value
            for index, (hint, value) in enumerate(zip(hints, same, strict=True))
        ]


def _required_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg] | str:
    """The parameters a call must pass, or why the function cannot be probed."""
    args = function.args
    if args.vararg is not None or args.kwarg is not None:
        return "it takes *args or **kwargs"
    positional = [*args.posonlyargs, *args.args]
    required = positional[: len(positional) - len(args.defaults)]
    if required and required[0].arg in ("self", "cls"):
        return "it is a method"
    if any(default is None for default in args.kw_defaults):
        return "it has keyword-only parameters without defaults"
    return required


def _function(definition: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        module = ast.parse(textwrap.dedent(definition.strip("\n")))
    except SyntaxError:
        return None
    for node in module.body:
        if isinstance(node, ast.FunctionDef):
            return node
    return None


def _replayable(texts: Sequence[str]) -> bool:
    try:
        for text in texts:
            ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


# ---------------------------------------------------------------- the spec


def spec_examples(
    docstring: str, name: str, arity: int | None, in_prose: bool = True
) -> list[tuple[Any, ...]]:
    """Literal arguments of the calls of ``name`` in the docstring: its ``>>>`` lines first,
    then (``in_prose``) calls written in its text (``will_it_fly([1, 2], 5) ➞ False``).

    ``arity``: only calls with that many arguments (None: any).
    """
    lines = docstring.splitlines()
    doctests = [line.strip()[3:].strip() for line in lines if line.strip().startswith(">>>")]
    prose = [_call_texts(line, name) for line in lines if not line.strip().startswith(">>>")]
    found = []
    for text in [*doctests, *(call for calls in prose if in_prose for call in calls)]:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called_name(node.func) == name):
                continue
            if node.keywords or (arity is not None and len(node.args) != arity):
                continue
            try:
                found.append(tuple(ast.literal_eval(argument) for argument in node.args))
            except (ValueError, SyntaxError, TypeError, RecursionError):
                continue
    return list(dict.fromkeys(found)) if _hashable(found) else found


def examples_text(docstring: str | None, name: str, more: Sequence[str] = ()) -> str | None:
    """The spec's examples as doctest text, None when it has none: the docstring (its
    ``>>>`` examples), then the calls its text writes with their result (`written_results`),
    then ``more`` (doctest lines the user stated during the run)."""
    docstring = docstring or ""
    text = "\n".join(part for part in (docstring, *written_results(docstring, name), *more) if part)
    return text if ">>>" in text else None


# What stands between a call written in prose and the result it states.
_STATES_A_RESULT = re.compile(
    r"\s*(?:(?:➞|→|->|=>|==|=)\s*|(?:returns?|should (?:return|be)|gives?|yields?)\s+)",
    re.IGNORECASE,
)


def written_results(docstring: str, name: str) -> list[str]:
    """Doctest lines for the calls of ``name`` that the spec's text writes with the result
    it expects: ``will_it_fly([1, 2], 5) ➞ False``, ``choose_num(12, 15) = 14``,
    ``count_upper('aBCdEf') returns 1``. The user wrote them: they are examples of the spec
    as much as ``>>>`` lines are. Only literal arguments and a literal result that ends the
    statement ("… returns 1 if …" states no result)."""
    found: list[str] = []
    for line in docstring.splitlines():
        if line.strip().startswith(">>>"):
            continue
        searched = 0
        for call in _call_texts(line, name):
            at = line.index(call, searched) + len(call)
            searched = at
            stated = _STATES_A_RESULT.match(line, at)
            literal_call = spec_examples(f">>> {call}", name, None, in_prose=False)
            if stated is None or not literal_call:
                continue
            result = _stated_literal(line, stated.end())
            example = f">>> {call}\n{result[0]!r}" if result else None
            if example is not None and example not in found:
                found.append(example)
    return found


def _stated_literal(line: str, start: int) -> tuple[Any] | None:
    """The literal at ``start``, if the statement ends after it (a full stop, a comma or
    the end of the line may follow), in a tuple; None otherwise."""
    words = line[start:].split(maxsplit=1)
    if not words:
        return None
    if words[0].endswith(".") and not words[0].startswith(tuple("'\"([{")):
        # "= 14." is 14 and the sentence's full stop, not the float 14.0.
        cut = start + len(words[0]) - 1
        line = line[:cut] + " " + line[cut + 1 :]
    literal = _literal_at(line, start)
    if literal is None:
        return None
    value, end = literal
    rest = line[end:].lstrip()
    return (value,) if not rest or rest[0] in ".,;)" else None


def stated_inputs(docstring: str, parameters: Sequence[str]) -> list[tuple[Any, ...]]:
    """Inputs the spec's text states by naming each parameter: ``For lst = [1, 2] the
    output should be 3``, ``Input: arr = [1, 2], k = 1``, one line each; and, for a
    function of one parameter, ``Input: [4, 2, 3]``. Only literal values count."""
    found: list[tuple[Any, ...]] = []
    for line in docstring.splitlines():
        if line.strip().startswith(">>>"):
            continue
        values = _named_values(line, parameters)
        if values is None and len(parameters) == 1:
            values = _input_value(line)
        if values is not None and values not in found:
            found.append(values)
    return found


def _named_values(line: str, parameters: Sequence[str]) -> tuple[Any, ...] | None:
    """The literal after ``name =`` for every parameter on the line, in parameter order."""
    values = []
    for parameter in parameters:
        match = re.search(rf"(?<![\w.]){re.escape(parameter)}\s*=(?!=)\s*", line)
        literal = _literal_at(line, match.end()) if match else None
        if literal is None:
            return None
        values.append(literal[0])
    return tuple(values) if values else None


def _input_value(line: str) -> tuple[Any, ...] | None:
    """``Input: [4, 2, 3]``: the one literal a line labelled as an input holds."""
    match = re.match(r"\s*(?:input|arg(?:ument)?)s?\s*:\s*", line, re.IGNORECASE)
    literal = _literal_at(line, match.end()) if match else None
    if literal is None or line[literal[1] :].strip():
        return None
    return (literal[0],)


_CLOSING = {"(": ")", "[": "]", "{": "}"}


def _literal_at(line: str, start: int) -> tuple[Any, int] | None:
    """The Python literal starting at ``start`` (brackets and quotes balanced, else one
    token) and where it ends; None when the text there is no literal."""
    end, depth, quote = start, 0, ""
    while end < len(line):
        char = line[end]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _CLOSING:
            depth += 1
        elif char in _CLOSING.values():
            depth -= 1
        elif depth == 0 and (char.isspace() or char in ",;"):
            break
        end += 1
        if depth == 0 and not quote and line[start] in "'\"([{" and end > start + 1:
            break
    try:
        return ast.literal_eval(line[start:end]), end
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _call_texts(line: str, name: str) -> list[str]:
    """The calls of ``name`` written in a line of prose, each as text up to its closing
    parenthesis (brackets inside balanced; quotes ignored, as prose rarely nests them)."""
    calls = []
    for match in re.finditer(rf"(?<![\w.]){re.escape(name)}\(", line):
        depth = 0
        for end in range(match.end() - 1, len(line)):
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(line[end], 0)
            if depth == 0:
                calls.append(line[match.start() : end + 1])
                break
    return calls


def _hashable(values: Sequence[Any]) -> bool:
    try:
        hash(tuple(values))
    except TypeError:
        return False
    return True


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def spec_strings(docstring: str) -> list[str]:
    """Short quoted words the spec names outside its examples (values it allows, say)."""
    prose = "\n".join(line for line in docstring.splitlines() if not line.strip().startswith(">>>"))
    found: list[str] = []
    for match in _QUOTED.finditer(prose):
        word = match.group(2)
        if word and word not in found:
            found.append(word)
    return found[:_MAX_SPEC_STRINGS]


def spec_numbers(docstring: str) -> list[int]:
    """Whole numbers the spec names (boundaries), outside its examples' output lines."""
    numbers: list[int] = []
    for match in _NUMBER.finditer(docstring):
        value = int(match.group())
        if abs(value) <= _MAX_INT and value not in numbers:
            numbers.append(value)
    return numbers[:_MAX_SPEC_NUMBERS]


def near(value: Any, words: Sequence[str] = ()) -> list[Any]:
    """Values like one the spec passes: its words or items reordered, fewer, repeated; ±1.

    Valid inputs are often of a shape no type hint tells (number words, numeric strings,
    sorted lists): the spec's own examples show the shape, so vary them. A string of
    several words is also rebuilt from the words the spec quotes (``'zero' to 'nine'``).
    """
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value - 1, value + 1, -value, value * 2]
    if isinstance(value, float):
        return [value + 0.5, value - 0.5, -value, round(value) + 0.5]
    if isinstance(value, str):
        return _near_string(value, words)
    if isinstance(value, list | tuple):
        items = list(value)
        variants = [items[::-1], sorted(items, key=repr), items[:1], items[:-1], items + items[:1]]
        if items and isinstance(items[0], int | float | str) and not isinstance(items[0], bool):
            variants.append([items[0], *items])
        return [variant if isinstance(value, list) else tuple(variant) for variant in variants]
    return []


def _near_string(text: str, vocabulary: Sequence[str]) -> list[Any]:
    variants: list[Any] = []
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and text.strip():
        variants += [
            f"{number + 0.5:g}",
            f"{number - 0.5:g}",
            f"-{text.lstrip('-')}",
            f"{-number - 0.5:g}",
        ]
    else:
        variants += _near_numbers_inside(text)
    variants += _near_runs(text)
    words = text.split()
    if len(words) > 1:
        variants += [
            " ".join(reversed(words)),
            words[0],
            " ".join(words[:2]),
            " ".join([*words, words[0]]),
        ]
        spoken = [word for word in vocabulary if word.isalpha()]
        if len(spoken) > 1:
            variants += [" ".join(spoken[::-1]), " ".join(spoken[1::2] + spoken[::2])]
    elif len(text) > 1:
        variants += [text[::-1], text[0], text[:-1], text + text[0]]
    variants += [text.upper(), text.lower(), text.swapcase()]
    return [variant for variant in variants if variant != text]


def _near_numbers_inside(text: str) -> list[str]:
    """The numbers written inside a string (``'03-11-2000'``, ``'5 apples'``), one at a
    time, moved by ±1 and to 1 (as wide as written: ``'02-11-2000'``)."""
    variants = []
    for match in islice(re.finditer(r"\d+", text), _MAX_NUMBERS_INSIDE):
        digits = match.group()
        for value in (int(digits) - 1, int(digits) + 1, 1):
            if value >= 0:
                moved = f"{value:0{len(digits)}d}" if digits.startswith("0") else str(value)
                variants.append(text[: match.start()] + moved + text[match.end() :])
    return variants


def _near_runs(text: str) -> list[str]:
    """A run of one character one shorter (``'a   b'``: ``'a  b'``), and the first single
    space doubled (``'a b'``: ``'a  b'``): how long a run is is often what the spec is about."""
    variants = []
    for match in islice(re.finditer(r"(.)\1+", text), _MAX_NUMBERS_INSIDE):
        variants.append(text[: match.start()] + match.group()[1:] + text[match.end() :])
    single = re.search(r"(?<! ) (?! )", text)
    if single is not None:
        variants.append(text[: single.start()] + "  " + text[single.end() :])
    return variants


def alike(value: Any) -> Any:
    """A value of the same type and size as ``value`` that differs from it where it can
    (letters and digits moved one on, numbers plus one, items each made alike)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return "".join(_next_character(char) for char in value)
    if isinstance(value, list | tuple):
        return type(value)(alike(item) for item in value)
    if isinstance(value, set):
        return _unique_set({alike(item) for item in value}, value)
    if isinstance(value, dict):
        return {key: alike(item) for key, item in value.items()}
    return value


def _unique_set(moved: set[Any], value: set[Any]) -> set[Any]:
    return moved if len(moved) == len(value) else value


def _next_character(char: str) -> str:
    for first, count in (("a", 26), ("A", 26), ("0", 10)):
        offset = ord(char) - ord(first)
        if 0 <= offset < count:
            return chr(ord(first) + (offset + 1) % count)
    return char


# ---------------------------------------------------------------- type hints


_NAMES = {
    "int": "int", "float": "float", "str": "str", "bool": "bool", "bytes": "bytes",
    "None": "none", "list": "list", "List": "list", "Sequence": "list", "Iterable": "list",
    "Collection": "list", "MutableSequence": "list", "tuple": "tuple", "Tuple": "tuple",
    "dict": "dict", "Dict": "dict", "Mapping": "dict", "MutableMapping": "dict",
    "set": "set", "Set": "set", "frozenset": "set", "FrozenSet": "set", "AbstractSet": "set",
}  # fmt: skip


def _hint(node: ast.expr) -> TypeHint:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _hint(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return ANY
    if isinstance(node, ast.Constant) and node.value is None:
        return TypeHint("none")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return TypeHint("union", (_hint(node.left), _hint(node.right)))
    name = _dotted_tail(node.value if isinstance(node, ast.Subscript) else node)
    if isinstance(node, ast.Subscript):
        parameters = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if name == "Optional":
            return TypeHint("union", (_hint(parameters[0]), TypeHint("none")))
        if name == "Union":
            return TypeHint("union", tuple(_hint(item) for item in parameters))
        kind = _NAMES.get(name or "")
        if kind == "tuple":
            variadic = len(parameters) == 2 and _is_ellipsis(parameters[1])
            items = parameters[:1] if variadic else parameters
            return TypeHint("tuple", tuple(_hint(item) for item in items), variadic)
        if kind in ("list", "set", "dict"):
            return TypeHint(kind, tuple(_hint(item) for item in parameters))
        return ANY
    kind = _NAMES.get(name or "")
    if kind in ("list", "set", "tuple"):
        return TypeHint(kind, (ANY,), variadic=kind == "tuple")
    if kind == "dict":
        return TypeHint("dict", (ANY, ANY))
    return TypeHint(kind) if kind else ANY


def _dotted_tail(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _from_examples(hint: TypeHint, values: Sequence[Any]) -> TypeHint:
    """``hint``, or where it says nothing (no hint, a bare ``list``), what the examples pass
    (the first that is not empty: ``[]`` says nothing about its items)."""
    if hint.kind != "any" and all(item.kind != "any" for item in hint.items):
        return hint
    if not values:
        return hint if hint.kind != "any" else TypeHint("int")
    filled = [value for value in values if not _empty_container(value)]
    return _type_of((filled or values)[0])


def _empty_container(value: Any) -> bool:
    """An empty list, set, dict or tuple: it says nothing about the type of its items."""
    return isinstance(value, list | tuple | set | frozenset | dict) and not value


def _type_of(value: Any) -> TypeHint:
    if value is None:
        return TypeHint("none")
    for kind in (bool, int, float, str, bytes):
        if isinstance(value, kind):
            return TypeHint(kind.__name__)
    if isinstance(value, list | set | frozenset):
        item = _type_of(next(iter(value))) if value else TypeHint("int")
        return TypeHint("list" if isinstance(value, list) else "set", (item,))
    if isinstance(value, tuple):
        return TypeHint("tuple", tuple(_type_of(item) for item in value))
    if isinstance(value, dict):
        if not value:
            return TypeHint("dict", (TypeHint("str"), TypeHint("int")))
        key, item = next(iter(value.items()))
        return TypeHint("dict", (_type_of(key), _type_of(item)))
    return TypeHint("int")


# ---------------------------------------------------------------- values


def edge_values(
    hint: TypeHint, numbers: Sequence[int] = (), words: Sequence[str] = ()
) -> list[Any]:
    """Boundary values of a type: empty, zero, negative, one element, the spec's numbers ±1
    and the words it quotes."""
    kind = hint.kind
    if kind in ("int", "any"):
        bounds = [value + delta for value in numbers for delta in (-1, 0, 1)]
        return _unique([0, 1, -1, 2, 3, 10, *bounds])
    if kind == "float":
        return [0.0, 1.0, -1.0, 0.5, 2.5, -3.75, *[float(value) for value in numbers]]
    if kind == "str":
        return ["", "a", "ab", "abc", "aA", "a b", "hello world", "racecar", "a1b2", *words[:4]]
    if kind == "bool":
        return [True, False]
    if kind == "bytes":
        return [b"", b"a", b"abc"]
    if kind == "none":
        return [None]
    if kind == "union":
        return _unique(
            [value for item in hint.items for value in edge_values(item, numbers, words)[:4]]
        )
    item = hint.items[0] if hint.items else ANY
    values = edge_values(item, numbers, words)
    pick = [values[index % len(values)] for index in (1, 2, 3, 0, 4, 5, 2)]
    if kind == "list":
        return [[], pick[:1], pick[:2], pick[:3], pick[1:3] + pick[:1], pick[:1] * 2, pick]
    if kind == "set":
        return _unique([set(), set(pick[:1]), set(pick[:3])])
    if kind == "tuple":
        if hint.variadic:
            return [(), tuple(pick[:1]), tuple(pick[:3])]
        columns = [edge_values(part, numbers) for part in hint.items]
        return [tuple(column[depth % len(column)] for column in columns) for depth in range(4)]
    if kind == "dict":
        keys = edge_values(hint.items[0] if hint.items else TypeHint("str"), numbers)
        items = edge_values(hint.items[1] if len(hint.items) > 1 else ANY, numbers)
        return [{}, {keys[1]: items[1]}, {keys[1]: items[1], keys[2 % len(keys)]: items[2]}]
    return [0, 1, -1]


def _unique(values: Sequence[Any]) -> list[Any]:
    unique: list[Any] = []
    for value in values:
        if not any(type(value) is type(seen) and value == seen for seen in unique):
            unique.append(value)
    return unique


def generated_values(
    hints: Sequence[TypeHint], numbers: Sequence[int], seed: int, count: int
) -> Iterator[tuple[Any, ...]]:
    """Up to ``count`` argument tuples drawn by hypothesis from the hints, fixed by ``seed``."""
    if count <= 0:
        return iter(())
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis import strategies as st

    drawn: list[tuple[Any, ...]] = []
    strategy = st.tuples(*(_strategy(hint, numbers) for hint in hints))

    @fixed_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def collect(arguments: tuple[Any, ...]) -> None:
        drawn.append(arguments)

    collect()
    return islice(iter(drawn), count)


def _strategy(hint: TypeHint, numbers: Sequence[int]) -> Any:
    from hypothesis import strategies as st

    kind = hint.kind
    if kind in ("int", "any"):
        bound = max([20, *[abs(value) * 2 for value in numbers]])
        return st.integers(-bound, bound)
    if kind == "float":
        return st.floats(-100, 100, allow_nan=False, allow_infinity=False).map(
            lambda value: round(value, 3)
        )
    if kind == "str":
        return st.text(alphabet="abcxyzAB 019.,", max_size=8)
    if kind == "bool":
        return st.booleans()
    if kind == "bytes":
        return st.binary(max_size=6)
    if kind == "none":
        return st.none()
    if kind == "union":
        return st.one_of(*(_strategy(item, numbers) for item in hint.items))
    item = _strategy(hint.items[0] if hint.items else ANY, numbers)
    if kind == "list":
        return st.lists(item, max_size=6)
    if kind == "set":
        return st.sets(item, max_size=5)
    if kind == "tuple":
        if hint.variadic:
            return st.lists(item, max_size=5).map(tuple)
        return st.tuples(*(_strategy(part, numbers) for part in hint.items))
    if kind == "dict":
        values = _strategy(hint.items[1] if len(hint.items) > 1 else ANY, numbers)
        return st.dictionaries(item, values, max_size=4)
    return st.integers(-20, 20)
