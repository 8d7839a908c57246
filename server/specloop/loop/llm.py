"""The one LLM adapter every stage uses: structured output over litellm, with the faults handled.

``LLMAdapter.structured`` sends a conversation with the pydantic model's JSON schema as
``response_format`` and returns a validated instance of that model. Around that one call
it owns everything that goes wrong with real models: retries with backoff (honouring
``Retry-After``) on rate limits, server and connection errors; a hard per-call timeout;
a fallback for servers that reject ``response_format``; one re-ask, with the error, for
output that is not JSON, does not match the schema or was cut off; token and cost
accounting per stage; and cancellation that really stops the request.

litellm is heavy (seconds of CPU and ~160 MB to import) and, left alone, reaches for the
network at import. It lives in a process of its own (`model_worker`, started early by
`start_model_process`), so neither its import nor its calls hold this process's
interpreter; there it runs with its network fetches, telemetry, callbacks and stdout
output switched off. All of its untyped surface lives in the "litellm boundary" section
below.

The API key comes only from the environment variable named by ``api_key_env``. It, and
every secret of the run's `Redactor`, is masked in what is sent to the model, in every
Exchange, error message and log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import importlib
import json
import logging
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from specloop.defaults import DEFAULT_MODEL_TIMEOUT_S, DEFAULT_TEMPERATURE
from specloop.loop.models import Exchange, Stage, Usage
from specloop.secrets import Redactor, redact

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

SchemaFormat = Literal["json_schema", "json_object"]
ErrorKind = Literal[
    "config",
    "timeout",
    "rate_limit",
    "server",
    "malformed",
    "schema",
    "truncated",
    "cancelled",
    "connection",
]

# Sent as the key to an OpenAI-compatible server when no api_key_env is configured: the
# OpenAI client refuses to send without one, and litellm would otherwise fall back to
# OPENAI_API_KEY from the environment and hand a real key to a local server.
NO_KEY = "no-key-configured"

_FORMAT_REJECTION = re.compile(r"(?i)response[_ ]format|json[_ ]schema|structured output")
_DETAIL_LIMIT = 300


@dataclass(frozen=True)
class ModelConfig:
    """Which model to call and how patiently; the key is named by ``api_key_env``, never held."""

    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float = DEFAULT_TEMPERATURE
    timeout_s: float = DEFAULT_MODEL_TIMEOUT_S
    max_retries: int = 3
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    stage_models: Mapping[Stage, str] = field(default_factory=dict)
    """Per-stage overrides of ``model`` (same endpoint and key)."""
    max_tokens: int = 2048
    """Cap on each answer, so a rambling model ends in a clear "truncated" error, not a hang."""
    schema_format: SchemaFormat = "json_schema"
    """How the endpoint takes a JSON schema: OpenAI's ``json_schema`` or llama.cpp's form."""

    def model_for(self, stage: Stage) -> str:
        return self.stage_models.get(stage, self.model)


class LLMError(Exception):
    """A model call that failed for good; ``str(error)`` tells the user what to do next."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message


# ---------------------------------------------------------------------------- the adapter


@dataclass(frozen=True)
class _Answer:
    """What one successful HTTP round trip returned, already out of litellm's types."""

    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    duration_s: float = 0.0


@dataclass(frozen=True)
class _Failure:
    """Why one HTTP round trip failed, classified."""

    kind: ErrorKind
    detail: str
    status: int | None = None
    retry_after_s: float | None = None
    rejects_response_format: bool = False
    retryable: bool = False


class _Unusable(Exception):
    """An answer that arrived but cannot be used: not JSON, wrong shape, or cut off."""

    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(detail)
        self.kind: ErrorKind = kind
        self.detail = detail


