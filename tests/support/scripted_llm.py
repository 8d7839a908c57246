"""A scripted OpenAI-compatible HTTP server: real HTTP, canned replies, injected faults.

Tests hand it a queue of ``Reply`` objects (and optionally a ``responder`` for answers
that depend on the request). It serves ``POST /v1/chat/completions`` and
``GET /v1/models`` on 127.0.0.1 from a daemon thread and records every chat request,
so litellm's real request path is exercised while the test decides what the "model"
says, or how it fails::

    with ScriptedLLM([Reply.status(429, retry_after=1), Reply.json({"needed": False})]) as llm:
        config = ModelConfig("openai/scripted-model", api_base=llm.base_url)
        adapter = LLMAdapter(config, Redactor())

Standard library only, so it also serves benchmarks and the Neovim tests.
"""

from __future__ import annotations

import dataclasses
import json
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL_NAME = "scripted-model"
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
MODELS_PATHS = ("/v1/models", "/models")
RESPONSE_FORMAT_REJECTION = "response_format is not supported by this server"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a chat completion, an HTTP error, a stall or a broken body."""

    content: str = ""
    finish_reason: str = "stop"
    http_status: int = 200
    error: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0
    raw_body: bytes | None = None
    content_type: str = "application/json"
    drop_connection: bool = False
    prompt_tokens: int = 12
    completion_tokens: int = 8

    @classmethod
    def json(cls, obj: Any, **usage: int) -> Reply:
        """A well-formed answer whose content is ``json.dumps(obj)``."""
        return cls(content=json.dumps(obj), **usage)

    @classmethod
    def text(cls, content: str, **usage: int) -> Reply:
        """An answer with exactly this content (prose, fenced JSON, anything)."""
        return cls(content=content, **usage)

    @classmethod
    def status(cls, code: int, retry_after: float | None = None, message: str = "") -> Reply:
        """An HTTP error with an OpenAI-style error body (and ``Retry-After`` if given)."""
        headers = () if retry_after is None else (("Retry-After", f"{retry_after:g}"),)
        return cls(http_status=code, error=message or f"scripted HTTP {code}", headers=headers)

    @classmethod
    def hang(cls, seconds: float, then: Reply | None = None) -> Reply:
        """Say nothing for ``seconds`` (past the client's timeout), then answer ``then``."""
        return dataclasses.replace(then or cls.json({"late": True}), delay_s=seconds)

    @classmethod
    def malformed(cls, content: str = "{not json") -> Reply:
        """A 200 answer whose content is not JSON."""
        return cls(content=content)

    @classmethod
    def truncated(cls, content: str = '{"code": "def f(') -> Reply:
        """An answer cut off by the token limit (``finish_reason`` "length")."""
        return cls(content=content, finish_reason="length")

    @classmethod
    def raw(cls, body: bytes, status: int = 200, content_type: str = "text/html") -> Reply:
        """Exactly these bytes as the HTTP body: not a chat completion at all."""
        return cls(http_status=status, raw_body=body, content_type=content_type)

    @classmethod
    def disconnect(cls) -> Reply:
        """Close the connection without answering."""
        return cls(drop_connection=True)

    @classmethod
    def reject_response_format(cls) -> Reply:
        """The 400 a server without structured output gives a ``response_format`` request."""
        return cls.status(400, message=RESPONSE_FORMAT_REJECTION)


@dataclass(frozen=True)
class RecordedRequest:
    """One chat request as the server saw it: path, lower-cased headers, parsed body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.body.get("response_format")

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


Responder = Callable[[dict[str, Any]], Reply]


class ScriptedLLM:
    """The server. Use as a context manager; ``base_url`` ends in ``/v1``."""

    def __init__(
        self,
        replies: Iterable[Reply] = (),
        *,
        responder: Responder | None = None,
        supports_response_format: bool = True,
        model: str = MODEL_NAME,
    ) -> None:
        self.model = model
        self.supports_response_format = supports_response_format
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self.health_checks = 0
        self.hangups = 0
        self._script: deque[Reply] = deque(replies)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> ScriptedLLM:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # so close() returns at once
            name="scripted-llm",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the scripted LLM is not running; use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------------ the script

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests)

    def _next_reply(self, body: dict[str, Any], number: int) -> Reply:
        if not self.supports_response_format and "response_format" in body:
            return Reply.reject_response_format()
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return scripted
        if self.responder is not None:
            return self.responder(body)
        return Reply.status(
            500,
            message=f"The scripted LLM has no reply left for request #{number}; "
            "add more replies to the test's script.",
        )

    def _wait(self, seconds: float, connection: socket.socket) -> bool:
        """Stall for ``seconds``; False if the client hung up or the server is closing."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self._closing.wait(min(0.02, remaining)):
                return False
            if _hung_up(connection):
                with self._lock:
                    self.hangups += 1
                return False
        return True

    def _completion(self, reply: Reply, number: int) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-scripted-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": "fp_scripted",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        }

    def _models(self) -> dict[str, Any]:
        with self._lock:
            self.health_checks += 1
        entry = {"id": self.model, "object": "model", "created": 0, "owned_by": "specloop-tests"}
        return {"object": "list", "data": [entry]}


def _hung_up(connection: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _error_body(status: int, message: str) -> dict[str, Any]:
    kind = "rate_limit_error" if status == 429 else "invalid_request_error"
    if status >= 500:
        kind = "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], owner: ScriptedLLM
    ) -> None:
        super().__init__(address, handler)
        self.owner = owner


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: pytest shows the test's own output."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") in MODELS_PATHS:
            self._send_json(200, self.server.owner._models())
        else:
            self._send_json(404, _error_body(404, f"no route for GET {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in CHAT_PATHS:
            self._send_json(404, _error_body(404, f"no route for POST {self.path}"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send_json(400, _error_body(400, "the request body is not JSON"))
            return
        owner = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        number = owner._record(RecordedRequest(self.path, headers, body))
        self._answer(owner._next_reply(body, number), number)

    def _answer(self, reply: Reply, number: int) -> None:
        owner = self.server.owner
        if reply.delay_s and not owner._wait(reply.delay_s, self.connection):
            self.close_connection = True
            return
        if reply.drop_connection:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif reply.raw_body is not None:
            self._send(reply.http_status, reply.raw_body, reply.content_type, reply.headers)
        elif reply.http_status >= 400:
            body = _error_body(reply.http_status, reply.error)
            self._send_json(reply.http_status, body, reply.headers)
        else:
            self._send_json(200, owner._completion(reply, number), reply.headers)

    def _send_json(
        self, status: int, body: dict[str, Any], headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Iterable[tuple[str, str]]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
