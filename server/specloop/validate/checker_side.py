"""The checker's side: the target's stand-in that calls the subject, and the pytest report.

Standard library only, Python 3.9+: copied into the checker's sandbox as
``specloop_checker.py``. Two roles, both loaded by the pytest run that holds the tests:

* `call` is what the target's stand-in (`refactor/stub.py`) calls: it sends the call to
  the subject process (``SPECLOOP_SUBJECT`` names the pipe ends), serves the callbacks
  the candidate makes, rebuilds the answer strictly as plain data, writes what the call
  changed back into ``self`` and the arguments, and returns or raises. What cannot be
  trusted — a value that is not plain data, a subject that ended its own process —
  raises `SubjectError`, a BaseException no test can catch as an ordinary error.
* as a pytest plug-in (``-p specloop_checker``) it reports every collected test and its
  outcome to the report pipe (``SPECLOOP_REPORT`` = ``FD:NONCE``), opened by specloop
  before any test code ran; the verdict is read from there, never from the exit status.
"""

from __future__ import annotations

import json
import os
from typing import Any

import specloop_wire as wire  # type: ignore[import-not-found]


class SubjectError(BaseException):
    """The code under test answered something the checks cannot trust."""


class _Subject:
    def __init__(self) -> None:
        read_fd, write_fd = (int(part) for part in os.environ["SPECLOOP_SUBJECT"].split(","))
        self.outbox = os.fdopen(write_fd, "w", encoding="utf-8")
        self.inbox = os.fdopen(read_fd, "r", encoding="utf-8")
        self.ended = False

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.outbox.write(json.dumps(message) + "\n")
            self.outbox.flush()
        except (BrokenPipeError, OSError):
            self._ended()

    def receive(self) -> dict[str, Any]:
        line = self.inbox.readline() if not self.ended else ""
        if not line:
            self._ended()
        try:
            message: dict[str, Any] = json.loads(line)
        except ValueError:
            raise SubjectError("the code under test answered something unreadable") from None
        return message

    def _ended(self) -> None:
        self.ended = True
        raise SubjectError(
            "the code under test ended its own process during the call (for example with "
            "os._exit or sys.exit), so it cannot be checked"
        )


_subject: _Subject | None = None


def call(target: str, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call ``target`` in the subject process with plain data; what it returned or raised."""
    global _subject
    if _subject is None:
        _subject = _Subject()
    lent: list[Any] = []

    def lend(function: Any) -> int:
        lent.append(function)
        return len(lent) - 1

    try:
        request = {
            "op": "call",
            "target": target,
            "self": wire.encode(instance, lend) if instance is not None else None,
            "args": [wire.encode(argument, lend) for argument in args],
            "kwargs": {name: wire.encode(value, lend) for name, value in kwargs.items()},
        }
    except wire.Unplain as error:
        raise SubjectError(
            f"{target} was called with {error}, which cannot be sent to the code under test"
        ) from None
    _subject.send(request)
    decoder = wire.Decoder(strict=True)
    while True:
        reply = _subject.receive()
        if reply["op"] == "callback":
            _serve_callback(lent, reply, decoder)
            continue
        if reply["op"] == "unplain":
            raise SubjectError(f"{target} returned {reply['what']}, which is not plain data")
        try:
            _write_back(instance, args, kwargs, reply, decoder)
            raised = decoder.decode(reply["error"]) if reply["op"] == "raise" else None
            value = decoder.decode(reply["value"]) if raised is None else None
        except wire.Unplain as problem:
            raise SubjectError(f"{target} returned {problem}, which is not plain data") from None
        if raised is not None:
            raise raised
        return value


def _serve_callback(lent: list[Any], message: dict[str, Any], decoder: Any) -> None:
    assert _subject is not None
    try:
        args = [decoder.decode(argument) for argument in message["args"]]
        kwargs = {name: decoder.decode(value) for name, value in message["kwargs"].items()}
        value = lent[int(message["id"])](*args, **kwargs)
        answer = {"op": "return", "value": wire.encode(value)}
    except wire.Unplain as error:
        answer = {"op": "raise", "error": wire.encode_exception(TypeError(str(error)))}
    except Exception as error:
        answer = {"op": "raise", "error": wire.encode_exception(error)}
    _subject.send(answer)


def _write_back(
    instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], reply: Any, decoder: Any
) -> None:
    """What the call did to ``self`` and to mutable arguments, done to the caller's objects."""
    if instance is not None and reply.get("self") is not None:
        wire.update_in_place(instance, decoder.decode(reply["self"]))
    after_args = reply.get("args", [])
    for index, original in enumerate(args[: len(after_args)]):
        if after_args[index] is not None:
            wire.update_in_place(original, decoder.decode(after_args[index]))
    for name, after in reply.get("kwargs", {}).items():
        if name in kwargs and after is not None:
            wire.update_in_place(kwargs[name], decoder.decode(after))


# ---------------------------------------------------------------- the pytest report


_report: Any = None
_nonce = ""


def _say(event: dict[str, Any]) -> None:
    if _report is not None:
        _report.write(json.dumps({"nonce": _nonce, **event}) + "\n")
        _report.flush()


def pytest_configure(config: Any) -> None:
    global _report, _nonce
    spec = os.environ.pop("SPECLOOP_REPORT", "")
    if spec:
        fd, _, _nonce = spec.partition(":")
        _report = os.fdopen(int(fd), "w", encoding="utf-8")


def pytest_collection_finish(session: Any) -> None:
    _say({"event": "collected", "count": len(session.items)})


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _say({"event": "uncollected", "nodeid": report.nodeid or str(report.fspath)})


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call" or report.outcome != "passed":
        _say({"event": "test", "nodeid": report.nodeid, "when": report.when,
              "outcome": report.outcome})  # fmt: skip


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    _say({"event": "finished", "status": int(exitstatus)})