class LLMAdapter:
    """Structured calls to one configured model; accumulates exchanges and usage per stage."""

    def __init__(self, config: ModelConfig, redactor: Redactor) -> None:
        """``redactor``: the run's secrets, masked in every prompt (required: no model call
        goes out without one)."""
        self.config = config
        self.exchanges: list[Exchange] = []
        self.usage: dict[Stage, Usage] = {}
        self._secrets: set[str] = set(redactor.secrets)
        _LOG_SECRETS.update(self._secrets)
        self._response_format_supported = True

    async def structured(
        self,
        stage: Stage,
        messages: list[dict[str, str]],
        schema: type[T],
        attempt: int = 1,
    ) -> T:
        """Ask the model for one ``schema`` instance; raises ``LLMError`` when it cannot."""
        api_key = self._api_key()
        # No secret reaches the model: not from the code, not from validation output.
        conversation = [{k: self._redact(v) for k, v in message.items()} for message in messages]
        reasked = False
        while True:
            answer = await self._request(stage, attempt, conversation, schema, api_key)
            try:
                return self._accept(stage, attempt, conversation, answer, schema)
            except _Unusable as unusable:
                if reasked:
                    raise self._error(unusable.kind, unusable.detail, schema) from None
                conversation = [*conversation, *_reask(answer, unusable)]
                reasked = True

    # ------------------------------------------------------------------ one answer

    def _accept(
        self,
        stage: Stage,
        attempt: int,
        conversation: list[dict[str, str]],
        answer: _Answer,
        schema: type[T],
    ) -> T:
        error: str | None = None
        try:
            if answer.finish_reason == "length":
                raise _Unusable("truncated", "the answer reached the length limit")
            return parse_structured(answer.content, schema)
        except _Unusable as unusable:
            error = f"{unusable.kind}: {unusable.detail}"
            raise
        finally:
            self._record(stage, attempt, conversation, answer.content, answer.duration_s, error)

    async def _request(
        self,
        stage: Stage,
        attempt: int,
        conversation: list[dict[str, str]],
        schema: type[BaseModel],
        api_key: str | None,
    ) -> _Answer:
        """One answer from the model, retrying what is worth retrying."""
        retries = 0
        while True:
            sent = self._prepare(conversation, schema)
            started = time.monotonic()
            try:
                answer = await self._send(sent, schema, api_key, self.config.model_for(stage))
            except _FailedCall as failed:
                duration = time.monotonic() - started
                self._count(stage, duration)
                failure = failed.failure
                if failure.rejects_response_format and self._response_format_supported:
                    self._record(stage, attempt, sent, "", duration, failure.detail)
                    self._response_format_supported = False
                    log.info("%s: the server rejected response_format; retrying without it", stage)
                    continue
                message = self._failure_message(failure, retries)
                self._record(stage, attempt, sent, "", duration, message)
                if not failure.retryable or retries >= self.config.max_retries:
                    raise LLMError(failure.kind, message) from None
                await self._backoff(stage, failure, retries)
                retries += 1
                continue
            answer = dataclasses.replace(answer, duration_s=time.monotonic() - started)
            self._count(stage, answer.duration_s, answer)
            return answer

    def _prepare(
        self, conversation: list[dict[str, str]], schema: type[BaseModel]
    ) -> list[dict[str, str]]:
        if self._response_format_supported:
            return conversation
        return _with_schema_instruction(conversation, schema)

    async def _send(
        self,
        messages: list[dict[str, str]],
        schema: type[BaseModel],
        api_key: str | None,
        model: str,
    ) -> _Answer:
        request = self._request_arguments(messages, schema, api_key, model)
        process = start_model_process()
        await process.until_ready()  # litellm's import is not the model's time to answer
        try:
            async with asyncio.timeout(self.config.timeout_s):
                return await process.call(request)
        except TimeoutError:
            raise _FailedCall(_Failure("timeout", "no answer in time")) from None

    def _request_arguments(
        self,
        messages: list[dict[str, str]],
        schema: type[BaseModel],
        api_key: str | None,
        model: str,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "api_base": self.config.api_base,
            "api_key": api_key,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "timeout": self.config.timeout_s,
            "num_retries": 0,
        }
        if self._response_format_supported:
            request["response_format"] = response_format(schema, self.config.schema_format)
        return request

    async def _backoff(self, stage: Stage, failure: _Failure, retries: int) -> None:
        delay = backoff_delay(
            retries, self.config.backoff_base_s, self.config.backoff_cap_s, failure.retry_after_s
        )
        log.info(
            "%s: %s, retrying in %.2f s (%d of %d)",
            stage,
            self._redact(failure.detail),
            delay,
            retries + 1,
            self.config.max_retries,
        )
        await asyncio.sleep(delay)

    # ------------------------------------------------------------------ bookkeeping

    def _api_key(self) -> str | None:
        name = self.config.api_key_env
        if name is None:
            return NO_KEY if self.config.api_base else None
        value = os.environ.get(name, "").strip()
        if not value:
            raise LLMError(
                "config",
                f"The environment variable {name}, which should hold the API key for "
                f"{self.config.model}, is not set; set it in the environment that starts "
                "specloop (never in a workspace file).",
            )
        self._secrets.add(value)
        _LOG_SECRETS.add(value)
        return value

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _record(
        self,
        stage: Stage,
        attempt: int,
        messages: list[dict[str, str]],
        response: str,
        duration_s: float,
        error: str | None,
    ) -> None:
        self.exchanges.append(
            Exchange(
                stage=stage,
                attempt=attempt,
                messages=[{k: self._redact(v) for k, v in m.items()} for m in messages],
                response=self._redact(response),
                duration_s=duration_s,
                error=None if error is None else self._redact(error),
            )
        )

    def _count(self, stage: Stage, duration_s: float, answer: _Answer | None = None) -> None:
        usage = self.usage.setdefault(stage, Usage(stage=stage))
        usage.calls += 1
        usage.duration_s += duration_s
        if answer is not None:
            usage.prompt_tokens += answer.prompt_tokens
            usage.completion_tokens += answer.completion_tokens
            usage.cost_usd += answer.cost_usd

    # ------------------------------------------------------------------ error sentences

    def _where(self) -> str:
        if self.config.api_base:
            return f"at {self._redact(self.config.api_base)}"
        return f"'{self.config.model}'"

    def _failure_message(self, failure: _Failure, retries: int) -> str:
        where = self._where()
        detail = self._redact(failure.detail)[:_DETAIL_LIMIT]
        tried = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
        match failure.kind:
            case "timeout":
                return (
                    f"The model {where} did not answer within {self.config.timeout_s:g} s; "
                    "check that it is running or raise the timeout."
                )
            case "rate_limit":
                return (
                    f"The model {where} is rate-limiting requests{tried} ({detail}); "
                    "wait a minute and try again, or lower the request rate."
                )
            case "server":
                return (
                    f"The model {where} failed with a server error{tried} ({detail}); "
                    "check the server's logs and try again."
                )
            case "connection":
                return (
                    f"Could not connect to the model {where}{tried} ({detail}); "
                    "check that the server is running and that apiBase is right."
                )
            case "cancelled":
                return f"The request to the model {where} was cancelled; run the loop again."
            case _:
                return self._config_message(failure.status, detail)

    def _config_message(self, status: int | None, detail: str) -> str:
        where, model = self._where(), self.config.model
        if "llm provider not provided" in detail.lower():
            return (
                f"litellm cannot tell which provider serves the model '{model}'; prefix it "
                f"with one, e.g. 'openai/{model}' for an OpenAI-compatible server."
            )
        if status in (401, 403) or "missing credentials" in detail.lower():
            variable = self.config.api_key_env or "the variable named by apiKeyEnv"
            return (
                f"The model {where} refused the credentials ({detail}); check the API key "
                f"in {variable}."
            )
        return (
            f"The model {where} rejected the request ({detail}); "
            "check the model, apiBase and apiKeyEnv settings."
        )

    def _error(self, kind: ErrorKind, detail: str, schema: type[BaseModel]) -> LLMError:
        detail = self._redact(detail)[:_DETAIL_LIMIT]
        model = self.config.model
        if kind == "truncated":
            message = (
                f"The answer from {model} was still cut off at its length limit after one "
                "re-ask; raise the model's output token limit or use a model with a larger "
                "context."
            )
        elif kind == "schema":
            message = (
                f"The answer from {model} still did not match the {schema.__name__} schema "
                f"after one re-ask ({detail}); try again or use a stronger model."
            )
        else:
            message = (
                f"The answer from {model} was still not JSON after one re-ask ({detail}); "
                "try again or use a stronger model."
            )
        return LLMError(kind, message)


