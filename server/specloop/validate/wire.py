"""Values across the channel between the checks and the code under test: plain data only.

Standard library only, and Python 3.9+: this file is copied into both sandboxes (as
``specloop_wire.py``) — the checker's, where the tests run, and the subject's, where
the candidate's code runs — and imported by the code on each side.

A value crosses as JSON: ``None``, ``bool``, ``int``, ``float``, ``str`` as themselves;
everything else as a one-key object ``{"$kind": ...}``: lists, tuples, dicts, sets,
bytes, complex, non-finite floats, ``Decimal``, ``Fraction``, dates and times, UUIDs,
paths, ``range``; enum members, named tuples and plain objects (``__dict__``/slots of
plain data) of classes named ``module:qualname``; materialised iterators; exceptions by
type, arguments and message. Only exact types cross: an ``int`` subclass with its own
``__eq__`` is not an ``int``, it is `Unplain`, and the checks call that a failure.

Decoding is strict on the checker's side (``strict=True``): it builds only exact
builtin types, and instances only of classes the checker itself has already loaded —
never by importing a module the other side names, never by calling code it sent.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import enum
import fractions
import math
import pathlib
import sys
import uuid
from collections.abc import Callable
from typing import Any

ITER_LIMIT = 10_000
"""Items of an iterator result materialised before it is cut off."""
DEPTH_LIMIT = 60


class Unplain(Exception):
    """A value that cannot cross as plain data; the message says what it was."""


def describe_type(value: object) -> str:
    kind = type(value)
    for base in (bool, int, float, str, bytes, list, tuple, dict, set, frozenset):
        if kind is not base and isinstance(value, base):
            return f"an instance of {kind.__qualname__}, a subclass of {base.__name__}"
    return f"an instance of {kind.__module__}.{kind.__qualname__}"


def class_name(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def encode(
    value: Any,
    callback: Callable[[Any], int] | None = None,
    depth: int = 0,
) -> Any:
    """``value`` as JSON-ready data; raises Unplain for what cannot cross.

    ``callback`` turns a callable into a handle the other side can call back (the
    checker lends its test's callables this way); without it a callable is Unplain.
    """
    if depth > DEPTH_LIMIT:
        raise Unplain("a value nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    down = depth + 1
    if kind is list:
        return {"$list": [encode(item, callback, down) for item in value]}
    if kind is tuple:
        return {"$tuple": [encode(item, callback, down) for item in value]}
    if kind is dict:
        pairs = [[encode(k, callback, down), encode(v, callback, down)] for k, v in value.items()]
        return {"$dict": pairs}
    if kind in (set, frozenset):
        return {f"${kind.__name__}": [encode(item, callback, down) for item in value]}
    if kind in (bytes, bytearray):
        return {f"${kind.__name__}": base64.b64encode(bytes(value)).decode("ascii")}
    if kind is complex:
        return {"$complex": [repr(value.real), repr(value.imag)]}
    if kind is range:
        return {"$range": [value.start, value.stop, value.step]}
    simple = _SIMPLE_ENCODERS.get(kind)
    if simple is not None:
        return simple(value)
    if isinstance(value, pathlib.PurePath):
        return {"$path": [kind.__name__, str(value)]}
    if isinstance(value, enum.Enum):
        return {"$enum": [class_name(kind), value.name]}
    if isinstance(value, BaseException):
        return encode_exception(value, callback, down)
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        return {"$namedtuple": [class_name(kind), [encode(i, callback, down) for i in value]]}
    if callable(value) and callback is not None and not isinstance(value, type):
        return {"$callback": callback(value)}
    if _is_iterator(value):
        return _encode_iterator(value, callback, down)
    state = _state(value)
    if state is None or "<locals>" in kind.__qualname__:
        raise Unplain(describe_type(value))
    encoded = {name: encode(item, callback, down) for name, item in state.items()}
    return {"$obj": [class_name(kind), encoded]}


def encode_exception(error: BaseException, callback: Any = None, depth: int = 0) -> Any:
    try:
        arguments = [encode(argument, callback, depth) for argument in error.args]
    except Unplain:
        arguments = [str(argument) for argument in error.args]
    return {"$raise": [class_name(type(error)), arguments, str(error)]}


_SIMPLE_ENCODERS: dict[type, Callable[[Any], Any]] = {
    decimal.Decimal: lambda value: {"$decimal": str(value)},
    fractions.Fraction: lambda value: {"$fraction": str(value)},
    datetime.datetime: lambda value: {"$datetime": value.isoformat()},
    datetime.date: lambda value: {"$date": value.isoformat()},
    datetime.time: lambda value: {"$time": value.isoformat()},
    datetime.timedelta: lambda value: {
        "$timedelta": [value.days, value.seconds, value.microseconds]
    },
    uuid.UUID: lambda value: {"$uuid": str(value)},
}


def _is_iterator(value: object) -> bool:
    return hasattr(value, "__next__") and hasattr(value, "__iter__")


def _encode_iterator(value: Any, callback: Any, depth: int) -> Any:
    items: list[Any] = []
    complete = True
    for item in value:
        if len(items) >= ITER_LIMIT:
            complete = False
            break
        items.append(encode(item, callback, depth))
    return {"$iter": items, "complete": complete}


def _state(value: object) -> dict[str, Any] | None:
    """The attributes of a plain object (its ``__dict__`` and slots), or None."""
    kind = type(value)
    if not _rebuildable(kind):
        return None
    state: dict[str, Any] = {}
    if hasattr(value, "__dict__"):
        state.update(vars(value))
    for klass in kind.__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                state[slot] = getattr(value, slot)
    if not state and not hasattr(value, "__dict__"):
        return None
    return state


# ---------------------------------------------------------------- decoding


class Decoder:
    """Turns wire data back into values.

    ``strict`` (the checker's side): classes are looked up only among modules already
    loaded, exceptions too; nothing the other side names is imported. ``calls`` turns a
    callback handle into something callable (the subject's side).
    """

    def __init__(self, strict: bool, calls: Callable[[int], Any] | None = None) -> None:
        self.strict = strict
        self.calls = calls

    def decode(self, data: Any) -> Any:
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is list:  # only inside tags; a bare list is not valid wire data
            raise Unplain("a malformed value")
        if type(data) is not dict or not data:
            raise Unplain("a malformed value")
        tag = next(iter(data))
        body = data[tag]
        handler = getattr(self, "_" + tag.lstrip("$"), None)
        if not tag.startswith("$") or handler is None:
            raise Unplain(f"an unknown kind of value ({tag})")
        return handler(body, data)

    def _items(self, body: Any) -> list[Any]:
        if type(body) is not list:
            raise Unplain("a malformed value")
        return [self.decode(item) for item in body]

    def _list(self, body: Any, data: Any) -> Any:
        return self._items(body)

    def _tuple(self, body: Any, data: Any) -> Any:
        return tuple(self._items(body))

    def _set(self, body: Any, data: Any) -> Any:
        return set(self._items(body))

    def _frozenset(self, body: Any, data: Any) -> Any:
        return frozenset(self._items(body))

    def _dict(self, body: Any, data: Any) -> Any:
        return {self.decode(key): self.decode(value) for key, value in body}

    def _bytes(self, body: Any, data: Any) -> Any:
        return base64.b64decode(body)

    def _bytearray(self, body: Any, data: Any) -> Any:
        return bytearray(base64.b64decode(body))

    def _float(self, body: Any, data: Any) -> Any:
        return float(body)

    def _complex(self, body: Any, data: Any) -> Any:
        return complex(float(body[0]), float(body[1]))

    def _range(self, body: Any, data: Any) -> Any:
        return range(int(body[0]), int(body[1]), int(body[2]))

    def _decimal(self, body: Any, data: Any) -> Any:
        return decimal.Decimal(str(body))

    def _fraction(self, body: Any, data: Any) -> Any:
        return fractions.Fraction(str(body))

    def _datetime(self, body: Any, data: Any) -> Any:
        return datetime.datetime.fromisoformat(str(body))

    def _date(self, body: Any, data: Any) -> Any:
        return datetime.date.fromisoformat(str(body))

    def _time(self, body: Any, data: Any) -> Any:
        return datetime.time.fromisoformat(str(body))

    def _timedelta(self, body: Any, data: Any) -> Any:
        return datetime.timedelta(days=body[0], seconds=body[1], microseconds=body[2])

    def _uuid(self, body: Any, data: Any) -> Any:
        return uuid.UUID(str(body))

    def _path(self, body: Any, data: Any) -> Any:
        kind = getattr(pathlib, str(body[0]), pathlib.PurePosixPath)
        if not (isinstance(kind, type) and issubclass(kind, pathlib.PurePath)):
            raise Unplain("a malformed path")
        return kind(str(body[1]))

    def _iter(self, body: Any, data: Any) -> Any:
        return iter(self._items(body))

    def _unplain(self, body: Any, data: Any) -> Any:
        raise Unplain(str(body))

    def _callback(self, body: Any, data: Any) -> Any:
        if self.calls is None:
            raise Unplain("a callable")
        return self.calls(int(body))

    def _enum(self, body: Any, data: Any) -> Any:
        kind = self.find_class(str(body[0]))
        if not (isinstance(kind, type) and issubclass(kind, enum.Enum)):
            raise Unplain(f"{body[0]}, which is not an enumeration")
        return kind[str(body[1])]

    def _namedtuple(self, body: Any, data: Any) -> Any:
        kind = self.find_class(str(body[0]))
        if not (isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_make")):
            raise Unplain(f"{body[0]}, which is not a named tuple")
        return kind._make(self._items(body[1]))

    def _obj(self, body: Any, data: Any) -> Any:
        kind: Any = self.find_class(str(body[0]))
        if not _rebuildable(kind):
            raise Unplain(f"an instance of {body[0]}, which cannot be rebuilt from data")
        instance = object.__new__(kind)
        restore(instance, {str(name): self.decode(value) for name, value in body[1].items()})
        return instance

    def _raise(self, body: Any, data: Any) -> Any:
        """An exception value (raising it is the caller's decision)."""
        name, arguments, message = str(body[0]), body[1], str(body[2])
        try:
            kind = self.find_class(name)
        except Unplain:
            kind = None
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            raise Unplain(f"raised {name}: {message}, an exception the checks cannot recreate")
        decoded = self._items(arguments)
        try:
            error = kind(*decoded)
        except Exception:
            error = kind.__new__(kind)
            error.args = tuple(decoded)
        return error

    def find_class(self, name: str) -> Any:
        module_name, _, qualname = name.partition(":")
        module = sys.modules.get(module_name)
        if module is None and not self.strict:
            import importlib

            module = importlib.import_module(module_name)
        if module is None:
            raise Unplain(f"an instance of {name}, from a module the checks did not load")
        found: Any = module
        for part in qualname.split("."):
            if part == "<locals>":
                raise Unplain(f"an instance of {name}, a class defined inside a function")
            found = getattr(found, part, None)
        if found is None:
            raise Unplain(f"an instance of {name}, which the checks do not know")
        return found


def _rebuildable(kind: Any) -> bool:
    """A class whose instances are made by ``object.__new__`` (no ``__new__`` of its own)."""
    new: Any = getattr(kind, "__new__", None)
    return isinstance(kind, type) and new is object.__new__


def restore(instance: Any, state: dict[str, Any]) -> None:
    """Give ``instance`` exactly ``state`` as its attributes (``__dict__`` and slots)."""
    if hasattr(instance, "__dict__"):
        instance.__dict__.clear()
    for name, value in state.items():
        object.__setattr__(instance, name, value)


def update_in_place(original: Any, new: Any) -> None:
    """Make a mutable argument ``original`` hold what ``new`` holds (the call mutated it)."""
    kind = type(original)
    if kind is list or kind is bytearray:
        original[:] = new
    elif kind is dict or kind is set:
        original.clear()
        original.update(new)
    elif type(new) is kind and _state(original) is not None:
        restore(original, _state(new) or {})
