"""Put a model's new definition of one symbol into its module, changing nothing else.

The candidate is untrusted model output: it must parse, define exactly one function
or class with the target's name and kind, its imports must be plain import
statements, and it may rebind no other name of the module (`bindings.py`). LibCST
swaps only the target node, so every other byte of the module (comments, blank
lines, formatting) survives. Nothing here raises for bad input:
every entry point returns a TransformSuccess or a TransformFailure whose reason is
a sentence the user (or the model, as feedback) can act on.

Re-indentation is LibCST's: a definition written at column 0 takes the target's
nesting. String literals keep their exact values, except that the continuation
lines of docstrings move with the code so they stay aligned (inspect.cleandoc reads
them the same). Comments around the definition, and blank lines before it, belong to
the module and are kept; the candidate's decorators replace the original ones only
when it has any.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

from specloop.refactor.bindings import foreign_effects

Definition = cst.FunctionDef | cst.ClassDef
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement
ImportNode = cst.Import | cst.ImportFrom

_LINE_WITH_TEXT = re.compile(r"(?<=\n)(?=[^\S\n]*\S)")
_LINE_START = re.compile(r"(?<=\n)")
_LEADING_BLANKS = re.compile(r"[ \t]*")
_SNIPPET_LIMIT = 60


@dataclass(frozen=True)
class TransformSuccess:
    """The whole new module source."""

    source: str


@dataclass(frozen=True)
class TransformFailure:
    """Why the transform was refused, as a sentence that says what to do next."""

    reason: str


TransformResult = TransformSuccess | TransformFailure


@dataclass(frozen=True)
class _Target:
    node: Definition
    indent: str  # the absolute indentation of the definition's first line


def replace_symbol(
    module_source: str,
    qualified_name: str,
    new_definition: str,
    imports: Sequence[str] = (),
) -> TransformResult:
    """Replace the definition of ``qualified_name`` with ``new_definition`` and add ``imports``."""
    module = _parse_module(module_source)
    if isinstance(module, TransformFailure):
        return module
    import_nodes = _parse_imports(imports, module.default_newline)
    if isinstance(import_nodes, TransformFailure):
        return import_nodes
    target = _find(module, qualified_name)
    if isinstance(target, TransformFailure):
        return target
    candidate = _parse_candidate(new_definition, module.default_newline)
    if isinstance(candidate, TransformFailure):
        return candidate
    problem = _mismatch(target.node, candidate, qualified_name) or foreign_effects(
        module, target.node, candidate, import_nodes, _ModuleImports.of(module)
    )
    if problem is not None:
        return TransformFailure(problem)
    replaced = cst.ensure_type(
        module.deep_replace(target.node, _merge(target, candidate)), cst.Module
    )
    return TransformSuccess(_add_imports(replaced, import_nodes).code)


def find_symbol_source(module_source: str, qualified_name: str) -> str | None:
    """The current source of ``qualified_name``'s definition, dedented to column 0."""
    module = _parse_module(module_source)
    if isinstance(module, TransformFailure):
        return None
    target = _find(module, qualified_name)
    if isinstance(target, TransformFailure):
        return None
    node = _rewrite_docstrings(target.node, _outdenter(target.indent))
    return module.code_for_node(node.with_changes(leading_lines=()))


# --- parsing -------------------------------------------------------------------------------


def _parse_module(source: str) -> cst.Module | TransformFailure:
    parsed = _parse(source)
    if isinstance(parsed, str):
        return TransformFailure(
            f"The file does not parse ({parsed}); fix that syntax error and try again."
        )
    return parsed


def _parse(code: str) -> cst.Module | str:
    """The module, or where and why ``code`` is not valid Python."""
    try:
        return cst.parse_module(code)
    except cst.ParserSyntaxError as error:
        return _syntax_error_location(code, error)
    except RecursionError:
        return "it is nested too deeply to parse"