class _FailedCall(Exception):
    def __init__(self, failure: _Failure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


# ---------------------------------------------------------------------------- pure helpers


def response_format(schema: type[BaseModel], style: SchemaFormat = "json_schema") -> dict[str, Any]:
    """The ``response_format`` asking for ``schema``'s JSON schema, in the endpoint's style.

    llama-cpp-python's server constrains output only with ``{"type": "json_object",
    "schema": ...}`` and rejects OpenAI's ``json_schema`` shape with HTTP 500.
    """
    if style == "json_object":
        return {"type": "json_object", "schema": schema.model_json_schema()}
    return {
        "type": "json_schema",
        "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
    }


def backoff_delay(
    retries: int, base_s: float, cap_s: float, retry_after_s: float | None = None
) -> float:
    """Exponential backoff with jitter, at least ``Retry-After``, never above ``cap_s``."""
    delay = base_s * 2.0**retries * random.uniform(0.5, 1.0)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return max(0.0, min(delay, cap_s))


def parse_structured(content: str, schema: type[T]) -> T:
    """The ``schema`` instance in ``content``; raises ``_Unusable`` naming what was wrong."""
    data = extract_json(content)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise _Unusable("schema", _validation_summary(exc)) from None


def extract_json(content: str) -> Any:
    """The JSON in ``content``: all of it, or the first object in fences or prose."""
    text = content.strip()
    # strict=False accepts raw newlines and tabs inside strings, which grammar-constrained
    # local models emit; the schema still validates what the values mean.
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        first_error = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    decoder = json.JSONDecoder(strict=False)
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise _Unusable("malformed", f"not valid JSON: {first_error}" if text else "an empty answer")


def _validation_summary(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False)[:8]:
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


def _reask(answer: _Answer, unusable: _Unusable) -> list[dict[str, str]]:
    """The turns that show the model its unusable answer and what to fix."""
    if unusable.kind == "truncated":
        return [
            {
                "role": "user",
                "content": "Your previous answer was cut off because it was too long. "
                "Answer again with the same JSON object, but shorter.",
            }
        ]
    problem = (
        f"did not match the required schema: {unusable.detail}"
        if unusable.kind == "schema"
        else f"was not valid JSON ({unusable.detail})"
    )
    return [
        {"role": "assistant", "content": answer.content},
        {
            "role": "user",
            "content": f"Your previous answer {problem}. Answer again with only one JSON "
            "object that matches the schema and fixes these errors.",
        },
    ]


def _with_schema_instruction(
    conversation: list[dict[str, str]], schema: type[BaseModel]
) -> list[dict[str, str]]:
    """The conversation with the JSON schema spelled out in the system message."""
    instruction = (
        "Answer with exactly one JSON object, and nothing else, that matches this JSON "
        f"schema:\n{json.dumps(schema.model_json_schema())}"
    )
    if conversation and conversation[0].get("role") == "system":
        first = conversation[0]
        return [{**first, "content": f"{first['content']}\n\n{instruction}"}, *conversation[1:]]
    return [{"role": "system", "content": instruction}, *conversation]


def _retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# ---------------------------------------------------------------------------- litellm boundary
#
# Everything that touches litellm's (untyped, changing) surface is below: loading and
# taming it, one call, and classifying what it raises.

_LITELLM_ENVIRONMENT = {
    # No price-list download at import: use the copy shipped in the wheel.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    # The same for Anthropic beta headers and the proxy's blog feed.
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    # In its default "DEV" mode litellm loads a .env found by walking up from its own
    # directory: with a project venv that is the workspace's .env, which must not
    # supply keys or settings.
    "LITELLM_MODE": "PRODUCTION",
}
_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
_TRANSPORT_LOGGERS = ("openai", "openai._base_client", "httpx", "httpcore", "aiohttp.client")
_CALLBACK_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "service_callback",
    "_async_input_callback",
    "_async_success_callback",
    "_async_failure_callback",
)
_LOG_SECRETS: set[str] = set()


