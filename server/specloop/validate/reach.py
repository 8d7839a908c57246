"""Reading the candidate for the tricks that fake a verdict: the backstop, not the guarantee.

The guarantee is that the code under test runs apart from its checks (`harness.py`).
This check reads the new definition before anything runs and refuses what honest code
for a spec has no reason to reach for: the checker's frames and objects
(``sys._getframe``, ``inspect.stack``, ``gc.get_referrers``, ``f_back``), ending or
hooking the process (``os._exit``, ``sys.exit``, ``atexit``, ``signal``, trace hooks),
the test machinery and the builtins (``doctest``, ``_pytest``, ``unittest``,
``builtins``, ``sys.modules``), and the sandbox's own files (names of specloop's
files, ``conftest.py``, ``sitecustomize``, ``.pth`` files, ``__file__``). Only what the
definition did before the change is allowed again, as for the bindings
(`refactor/bindings.py`).
"""

from __future__ import annotations

import ast
import time

from specloop.validate.mutation import find_definition
from specloop.validate.report import REACH, CheckResult

_FRAMES = "inspects the call stack or the objects of the process it runs in"
_ENDS = "ends or hooks the process that runs it"
_MACHINERY = "touches the test machinery or the builtins"
_FILES = "looks for files it was not given"

_ATTRIBUTES = {
    "sys._getframe": _FRAMES, "inspect.currentframe": _FRAMES, "inspect.stack": _FRAMES,
    "inspect.getouterframes": _FRAMES, "inspect.trace": _FRAMES, "inspect.getframeinfo": _FRAMES,
    "traceback.extract_stack": _FRAMES, "traceback.walk_stack": _FRAMES,
    "traceback.print_stack": _FRAMES, "gc.get_referrers": _FRAMES, "gc.get_referents": _FRAMES,
    "gc.get_objects": _FRAMES,
    "os._exit": _ENDS, "sys.exit": _ENDS, "os.kill": _ENDS, "os.killpg": _ENDS,
    "os.abort": _ENDS, "os.fork": _ENDS, "os.execv": _ENDS, "os.execvp": _ENDS,
    "sys.settrace": _ENDS, "sys.setprofile": _ENDS, "threading.settrace": _ENDS,
    "sys.excepthook": _ENDS, "sys.addaudithook": _ENDS, "os.dup2": _ENDS, "os.write": _ENDS,
    "os.fdopen": _ENDS, "threading.excepthook": _ENDS,
    "sys.modules": _MACHINERY, "sys.meta_path": _MACHINERY, "sys.path_hooks": _MACHINERY,
    "sys.argv": _MACHINERY, "importlib.reload": _MACHINERY,
}  # fmt: skip
_LAST_NAMES = {
    "f_back": _FRAMES, "f_locals": _FRAMES, "f_globals": _FRAMES, "f_code": _FRAMES,
    "tb_frame": _FRAMES, "tb_next": _FRAMES, "gi_frame": _FRAMES, "cr_frame": _FRAMES,
    "ag_frame": _FRAMES, "__traceback__": _FRAMES, "__globals__": _FRAMES,
    "__closure__": _FRAMES, "__subclasses__": _FRAMES, "__builtins__": _MACHINERY,
    "__file__": _FILES, "__loader__": _MACHINERY, "__spec__": _MACHINERY,
}  # fmt: skip
_NAMES = {"exit": _ENDS, "quit": _ENDS, "__builtins__": _MACHINERY, "__file__": _FILES}
_MODULES = {
    "atexit": _ENDS, "signal": _ENDS, "faulthandler": _ENDS, "ctypes": _ENDS,
    "doctest": _MACHINERY, "_pytest": _MACHINERY, "pytest": _MACHINERY,
    "unittest": _MACHINERY, "builtins": _MACHINERY, "specloop": _MACHINERY,
    "specloop_checker": _MACHINERY, "specloop_wire": _MACHINERY,
    "specloop_subject": _MACHINERY,
}  # fmt: skip
_WORDS = ("specloop", "conftest", "sitecustomize", "usercustomize", ".pth")


def check_reach(original_module: str, new_module: str, symbol: str) -> CheckResult:
    """Fail when the new definition of ``symbol`` reaches for what faked verdicts use."""
    started = time.monotonic()
    before = _reached(original_module, symbol)
    after = _reached(new_module, symbol)
    added = {what: why for what, why in after.items() if what not in before}
    if added:
        what, why = sorted(added.items())[0]
        output = (
            f"The new definition reaches for `{what}`, which {why}. specloop refuses code that "
            "inspects the checker's frames, ends or hooks the process, patches the test "
            "machinery or reads files it was not given; write the function without it."
        )
    else:
        output = "The new definition reaches for nothing that could fake a verdict."
    return CheckResult(
        name=REACH, passed=not added, output=output, duration_s=time.monotonic() - started
    )


def _reached(module_source: str, symbol: str) -> dict[str, str]:
    """What the definition of ``symbol`` (and the module's imports) reaches for, and why."""
    try:
        tree = ast.parse(module_source)
    except SyntaxError:
        return {}
    definition = find_definition(tree, symbol)
    found: dict[str, str] = {}
    for node in [*_module_imports(tree), *([definition] if definition else [])]:
        for inner in ast.walk(node):
            _note(inner, found)
    return found


def _note(node: ast.AST, found: dict[str, str]) -> None:
    if isinstance(node, ast.Import | ast.ImportFrom):
        names = [alias.name for alias in node.names]
        modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else names
        for module in modules:
            top = module.split(".")[0]
            if top in _MODULES or module.startswith("specloop"):
                found[module] = _MODULES.get(top, _MACHINERY)
        if isinstance(node, ast.ImportFrom):
            for name in names:
                dotted = f"{node.module}.{name}"
                if dotted in _ATTRIBUTES:
                    found[dotted] = _ATTRIBUTES[dotted]
    elif isinstance(node, ast.Attribute):
        dotted = _dotted(node)
        if dotted in _ATTRIBUTES:
            found[dotted] = _ATTRIBUTES[dotted]
        elif node.attr in _LAST_NAMES:
            found[node.attr] = _LAST_NAMES[node.attr]
    elif isinstance(node, ast.Name) and node.id in _NAMES:
        found[node.id] = _NAMES[node.id]
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        lowered = node.value.lower()
        word = next((word for word in _WORDS if word in lowered), None)
        if word is not None:
            found[f"'{node.value[:40]}'"] = _FILES


def _dotted(node: ast.Attribute) -> str:
    parts = [node.attr]
    value: ast.expr = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    if isinstance(value, ast.Name):
        parts.append(value.id)
    return ".".join(reversed(parts))


def _module_imports(tree: ast.Module) -> list[ast.stmt]:
    return [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