def _syntax_error_location(code: str, error: cst.ParserSyntaxError) -> str:
    # LibCST's native parser often reports column 0 or the wrong line; CPython's is exact.
    try:
        ast.parse(code)
    except SyntaxError as precise:
        return f"{precise.msg} at line {precise.lineno}, column {precise.offset}"
    except (ValueError, RecursionError):
        pass
    return f"{error.message} at line {error.raw_line}, column {error.raw_column + 1}"


def _parse_candidate(text: str, newline: str) -> Definition | TransformFailure:
    parsed = _parse(_dedent(_with_newlines(text, newline)))
    if isinstance(parsed, str):
        return TransformFailure(
            f"The new definition does not parse: {parsed}. "
            "Return the complete definition as valid Python."
        )
    return _single_definition(parsed)


def _single_definition(candidate: cst.Module) -> Definition | TransformFailure:
    definitions = [node for node in candidate.body if isinstance(node, Definition)]
    names = ", ".join(f"`{node.name.value}`" for node in definitions)
    if len(definitions) > 1:
        return TransformFailure(
            f"The new definition defines {len(definitions)} functions or classes ({names}); "
            "return exactly one, and nest any helpers inside it."
        )
    others = [node for node in candidate.body if not isinstance(node, Definition)]
    if others:
        return TransformFailure(
            "The new definition contains statements besides the definition itself "
            f"(`{_snippet(candidate, others[0])}`); return only the definition, "
            "and list imports separately."
        )
    if not definitions:
        return TransformFailure(
            "The new definition is empty; return the complete `def` or `class` definition."
        )
    return definitions[0]


def _snippet(module: cst.Module, node: cst.CSTNode) -> str:
    return _one_line(module.code_for_node(node))


def _one_line(text: str) -> str:
    """The first line of ``text``, short enough to quote in a sentence."""
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= _SNIPPET_LIMIT else line[: _SNIPPET_LIMIT - 1] + "…"


