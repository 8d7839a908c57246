"""The code under test's own process: it imports the candidate's module and answers calls.

Standard library only, Python 3.9+: copied into the subject's sandbox as
``specloop_subject.py`` and run as ``python specloop_subject.py IN OUT MODULE``, with
the pipe ends IN and OUT inherited from specloop. That sandbox holds the project
without its tests, and never the spec's examples or the tests written from the spec:
the checks that judge the candidate run in another process (the checker), which calls
it through the pipes with plain data (`specloop_wire`) and compares the answers there.
Nothing the candidate does here can reach the checker's frames, files or verdict.

It serves one checker run after another: each opens with ``{"op": "hello", "session":
...}``, after which the module is imported afresh from its file; a process left with
threads or children of its own by an earlier run leaves instead, and specloop starts a
new one. Messages are JSON lines. From the checker: ``{"op": "call", "target": "Stack.pop",
"self": ..., "args": [...], "kwargs": {...}}``, or the answer to a callback. To the
checker: ``return`` (the value, and the state of ``self`` and the arguments after the
call, so the caller sees what the call changed), ``raise`` (the exception), ``unplain``
(the value was not plain data: a failure) or ``callback`` (the candidate called a
callable the test passed it). The candidate's own prints go to stderr.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import sys
import threading
from typing import Any

import specloop_wire as wire  # type: ignore[import-not-found]


class _Channel:
    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.inbox = os.fdopen(read_fd, "r", encoding="utf-8")
        self.outbox = os.fdopen(write_fd, "w", encoding="utf-8")

    def send(self, message: dict[str, Any]) -> None:
        self.outbox.write(json.dumps(message) + "\n")
        self.outbox.flush()

    def receive(self) -> dict[str, Any] | None:
        line = self.inbox.readline()
        return json.loads(line) if line else None


def _callback(channel: _Channel, handle: int) -> Any:
    """A stand-in for a callable of the test's: calling it asks the checker to call it."""

    def call(*args: Any, **kwargs: Any) -> Any:
        channel.send(
            {
                "op": "callback",
                "id": handle,
                "args": [wire.encode(argument) for argument in args],
                "kwargs": {name: wire.encode(value) for name, value in kwargs.items()},
            }
        )
        reply = channel.receive()
        if reply is None:
            raise SystemExit(0)
        decoder = wire.Decoder(strict=False)
        if reply["op"] == "raise":
            raise decoder.decode(reply["error"])
        return decoder.decode(reply["value"])

    return call


def _resolve(module: Any, target: str) -> tuple[Any, Any]:
    """The object holding the target's last name, and the target as stored there."""
    owner = module
    parts = target.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    return owner, inspect.getattr_static(owner, parts[-1])


def _call(module: Any, request: dict[str, Any], channel: _Channel) -> dict[str, Any]:
    decoder = wire.Decoder(strict=False, calls=lambda handle: _callback(channel, handle))
    args = [decoder.decode(argument) for argument in request["args"]]
    kwargs = {name: decoder.decode(value) for name, value in request["kwargs"].items()}
    instance = decoder.decode(request["self"]) if request.get("self") is not None else None
    owner, stored = _resolve(module, request["target"])
    name = request["target"].split(".")[-1]
    try:
        if isinstance(stored, property):
            result = stored.fget(instance)  # type: ignore[misc]
        elif instance is not None and not isinstance(stored, (staticmethod, classmethod)):
            result = getattr(instance, name)(*args, **kwargs)
        else:
            result = getattr(owner, name)(*args, **kwargs)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
    except Exception as error:
        reply = {"op": "raise", "error": wire.encode_exception(error)}
    else:
        try:
            reply = {"op": "return", "value": wire.encode(result)}
        except wire.Unplain as error:
            return {"op": "unplain", "what": str(error)}
    try:
        reply["self"] = _after(instance)
        reply["args"] = [_after(argument) for argument in args]
        reply["kwargs"] = {key: _after(value) for key, value in kwargs.items()}
    except wire.Unplain as error:
        return {"op": "unplain", "what": f"arguments left holding {error}"}
    return reply


def _after(value: Any) -> Any:
    """What a mutable argument (or ``self``) holds after the call; None for the rest."""
    mutable = type(value) in (list, dict, set, bytearray)
    if mutable or (hasattr(value, "__dict__") and not callable(value)):
        return wire.encode(value)
    return None


def _left_running() -> bool:
    """Whether code run here earlier left threads or child processes behind."""
    if threading.active_count() > 1:
        return True
    try:
        return any(
            open(f"/proc/self/task/{task}/children").read().split()
            for task in os.listdir("/proc/self/task")
        )
    except OSError:
        return False


def _setup_framework() -> None:
    """The project's test setup that code needs before it can run (Django's settings)."""
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        try:
            import django  # type: ignore[import-not-found]
        except ImportError:
            return
        django.setup()


def main(argv: list[str]) -> int:
    channel = _Channel(int(argv[1]), int(argv[2]))
    os.dup2(2, 1)  # the candidate's prints must not mix with the answers
    sys.setrecursionlimit(2_000)
    module = None
    while True:
        request = channel.receive()
        if request is None:
            return 0
        if request.get("op") == "hello":
            if _left_running():
                return 0  # threads or children of an earlier run: a fresh process, please
            sys.modules.pop(argv[3], None)
            module = None
            channel.send({"op": "hello", "session": request.get("session")})
            continue
        try:
            if module is None:
                _setup_framework()
                module = importlib.import_module(argv[3])
            reply = _call(module, request, channel)
        except Exception as error:  # the module or the call could not even be set up
            reply = {"op": "raise", "error": wire.encode_exception(error)}
        channel.send(reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
