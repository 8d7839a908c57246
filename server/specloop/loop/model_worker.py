"""The model client's own process: it holds litellm and makes the HTTP calls the loop asks for.

litellm takes seconds of CPU to import and holds the interpreter's lock while it does;
in the language server's process that import (and its per-call overhead) stalled every
other request. So litellm lives here, in a process of its own that specloop starts
early (`llm.start_model_process`) and that imports it while the server keeps answering
and the run reads its code. It serves calls concurrently until its input closes; input
that closes during the import (the server is gone) ends it at once.

Messages are JSON lines. In: ``{"op": "call", "id": N, "request": {...}, "secrets":
[...]}`` (the arguments of ``litellm.acompletion``; ``secrets`` are masked in any log
line) and ``{"op": "cancel", "id": N}``. Out, on the original stdout: ``{"id": N,
"answer": {...}}`` or ``{"id": N, "failure": {...}}`` (`llm._Answer` / `llm._Failure`
fields), ``{"op": "ready"}`` once litellm is imported, and ``{"op": "log", ...}`` for
litellm's log records, which the parent passes to its own logging. Anything else that
writes to stdout lands on stderr.

Run as ``python -m specloop.loop.model_worker LEVEL`` (LEVEL: the parent's log level).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import os
import queue
import sys
import threading
from typing import Any, BinaryIO, TextIO

from specloop.loop import llm


class _Channel:
    """The protocol output: whole lines, from any thread."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


class _ToParent(logging.Handler):
    """Log records go to the parent, which writes them where its own logs go."""

    def __init__(self, channel: _Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is not worth a crash
            return
        level, name = record.levelno, record.name
        self._channel.send({"op": "log", "name": name, "level": level, "text": text})


def _read_lines(
    stream: BinaryIO, inbox: queue.Queue[dict[str, Any] | None], imported: threading.Event
) -> None:
    """Drains the input at once, so the parent's writes never wait for the import. When
    the input ends during the import, the parent is gone: the import (seconds of CPU for
    nobody) is not finished."""
    for raw in stream:
        try:
            inbox.put(json.loads(raw))
        except ValueError:
            continue
    if not imported.is_set():
        os._exit(0)
    inbox.put(None)


async def _serve(litellm: Any, inbox: queue.Queue[dict[str, Any] | None], out: _Channel) -> None:
    calls: dict[int, asyncio.Task[None]] = {}
    while True:
        message = await asyncio.to_thread(inbox.get)
        if message is None:  # the parent is gone or done
            for task in calls.values():
                task.cancel()
            return
        number = int(message.get("id", 0))
        if message.get("op") == "cancel":
            if number in calls:
                calls[number].cancel()
            continue
        llm._LOG_SECRETS.update(message.get("secrets", []))
        task = asyncio.create_task(_call(litellm, number, message["request"], out))
        calls[number] = task
        task.add_done_callback(functools.partial(_forget, calls, number))


def _forget(calls: dict[int, asyncio.Task[None]], number: int, task: object) -> None:
    calls.pop(number, None)


async def _call(litellm: Any, number: int, request: dict[str, Any], out: _Channel) -> None:
    try:
        answer = await llm.complete(litellm, request)
    except asyncio.CancelledError:
        return  # the parent stopped waiting; closing the request is all that is left
    except Exception as exc:  # litellm raises many types; all are classified
        failure = llm.classify(litellm, exc)
        out.send({"id": number, "failure": dataclasses.asdict(failure)})
        return
    out.send({"id": number, "answer": dataclasses.asdict(answer)})


def main() -> None:
    level = int(sys.argv[1]) if len(sys.argv) > 1 else logging.WARNING
    out = _Channel(os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8"))
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints never reach the channel
    sys.stdout = sys.stderr
    handler = _ToParent(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
    imported = threading.Event()
    reading = (sys.stdin.buffer, inbox, imported)
    threading.Thread(target=_read_lines, args=reading, daemon=True).start()
    litellm = llm.import_litellm()
    imported.set()
    out.send({"op": "ready"})
    asyncio.run(_serve(litellm, inbox, out))


if __name__ == "__main__":
    main()