def _with_newlines(text: str, newline: str) -> str:
    """``text`` with every line ending spelled as the module spells it."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline)


def _dedent(text: str) -> str:
    """Remove the first non-blank line's indentation from every line that starts with it.

    Unlike textwrap.dedent, a less indented line (a string continuation at column 0)
    does not stop the rest of the definition from being dedented.
    """
    lines = _LINE_START.split(text)
    first = next((line for line in lines if line.strip()), "")
    indent = _LEADING_BLANKS.match(first)
    prefix = indent.group() if indent else ""
    if not prefix:
        return text
    return "".join(line.removeprefix(prefix) for line in lines)


# --- finding the target --------------------------------------------------------------------


def _find(module: cst.Module, qualified_name: str) -> _Target | TransformFailure:
    parts = qualified_name.split(".")
    if not all(part.isidentifier() for part in parts):
        return TransformFailure(
            f"`{qualified_name}` is not a symbol name; "
            "use a dotted name such as `charge` or `Account.charge`."
        )
    target = _one_named(module.body, parts[0], scope="", indent="")
    for depth in range(1, len(parts)):
        if isinstance(target, TransformFailure):
            return target
        target = _child(module, target, parts[depth], scope=".".join(parts[:depth]))
    return target


def _child(
    module: cst.Module, parent: _Target, name: str, scope: str
) -> _Target | TransformFailure:
    inner = _inner_block(parent.node)
    if inner is None:
        return TransformFailure(
            f"Could not find `{scope}.{name}`: `{scope}` contains no definitions; "
            "check the symbol name."
        )
    step = module.default_indent if inner.indent is None else inner.indent
    return _one_named(inner.body, name, scope, parent.indent + step)


def _inner_block(node: Definition) -> cst.IndentedBlock | None:
    return node.body if isinstance(node.body, cst.IndentedBlock) else None


def _one_named(
    statements: Sequence[cst.BaseStatement], name: str, scope: str, indent: str
) -> _Target | TransformFailure:
    where = f"inside `{scope}`" if scope else "at the top level of the module"
    matches = [
        node
        for node in statements
        if isinstance(node, Definition) and node.name.value == name and not _is_overload(node)
    ]
    if not matches:
        return TransformFailure(
            f"Could not find a function or class named `{name}` {where}; "
            "check the symbol name, or save the file and try again."
        )
    if len(matches) > 1:
        return TransformFailure(
            f"`{name}` is defined {len(matches)} times {where}, so it is unclear which one "
            "to replace; remove or rename the extra definitions first."
        )
    return _Target(matches[0], indent)


def _is_overload(node: Definition) -> bool:
    """``@overload`` stubs sit next to the implementation, which is the one to replace."""
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Attribute):
            expression = expression.attr
        if isinstance(expression, cst.Name) and expression.value == "overload":
            return True
    return False


# --- merging the candidate -----------------------------------------------------------------


def _kind(node: Definition) -> str:
    if isinstance(node, cst.ClassDef):
        return "a class"
    return "a function" if node.asynchronous is None else "an async function"


def _mismatch(target: Definition, candidate: Definition, qualified_name: str) -> str | None:
    wanted, got = target.name.value, candidate.name.value
    if got != wanted:
        return (
            f"The new definition is named `{got}`, but it must replace `{qualified_name}`; "
            f"keep the name `{wanted}`."
        )
    if _kind(candidate) != _kind(target):
        return (
            f"The new definition is {_kind(candidate)}, but `{qualified_name}` is "
            f"{_kind(target)}; keep it {_kind(target)} so its callers still work."
        )
    return None


def _merge(target: _Target, candidate: Definition) -> Definition:
    original = target.node
    merged = candidate.with_changes(leading_lines=original.leading_lines)
    if not candidate.decorators:
        merged = merged.with_changes(
            decorators=original.decorators,
            lines_after_decorators=original.lines_after_decorators,
        )
    return _rewrite_docstrings(merged, _indenter(target.indent))


def _indenter(indent: str) -> Callable[[str], str] | None:
    return (lambda text: _LINE_WITH_TEXT.sub(indent, text)) if indent else None


def _outdenter(indent: str) -> Callable[[str], str] | None:
    return (lambda text: text.replace("\n" + indent, "\n")) if indent else None


def _rewrite_docstrings(node: Definition, change: Callable[[str], str] | None) -> Definition:
    if change is None:
        return node
    rewritten = node.visit(_DocstringRewriter(change))
    return rewritten if isinstance(rewritten, Definition) else node


class _DocstringRewriter(cst.CSTTransformer):
    """Apply ``change`` to the raw text of every docstring in a definition, nested ones too."""

    def __init__(self, change: Callable[[str], str]) -> None:
        super().__init__()
        self.change = change

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> Definition:
        return _with_docstring_changed(updated_node, self.change)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> Definition:
        return _with_docstring_changed(updated_node, self.change)


def _with_docstring_changed(node: Definition, change: Callable[[str], str]) -> Definition:
    body = node.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return node
    first = body.body[0]
    if not isinstance(first, cst.SimpleStatementLine):
        return node
    expression = first.body[0]
    if not (isinstance(expression, cst.Expr) and isinstance(expression.value, cst.SimpleString)):
        return node
    string = expression.value.with_changes(value=change(expression.value.value))
    line = first.with_changes(body=[expression.with_changes(value=string), *first.body[1:]])
    return node.with_changes(body=body.with_changes(body=[line, *body.body[1:]]))


# --- imports -------------------------------------------------------------------------------


def _parse_imports(imports: Sequence[str], newline: str) -> list[ImportNode] | TransformFailure:
    entries = (imports,) if isinstance(imports, str) else imports
    nodes: list[ImportNode] = []
    for entry in entries:
        node = _parse_import(entry, newline)
        if isinstance(node, TransformFailure):
            return node
        nodes.append(node)
    return nodes


def _parse_import(text: str, newline: str) -> ImportNode | TransformFailure:
    refusal = TransformFailure(
        f"`{_one_line(text)}` is not a single import statement; list each "
        "import as its own `import …` or `from … import …` statement."
    )
    parsed = _parse(_with_newlines(text.strip(), newline))
    if isinstance(parsed, str) or len(parsed.body) != 1:
        return refusal
    line = parsed.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return refusal
    node = line.body[0]
    if not isinstance(node, ImportNode):
        return refusal
    if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
        return TransformFailure(
            f"`{_one_line(text)}` would import every name of a module; "
            "import the names the code uses explicitly."
        )
    return node.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)


def _add_imports(module: cst.Module, imports: Sequence[ImportNode]) -> cst.Module:
    """``module`` with the parts of ``imports`` that bind names it does not import yet."""
    bound = _ModuleImports.of(module)
    missing: list[ImportNode] = []
    for node in imports:
        part = _unbound_part(node, bound)
        if part is not None:
            missing.append(part)
            bound |= _bindings(part)
    # Fresh lines: no comment rides along with an import the model wrote.
    lines = [cst.SimpleStatementLine(body=[node]) for node in missing]
    module = _insert(module, [line for line in lines if _is_future(line)], _future_position(module))
    regular = [line for line in lines if not _is_future(line)]
    return _insert(module, regular, _import_position(module))


class _ModuleImports(cst.CSTVisitor):
    """The names module-level imports bind, looking inside `if`/`try` but not defs."""

    def __init__(self) -> None:
        super().__init__()
        self.bound: set[str] = set()

    @classmethod
    def of(cls, module: cst.Module) -> set[str]:
        visitor = cls()
        module.visit(visitor)
        return visitor.bound

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        self.bound |= _bindings(node)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        self.bound |= _bindings(node)
        return False


def _aliases(node: ImportNode) -> Sequence[cst.ImportAlias]:
    return () if isinstance(node.names, cst.ImportStar) else node.names


def _key(alias: cst.ImportAlias) -> str:
    """What an alias binds; a plain `import a.b` is keyed by the module it loads."""
    return alias.evaluated_alias or alias.evaluated_name


def _bindings(node: ImportNode) -> set[str]:
    """Keys an import satisfies: `import a.b.c` also satisfies `import a` and `import a.b`."""
    keys: set[str] = set()
    for alias in _aliases(node):
        keys.add(_key(alias))
        if isinstance(node, cst.Import) and alias.asname is None:
            keys.update(_prefixes(_key(alias)))
    return keys


def _prefixes(dotted: str) -> Iterable[str]:
    parts = dotted.split(".")
    return (".".join(parts[:end]) for end in range(1, len(parts)))


def _unbound_part(node: ImportNode, bound: set[str]) -> ImportNode | None:
    """The import narrowed to the aliases whose names are not bound yet, if any."""
    aliases = _aliases(node)
    kept = [alias for alias in aliases if _key(alias) not in bound]
    if not kept:
        return None
    if len(kept) == len(aliases):
        return node
    kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=kept)


def _is_future(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    node = statement.body[0]
    return (
        isinstance(node, cst.ImportFrom)
        and isinstance(node.module, cst.Name)
        and node.module.value == "__future__"
        and not node.relative
    )


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(node, ImportNode) for node in statement.body
    )


def _has_docstring(module: cst.Module) -> bool:
    if not module.body or not isinstance(first := module.body[0], cst.SimpleStatementLine):
        return False
    node = first.body[0]
    return isinstance(node, cst.Expr) and isinstance(
        node.value, cst.SimpleString | cst.ConcatenatedString
    )


@dataclass(frozen=True)
class _Position:
    index: int
    joins_imports: bool  # right after an existing import, so no blank lines are needed


def _after_last(module: cst.Module, matches: Callable[[cst.BaseStatement], bool]) -> _Position:
    last = max((i for i, node in enumerate(module.body) if matches(node)), default=None)
    if last is not None:
        return _Position(last + 1, joins_imports=True)
    return _Position(1 if _has_docstring(module) else 0, joins_imports=False)


def _future_position(module: cst.Module) -> _Position:
    return _after_last(module, _is_future)


def _import_position(module: cst.Module) -> _Position:
    return _after_last(module, _is_import)


def _insert(
    module: cst.Module, block: Sequence[cst.SimpleStatementLine], at: _Position
) -> cst.Module:
    if not block:
        return module
    before, after = module.body[: at.index], module.body[at.index :]
    if at.joins_imports:
        return module.with_changes(body=[*before, *block, *after])
    if at.index == 0:
        module = _header_comments_to_first_statement(module)
        after = module.body
    first = block[0].with_changes(leading_lines=[cst.EmptyLine()] if before else [])
    following = [_separated(node) for node in after[:1]]
    return module.with_changes(body=[*before, first, *block[1:], *following, *after[1:]])


def _header_comments_to_first_statement(module: cst.Module) -> cst.Module:
    """Keep the file header (up to its last blank line) above imports added at the top.

    LibCST puts the comments above the first statement in the module header; those
    after the header's last blank line describe that statement and must stay with it.
    """
    header = list(module.header)
    blanks = [i for i, line in enumerate(header) if line.comment is None]
    if not module.body or not blanks or not isinstance(first := module.body[0], Statement):
        return module
    keep, move = header[: blanks[-1] + 1], header[blanks[-1] + 1 :]
    first = first.with_changes(leading_lines=[*move, *first.leading_lines])
    return module.with_changes(header=keep, body=[first, *module.body[1:]])


def _separated(node: cst.BaseStatement) -> cst.BaseStatement:
    """``node`` with blank lines above it, if it has none, to set it apart from new imports."""
    if not isinstance(node, Statement):
        return node
    if node.leading_lines and node.leading_lines[0].comment is None:
        return node
    count = 2 if isinstance(node, Definition) else 1
    return node.with_changes(leading_lines=[*[cst.EmptyLine()] * count, *node.leading_lines])


# --- the checker's stand-in ----------------------------------------------------------------


def stand_in(module_source: str, qualified_name: str) -> str | None:
    """The module with ``qualified_name`` replaced by a stand-in that calls the subject.

    The stand-in keeps the original's decorators and calling convention and forwards
    every call to the code under test in its own process (`validate/checker_side.py`).
    None when the target cannot be stood in for: a class, or a function nested in a
    function (its closure cannot cross a process boundary).
    """
    module = _parse_module(module_source)
    if isinstance(module, TransformFailure):
        return None
    parts = qualified_name.split(".")
    for depth in range(1, len(parts)):
        parent = _find(module, ".".join(parts[:depth]))
        if not isinstance(parent, _Target) or not isinstance(parent.node, cst.ClassDef):
            return None
    target = _find(module, qualified_name)
    if not isinstance(target, _Target) or not isinstance(target.node, cst.FunctionDef):
        return None
    node = target.node
    names = {_decorator_name(decorator) for decorator in node.decorators}
    in_class = len(parts) > 1
    if "staticmethod" in names or not in_class:
        parameters, instance = "*args, **kwargs", "None"
    elif "classmethod" in names:
        parameters, instance = "cls, *args, **kwargs", "None"
    elif "property" in names:
        parameters, instance = "self", "self"
    else:
        parameters, instance = "self, *args, **kwargs", "self"
    forwarded = "(), {}" if parameters == "self" else "args, kwargs"
    keyword = "async def" if node.asynchronous is not None else "def"
    code = (
        f"{keyword} {node.name.value}({parameters}):\n"
        "    from specloop_checker import call as _specloop_call\n"
        f"    return _specloop_call({qualified_name!r}, {instance}, {forwarded})\n"
    )
    replacement = cst.ensure_type(cst.parse_statement(code), cst.FunctionDef)
    replacement = replacement.with_changes(
        decorators=node.decorators, leading_lines=node.leading_lines
    )
    return cst.ensure_type(module.deep_replace(node, replacement), cst.Module).code


def _decorator_name(decorator: cst.Decorator) -> str:
    expression = decorator.decorator
    if isinstance(expression, cst.Call):
        expression = expression.func
    if isinstance(expression, cst.Attribute):
        return expression.attr.value
    return expression.value if isinstance(expression, cst.Name) else ""
