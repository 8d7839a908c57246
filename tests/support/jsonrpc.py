"""A raw JSON-RPC client over a server's stdio, for what a typed LSP client cannot send.

pytest-lsp's client only sends well-formed, well-typed messages. The tests of bad
input need the rest: params of the wrong shape, unknown methods, requests after
``shutdown``, bodies that are not JSON. `RawClient` writes any bytes, reads every
message the server sends with the time it arrived, answers the server's own requests
with ``null`` (a list of ``null`` for ``workspace/configuration``) and keeps the
notifications it received. The latency benchmarks time any server through it
(`benchmarks/lsp_latency.py`), so it speaks to servers other than specloop too.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class RawClient:
    def __init__(
        self,
        command: list[str],
        stderr: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        """``env`` and ``cwd`` default to this process's."""
        self.command = command
        self.stderr = stderr
        self.env = env
        self.cwd = cwd
        self.notifications: list[Message] = []
        self.answers: list[tuple[Message, float]] = []
        self.server_requests: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        with self.stderr.open("wb") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                *self.command, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=stderr, limit=2**26,
                env=self.env, cwd=self.cwd,
            )  # fmt: skip
        self._reader = asyncio.create_task(self._read_all())

    async def __aenter__(self) -> RawClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._process is not None and self._reader is not None
        if self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        self._reader.cancel()

    async def close(self, within_s: float) -> None:
        """``shutdown`` and ``exit``, as an editor ends a session; killed if it does not go."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(Exception):
                await self.request("shutdown", None, within_s)
                await self.notify("exit", None)
            try:
                await asyncio.wait_for(process.wait(), within_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await asyncio.wait_for(process.wait(), within_s)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    @property
    def returncode(self) -> int | None:
        assert self._process is not None
        return self._process.returncode

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    # ------------------------------------------------------------------ sending

    async def write(self, body: bytes) -> float:
        """Frame and send ``body`` as it is; returns when it was sent."""
        assert self._process is not None and self._process.stdin is not None
        sent = time.perf_counter()
        self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self._process.stdin.drain()
        return sent

    async def send(self, message: Message) -> float:
        return await self.write(json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8"))

    async def notify(self, method: str, params: Any) -> float:
        """Send a notification; returns when it was sent."""
        return await self.send({"method": method, "params": params})

    async def request(
        self, method: str, params: Any = None, within_s: float = 10
    ) -> tuple[Message, float]:
        """Send a request; its whole answer (``result`` or ``error``) and how long it took."""
        answer, sent, received = await self.timed_request(method, params, within_s)
        return answer, received - sent

    async def timed_request(
        self, method: str, params: Any = None, within_s: float = 10
    ) -> tuple[Message, float, float]:
        """Send a request; its whole answer, when it was sent and when the answer came."""
        request_id = next(self._ids)
        message: Message = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        sent = await self.send(message)
        answer, received = await self.wait_for_answer(lambda a: a.get("id") == request_id, within_s)
        return answer, sent, received

    async def initialize(self, root: Path, options: Any = None) -> Message:
        capabilities = {
            "textDocument": {"publishDiagnostics": {"versionSupport": True}},
            "workspace": {"configuration": True},
            "general": {"positionEncodings": ["utf-16"]},
        }
        answer, _ = await self.request(
            "initialize",
            {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities,
             "initializationOptions": options},
        )  # fmt: skip
        await self.notify("initialized", {})
        return answer

    # ------------------------------------------------------------------ receiving

    async def wait_for_answer(
        self, matches: Callable[[Message], bool], within_s: float
    ) -> tuple[Message, float]:
        async with asyncio.timeout(within_s), self._arrived:
            while True:
                for answer, received in self.answers:
                    if matches(answer):
                        return answer, received
                await self._arrived.wait()

    async def wait_for_notification(
        self, matches: Callable[[Message], bool], within_s: float
    ) -> Message:
        async with asyncio.timeout(within_s), self._arrived:
            while True:
                for notification in self.notifications:
                    if matches(notification):
                        return notification
                await self._arrived.wait()

    def on_notification(self, notification: Message, received: float) -> None:
        """For subclasses that act on a notification the moment it arrives."""

    async def _read_all(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        while True:
            length = 0
            while (line := await stdout.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line:
                return
            message = json.loads(await stdout.readexactly(length))
            received = time.perf_counter()
            if "method" in message and "id" in message:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self._answer_server_request(message)
                continue
            async with self._arrived:
                if "method" in message:
                    self.notifications.append(message)
                    self.on_notification(message, received)
                else:
                    self.answers.append((message, received))
                self._arrived.notify_all()

    async def _answer_server_request(self, request: Message) -> None:
        self.server_requests[request["method"]] += 1
        result: Any = None
        if request["method"] == "workspace/configuration":
            result = [None] * len((request.get("params") or {}).get("items", []))
        await self.send({"id": request["id"], "result": result})