class _ModelProcess:
    """The process that holds litellm (`model_worker`), seen from here: calls in, answers out.

    One per specloop process, whatever event loop calls it: a thread reads its answers
    and hands each to the loop that asked. When it ends (it crashed, it was killed), the
    calls it had fail as a server error and the next call starts another.
    """

    def __init__(self, command: list[str]) -> None:
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        self.ended = False
        self.ready = threading.Event()
        """Set once litellm is imported there (or the process ended)."""
        threading.Thread(target=self._read_answers, daemon=True, name="model-process").start()

    @property
    def pid(self) -> int:
        return self._process.pid

    async def until_ready(self) -> None:
        """Until litellm is imported there (or the process ended: its calls then fail)."""
        if not self.ready.is_set():
            await asyncio.to_thread(self.ready.wait)

    async def call(self, request: dict[str, Any]) -> _Answer:
        """One ``litellm.acompletion`` there; raises `_FailedCall` with its failure."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._next_id += 1
            number = self._next_id
            self._pending[number] = (loop, future)
        message = {"op": "call", "id": number, "request": request, "secrets": sorted(_LOG_SECRETS)}
        try:
            self._send(message)
        except OSError:  # it has just ended: the next call starts another
            with self._lock:
                self._pending.pop(number, None)
            detail = "specloop's model client process ended unexpectedly"
            raise _FailedCall(_Failure("server", detail, retryable=True)) from None
        try:
            reply = await future
        except asyncio.CancelledError:
            with self._lock:
                self._pending.pop(number, None)
            with contextlib.suppress(OSError):
                self._send({"op": "cancel", "id": number})  # it closes the request
            raise
        if "failure" in reply:
            raise _FailedCall(_Failure(**reply["failure"]))
        return _Answer(**reply["answer"])

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        with self._lock:
            stdin.write(json.dumps(message).encode() + b"\n")
            stdin.flush()

    def _read_answers(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        for line in stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("op") == "ready":
                self.ready.set()
                continue
            if message.get("op") == "log":
                text = redact(str(message.get("text", "")), _LOG_SECRETS)
                logging.getLogger(str(message.get("name"))).log(int(message["level"]), "%s", text)
                continue
            with self._lock:
                waiting = self._pending.pop(int(message.get("id", 0)), None)
            if waiting is not None:
                _settle(*waiting, message)
        self.ended = True
        self.ready.set()
        code = self._process.wait()
        with self._lock:
            left, self._pending = list(self._pending.values()), {}
        detail = f"specloop's model client process ended unexpectedly (exit status {code})"
        failure = {"kind": "server", "detail": detail, "retryable": True}  # a new one starts
        for loop, future in left:
            _settle(loop, future, {"failure": failure})


def _settle(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], reply: Any) -> None:
    def resolve() -> None:
        if not future.done():
            future.set_result(reply)

    with contextlib.suppress(RuntimeError):  # that loop has closed: nobody is waiting
        loop.call_soon_threadsafe(resolve)


MODEL_PROCESS_COMMAND = [sys.executable, "-P", "-m", "specloop.loop.model_worker"]
"""How the model client's process starts (its log level is appended). ``-P``: the working
directory (often the user's project) is not put on its path, so no module of the project
can stand in for one litellm imports."""
_model_process: _ModelProcess | None = None
_start_lock = threading.Lock()


def start_model_process() -> _ModelProcess:
    """The model client's process, started now if it is not running: call it early, so
    litellm's import overlaps other work instead of stalling it."""
    global _model_process
    with _start_lock:
        if _model_process is None or _model_process.ended:
            level = str(logging.getLogger().getEffectiveLevel())
            _model_process = _ModelProcess([*MODEL_PROCESS_COMMAND, level])
        return _model_process


def litellm_imported() -> bool:
    """Whether litellm is in this process yet (importing this module must not do it)."""
    return "litellm" in sys.modules


def import_litellm() -> Any:
    """litellm, imported with its network use off and tamed (in the model client's process)."""
    _prepare_for_import()
    module = importlib.import_module("litellm")
    _tame(module)
    return module


def _prepare_for_import() -> None:
    """What litellm reads while importing: its environment, and its loggers' levels."""
    for name, value in _LITELLM_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    for name in _LITELLM_LOGGERS:
        # Its handler, attached during the import, writes DEBUG and INFO to stdout (the
        # LSP channel) whenever the root logger lets them through.
        logging.getLogger(name).setLevel(logging.WARNING)


def _tame(litellm: Any) -> None:
    """No telemetry, callbacks, tokenizer downloads or stdout; logs go through ours, redacted."""
    litellm.telemetry = False
    litellm.suppress_debug_info = True  # else it prints a banner to stdout on errors
    litellm.turn_off_message_logging = True
    litellm.disable_hf_tokenizer_download = True
    litellm.set_verbose = False
    for name in _CALLBACK_LISTS:
        callbacks = getattr(litellm, name, None)
        if isinstance(callbacks, list):
            callbacks.clear()
    redacting = _RedactingFilter()
    for name in _LITELLM_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):  # records propagate to ours (stderr or a file)
            logger.removeHandler(handler)
        logger.addFilter(redacting)
    for name in _TRANSPORT_LOGGERS:
        logging.getLogger(name).addFilter(redacting)


