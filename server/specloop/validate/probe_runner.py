"""Calls one function on probe inputs and describes what each call did: standard library only.

This file is copied into the sandbox and run there as a script (``python
specloop_probe.py REQUEST.json``), one process per candidate; the benchmark imports it
and calls `call_all` in a throw-away worker process instead (see
benchmarks/validator_precision.py). Either way the same code decides what a "behaviour"
is, so the product and the benchmark group candidates by one rule.

A behaviour is, per input: ``return`` with a canonical key of the value (floats to 9
significant digits, containers by their items, sets and dicts in a sorted order, other
objects by type and address-free repr, so unhashable and unorderable results compare
too), ``raise`` with the exception's type name, or ``timeout`` when the call ran past
its time (a hang is a behaviour of its own). Each outcome is printed as one JSON line
as soon as it is known, so a process killed half-way still reports what it did.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

LINE_PREFIX = "@specloop-probe@ "
"""Marks the runner's lines, so whatever the candidate prints itself is ignored."""
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_DISPLAY_LIMIT = 200
_DEPTH_LIMIT = 20
_KEY_LIMIT = 300
"""Longer canonical keys are replaced by their hash, so each outcome line stays short."""


class _CallTimeout(BaseException):
    """Raised by the timer inside a call that ran too long (not an Exception: code can't eat it)."""


def canonical(value: object, depth: int = 0) -> str:
    """A string equal for two results exactly when they are the same behaviour."""
    if depth > _DEPTH_LIMIT:
        return "…"
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, float):
        if math.isnan(value):
            return "float:nan"
        return f"float:{value:.9g}"
    if isinstance(value, complex):
        return f"complex:{value.real:.9g},{value.imag:.9g}"
    if isinstance(value, (list, tuple)):
        items = ",".join(canonical(item, depth + 1) for item in value)
        return f"{type(value).__name__}:[{items}]"
    if isinstance(value, (set, frozenset)):
        items = ",".join(sorted(canonical(item, depth + 1) for item in value))
        return f"{type(value).__name__}:{{{items}}}"
    if isinstance(value, dict):
        pairs = sorted(
            f"{canonical(key, depth + 1)}={canonical(item, depth + 1)}"
            for key, item in value.items()
        )
        return f"{type(value).__name__}:{{{','.join(pairs)}}}"
    try:
        shown = repr(value)
    except Exception:
        shown = "<unrepresentable>"
    return f"{type(value).__qualname__}:{_ADDRESS.sub('', shown)}"


def display(value: object) -> str:
    """The value as a doctest would print it, cut to a readable length."""
    try:
        shown = repr(value)
    except Exception:
        shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= _DISPLAY_LIMIT else shown[: _DISPLAY_LIMIT - 1] + "…"


def call_one(
    function: Callable[..., Any], arguments: Sequence[str], timeout_s: float
) -> dict[str, str]:
    """Call ``function`` on the literal ``arguments`` (source text) and describe what it did."""
    values = [ast.literal_eval(argument) for argument in arguments]

    def expire(signum: int, frame: object) -> None:
        raise _CallTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        result = function(*values)
        key = canonical(result)
        shown = display(result)
    except _CallTimeout:
        return {"kind": "timeout", "key": "timeout", "text": "does not finish"}
    except RecursionError:
        return {"kind": "raise", "key": "raise:RecursionError", "text": "raise RecursionError"}
    except Exception as error:
        name = type(error).__name__
        return {"kind": "raise", "key": f"raise:{name}", "text": f"raise {name}"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if len(key) > _KEY_LIMIT:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
    return {"kind": "return", "key": f"return:{key}", "text": f"return {shown}", "value": shown}


def call_all(
    function: Callable[..., Any], inputs: Sequence[Sequence[str]], timeout_s: float
) -> Iterator[dict[str, str]]:
    """`call_one` on each input in order, a fresh copy of the arguments each time."""
    for arguments in inputs:
        try:
            yield call_one(function, arguments, timeout_s)
        except _CallTimeout:  # the timer fired between the call and the bookkeeping
            yield {"kind": "timeout", "key": "timeout", "text": "does not finish"}


def main(argv: Sequence[str]) -> int:
    """Script mode: ``REQUEST.json`` names the module, the function, the inputs and the timeout.

    The candidate's own prints go to stderr (its stdout is pointed there before it is
    imported), so a chatty candidate cannot push the results out of the captured
    output; each result line carries its input's index besides.
    """
    with open(argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.path.insert(0, ".")
    sys.setrecursionlimit(2_000)
    module = importlib.import_module(request["module"])
    target: Any = module
    for part in request["function"].split("."):
        target = getattr(target, part)
    outcomes = call_all(target, request["inputs"], float(request["timeout_s"]))
    for index, outcome in enumerate(outcomes):
        results.write(LINE_PREFIX + json.dumps({"index": index, **outcome}) + "\n")
        results.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