class _RedactingFilter(logging.Filter):
    """Masks keys in a record's message and traceback before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, _LOG_SECRETS)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, _LOG_SECRETS)
        return True


async def complete(litellm: Any, request: dict[str, Any]) -> _Answer:
    response = await litellm.acompletion(**request)
    choice = response.choices[0]
    usage = getattr(response, "usage", None)
    return _Answer(
        content=choice.message.content or "",
        finish_reason=str(choice.finish_reason or "stop"),
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cost_usd=_cost(litellm, response),
    )


def _cost(litellm: Any, response: Any) -> float:
    try:
        return float(litellm.completion_cost(completion_response=response) or 0.0)
    except Exception:  # unknown models (every local one) have no price: they cost nothing
        return 0.0


def classify(litellm: Any, exc: Exception) -> _Failure:
    """What kind of failure litellm's exception is, and whether retrying may help."""
    chain = _chain(exc)
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    openai = sys.modules.get("openai")
    if any(isinstance(e, asyncio.CancelledError) for e in chain):
        return _Failure("cancelled", _detail(exc, None))
    if _any_instance(chain, litellm.Timeout, getattr(openai, "APITimeoutError", None)):
        return _Failure("timeout", _detail(exc, None))
    # litellm reports a refused or dropped connection as an HTTP 500 "Connection error."
    # raised from openai.APIConnectionError: the chain, not the status, tells.
    if _any_instance(chain, getattr(openai, "APIConnectionError", None)):
        return _Failure("connection", _detail(exc, None), retryable=True)
    detail = _detail(exc, status)
    if status == 429 or isinstance(exc, litellm.RateLimitError):
        headers = _headers(exc)
        return _Failure("rate_limit", detail, status, _retry_after(headers), retryable=True)
    if "missing credentials" in detail.lower() or "llm provider not provided" in detail.lower():
        return _Failure("config", detail, status)
    if status is not None and status >= 500:
        return _Failure("server", detail, status, _retry_after(_headers(exc)), retryable=True)
    if status in (400, 422) and _FORMAT_REJECTION.search(detail):
        return _Failure("config", detail, status, rejects_response_format=True)
    return _Failure("config" if status else "server", detail, status)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _any_instance(chain: list[BaseException], *types: Any) -> bool:
    classes = tuple(t for t in types if isinstance(t, type))
    return bool(classes) and any(isinstance(e, classes) for e in chain)


def _headers(exc: Exception) -> Any:
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
    return headers


def _detail(exc: Exception, status: int | None) -> str:
    """The provider's own words, without litellm's prefixes."""
    text = str(getattr(exc, "message", None) or exc)
    text = re.sub(r"^(litellm\.\w+:\s*)+", "", text)
    text = re.sub(r"^(\w+Error:\s*)?(OpenAIException\s*-\s*)?", "", text).strip()
    text = " ".join(text.split())
    return f"HTTP {status}: {text}" if status else text
