"""The LLM adapter against a scripted OpenAI-compatible server, over real HTTP through litellm.

Nothing of litellm is mocked: each test scripts what the "model" answers (or how it
fails) and checks what the adapter returns, raises, records and sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specloop.loop.llm import (
    NO_KEY,
    LLMAdapter,
    LLMError,
    ModelConfig,
    backoff_delay,
    extract_json,
    start_model_process,
)
from specloop.loop.models import Clarification, Plan, Stage
from specloop.secrets import Redactor, redact
from tests.support.scripted_llm import Reply, ScriptedLLM

PLAN = {"steps": ["Reject negative amounts."], "touched_symbols": ["Account.charge"], "checks": []}
MESSAGES = [
    {"role": "system", "content": "You plan small code changes."},
    {"role": "user", "content": "Plan: charge() must reject negative amounts."},
]
KEY_ENV = "SPECLOOP_TEST_API_KEY"
KEY = "test-key-7f3a9c1e5b2d8f4a6c0e"  # not key-shaped: only the named secret masks it
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _litellm_loaded() -> None:
    """Pay litellm's import (in the model client's process) once, so timings below measure
    the adapter, not the import."""
    assert start_model_process().ready.wait(120)


def adapter_for(llm: ScriptedLLM, **overrides: object) -> LLMAdapter:
    settings: dict[str, object] = {
        "model": "openai/scripted-model",
        "api_base": llm.base_url,
        "timeout_s": 5.0,
        "max_retries": 3,
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.05,
    }
    settings.update(overrides)
    return LLMAdapter(ModelConfig(**settings), Redactor())  # type: ignore[arg-type]


async def plan(adapter: LLMAdapter) -> Plan:
    return await adapter.structured(Stage.PLAN, MESSAGES, Plan)


# ---------------------------------------------------------------------------- success


async def test_answers_are_requested_with_the_schema_and_validated():
    with ScriptedLLM([Reply.json(PLAN)]) as llm:
        adapter = adapter_for(llm)
        result = await plan(adapter)

    assert result == Plan.model_validate(PLAN)
    (request,) = llm.requests
    assert request.body["model"] == "scripted-model"
    assert request.body["messages"] == MESSAGES
    assert request.body["temperature"] == 0.2
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "Plan", "schema": Plan.model_json_schema()},
    }
    (exchange,) = adapter.exchanges
    assert (exchange.stage, exchange.attempt, exchange.error) == (Stage.PLAN, 1, None)
    assert json.loads(exchange.response) == PLAN


async def test_a_server_without_response_format_gets_the_schema_in_the_system_message():
    with ScriptedLLM([Reply.json(PLAN), Reply.json(PLAN)], supports_response_format=False) as llm:
        adapter = adapter_for(llm)
        assert await plan(adapter) == Plan.model_validate(PLAN)
        assert await plan(adapter) == Plan.model_validate(PLAN)

    rejected, retried, later = llm.requests
    assert rejected.response_format is not None
    assert retried.response_format is None and later.response_format is None
    system = retried.messages[0]
    assert system["role"] == "system"
    assert system["content"].startswith(MESSAGES[0]["content"])
    assert '"touched_symbols"' in system["content"]
    assert "response_format" in (adapter.exchanges[0].error or "")


@pytest.mark.parametrize(
    "content",
    [
        f"Here is the plan:\n```json\n{json.dumps(PLAN, indent=2)}\n```\nHope this {{helps}}.",
        f"Sure. {json.dumps(PLAN)} Let me know if you need {{more}}.",
        f"```\n{json.dumps(PLAN)}\n```",
    ],
    ids=["json-fence", "prose", "bare-fence"],
)
async def test_json_inside_fences_or_prose_is_extracted(content: str):
    with ScriptedLLM([Reply.text(content)]) as llm:
        assert await plan(adapter_for(llm)) == Plan.model_validate(PLAN)
    assert len(llm.requests) == 1


async def test_tokens_calls_and_durations_are_accounted_per_stage():
    replies = [
        Reply.json({"needed": False}, prompt_tokens=100, completion_tokens=5),
        Reply.json(PLAN, prompt_tokens=200, completion_tokens=40),
        Reply.json(PLAN, prompt_tokens=210, completion_tokens=42),
    ]
    with ScriptedLLM(replies) as llm:
        adapter = adapter_for(llm)
        await adapter.structured(Stage.CLARIFY, MESSAGES, Clarification)
        await plan(adapter)
        await adapter.structured(Stage.PLAN, MESSAGES, Plan, attempt=2)

    clarify, planning = adapter.usage[Stage.CLARIFY], adapter.usage[Stage.PLAN]
    assert (clarify.calls, clarify.prompt_tokens, clarify.completion_tokens) == (1, 100, 5)
    assert (planning.calls, planning.prompt_tokens, planning.completion_tokens) == (2, 410, 82)
    assert clarify.cost_usd == 0.0  # an unpriced model costs nothing instead of failing
    assert planning.duration_s > 0
    assert [e.attempt for e in adapter.exchanges] == [1, 1, 2]


# ---------------------------------------------------------------------------- HTTP faults


async def test_a_429_is_retried_after_its_retry_after_capped():
    with ScriptedLLM([Reply.status(429, retry_after=1), Reply.json(PLAN)]) as llm:
        adapter = adapter_for(llm, backoff_cap_s=0.3)
        started = time.monotonic()
        assert await plan(adapter) == Plan.model_validate(PLAN)
        elapsed = time.monotonic() - started

    assert len(llm.requests) == 2
    assert 0.3 <= elapsed < 1.0  # waited for Retry-After (1 s), capped at 0.3 s
    assert adapter.usage[Stage.PLAN].calls == 2
    assert "rate-limiting" in (adapter.exchanges[0].error or "")


@pytest.mark.parametrize(
    "fault",
    [Reply.status(500), Reply.status(503), Reply.raw(b"<html>502 Bad Gateway</html>")],
    ids=["500", "503", "html-body"],
)
async def test_a_server_error_is_retried(fault: Reply):
    with ScriptedLLM([fault, Reply.json(PLAN)]) as llm:
        assert await plan(adapter_for(llm)) == Plan.model_validate(PLAN)
    assert len(llm.requests) == 2


async def test_a_dropped_connection_is_retried():
    with ScriptedLLM([Reply.disconnect(), Reply.json(PLAN)]) as llm:
        assert await plan(adapter_for(llm)) == Plan.model_validate(PLAN)
    assert len(llm.requests) == 2


async def test_a_server_that_keeps_failing_is_a_server_error_after_the_retries():
    with ScriptedLLM([Reply.status(500)] * 4) as llm:
        adapter = adapter_for(llm, max_retries=3)
        with pytest.raises(LLMError) as caught:
            await plan(adapter)

    assert caught.value.kind == "server"
    assert len(llm.requests) == 4
    message = str(caught.value)
    assert llm.base_url in message and "after 3 retries" in message and "HTTP 500" in message
    assert len(adapter.exchanges) == 4


async def test_an_unreachable_server_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}/v1"
    adapter = LLMAdapter(ModelConfig("openai/m", api_base=base, backoff_base_s=0.01), Redactor())
    with pytest.raises(LLMError) as caught:
        await plan(adapter)
    assert caught.value.kind == "connection"
    message = str(caught.value)
    assert message.startswith(f"Could not connect to the model at {base} after 3 retries")
    assert message.endswith("check that the server is running and that apiBase is right.")
    assert adapter.usage[Stage.PLAN].calls == 4


async def test_a_hanging_server_is_a_timeout_without_retries():
    with ScriptedLLM([Reply.hang(10), Reply.json(PLAN)]) as llm:
        adapter = adapter_for(llm, timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(LLMError) as caught:
            await plan(adapter)
        elapsed = time.monotonic() - started

    assert caught.value.kind == "timeout"
    assert elapsed < 2.0
    assert len(llm.requests) == 1
    assert str(caught.value) == (
        f"The model at {llm.base_url} did not answer within 0.5 s; "
        "check that it is running or raise the timeout."
    )


async def test_cancelling_a_call_stops_the_request_and_propagates():
    with ScriptedLLM([Reply.hang(10)]) as llm:
        adapter = adapter_for(llm, timeout_s=30)
        task = asyncio.create_task(plan(adapter))
        await _until(lambda: len(llm.requests) == 1)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 1.0
        await _until(lambda: llm.hangups == 1)  # the server saw the client hang up


async def test_a_model_client_process_that_dies_mid_call_is_replaced_and_the_call_retried():
    with ScriptedLLM([Reply.hang(30), Reply.json(PLAN)]) as llm:
        adapter = adapter_for(llm, timeout_s=60)
        first = start_model_process()
        task = asyncio.create_task(plan(adapter))
        await _until(lambda: len(llm.requests) == 1)
        os.kill(first.pid, signal.SIGKILL)
        assert await asyncio.wait_for(task, 60) == Plan.model_validate(PLAN)

    second = start_model_process()
    assert second.pid != first.pid and second.ready.is_set()
    assert adapter.usage[Stage.PLAN].calls == 2  # the failed call, and its retry
    assert "model client process ended unexpectedly" in (adapter.exchanges[0].error or "")


def test_a_model_client_process_whose_server_is_gone_stops_without_finishing_the_import():
    """Its input closes when the server ends (or is killed): litellm's import, seconds of
    CPU, is not finished for nobody."""
    slow_import = (  # an import that takes 30 s, so that finishing it cannot pass
        "import time\nfrom specloop.loop import llm, model_worker\n"
        "llm.import_litellm = lambda: time.sleep(30)\nmodel_worker.main()\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", slow_import, str(logging.WARNING)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert worker.stdin is not None
    time.sleep(0.5)
    worker.stdin.close()
    assert worker.wait(timeout=10) == 0


# ---------------------------------------------------------------------------- unusable answers


async def test_malformed_json_is_reasked_once_with_the_error():
    with ScriptedLLM([Reply.malformed("{not json"), Reply.json(PLAN)]) as llm:
        adapter = adapter_for(llm)
        assert await plan(adapter) == Plan.model_validate(PLAN)

    reask = llm.requests[1].messages
    assert reask[: len(MESSAGES)] == MESSAGES
    assert reask[-2] == {"role": "assistant", "content": "{not json"}
    assert reask[-1]["role"] == "user" and "not valid JSON" in reask[-1]["content"]
    assert llm.requests[1].response_format is not None
    assert (adapter.exchanges[0].error or "").startswith("malformed:")


async def test_malformed_twice_is_a_malformed_error():
    with (
        ScriptedLLM([Reply.malformed(), Reply.malformed("still {not json")]) as llm,
        pytest.raises(LLMError) as caught,
    ):
        await plan(adapter_for(llm))
    assert caught.value.kind == "malformed"
    assert len(llm.requests) == 2


async def test_schema_invalid_twice_is_a_schema_error_after_one_reask():
    wrong = {"steps": ["Do it."]}
    with (
        ScriptedLLM([Reply.json(wrong), Reply.json(wrong)]) as llm,
        pytest.raises(LLMError) as caught,
    ):
        await plan(adapter_for(llm))

    assert caught.value.kind == "schema"
    assert len(llm.requests) == 2
    reask = llm.requests[1].messages[-1]["content"]
    assert "touched_symbols: Field required" in reask
    assert "Plan schema" in str(caught.value) and "touched_symbols" in str(caught.value)


async def test_truncated_twice_is_a_truncated_error_after_asking_for_less():
    with (
        ScriptedLLM([Reply.truncated(), Reply.truncated()]) as llm,
        pytest.raises(LLMError) as caught,
    ):
        await plan(adapter_for(llm))

    assert caught.value.kind == "truncated"
    assert len(llm.requests) == 2
    assert "shorter" in llm.requests[1].messages[-1]["content"]


# ---------------------------------------------------------------------------- secrets


async def test_the_key_reaches_the_server_but_no_record_error_or_log(monkeypatch, caplog):
    monkeypatch.setenv(KEY_ENV, KEY)
    caplog.set_level(logging.DEBUG)
    replies = [
        Reply.status(500, message=f"upstream rejected key {KEY}"),
        Reply.json({**PLAN, "steps": [f"Echo {KEY}"]}),
        Reply.status(401, message=f"Incorrect API key provided: {KEY}"),
    ]
    with ScriptedLLM(replies) as llm:
        adapter = adapter_for(llm, api_key_env=KEY_ENV)
        await plan(adapter)
        with pytest.raises(LLMError) as caught:
            await plan(adapter)

    assert all(request.authorization == f"Bearer {KEY}" for request in llm.requests)
    assert caught.value.kind == "config" and len(llm.requests) == 3  # a 401 is not retried
    recorded = json.dumps([e.model_dump() for e in adapter.exchanges])
    assert "upstream rejected key" in recorded
    for text in (recorded, str(caught.value), repr(caught.value), caplog.text):
        assert KEY not in text


async def test_a_missing_key_variable_is_a_config_error_naming_it(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with ScriptedLLM([Reply.json(PLAN)]) as llm, pytest.raises(LLMError) as caught:
        await plan(adapter_for(llm, api_key_env=KEY_ENV))
    assert caught.value.kind == "config"
    assert KEY_ENV in str(caught.value)
    assert llm.requests == []


async def test_without_a_key_variable_no_ambient_key_is_sent(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ambient-should-not-leave-this-process")
    with ScriptedLLM([Reply.json(PLAN)]) as llm:
        await plan(adapter_for(llm))
    assert llm.requests[0].authorization == f"Bearer {NO_KEY}"


def test_redact_masks_the_given_secrets_and_key_shapes():
    text = "key=hunter2-long-secret auth: Bearer abc.DEF-123 other sk-proj-AbC123xyz789 ok"
    cleaned = redact(text, ["hunter2-long-secret", ""])
    assert cleaned == "key=[REDACTED] auth: [REDACTED] other [REDACTED] ok"


# ---------------------------------------------------------------------------- pure parts


def test_importing_the_adapter_does_not_import_litellm():
    probe = (
        "import sys\n"
        "import specloop.loop.llm as llm\n"
        "print('litellm' in sys.modules, llm.litellm_imported())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False", "False"]


SOCKET_SPY = """
import atexit, json, socket, sys
outside = []
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo
def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
        outside.append(str(address))
    return real_connect(self, address)
def getaddrinfo(host, *args, **kwargs):
    if host is not None and str(host) not in LOOPBACK:
        outside.append(str(host))
    return real_getaddrinfo(host, *args, **kwargs)
socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
atexit.register(lambda: sys.stderr.write("OUTSIDE " + json.dumps(outside) + "\\n"))
"""
NETWORK_PROBE = (
    SOCKET_SPY
    + """
import asyncio, logging
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from specloop.loop import llm
# litellm runs in the model client's process: spy on its sockets there too.
worker = SOCKET_SPY + "from specloop.loop.model_worker import main; main()"
llm.MODEL_PROCESS_COMMAND = [sys.executable, "-c", worker]
from specloop.loop.models import Plan, Stage
from specloop.secrets import Redactor
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.unit.test_llm_adapter import MESSAGES, PLAN
with ScriptedLLM([Reply.json(PLAN)]) as llm_server:
    adapter = llm.LLMAdapter(
        llm.ModelConfig("openai/scripted-model", api_base=llm_server.base_url), Redactor()
    )
    asyncio.run(adapter.structured(Stage.PLAN, MESSAGES, Plan))
print("CALLED", file=sys.stderr)
"""
)


def test_litellm_reaches_only_the_endpoint_and_never_writes_to_stdout():
    """Import and one call, in a fresh process with debug logging: stdout is the LSP channel."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("LITELLM")}
    probe = f"SOCKET_SPY = {SOCKET_SPY!r}\n{NETWORK_PROBE}"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CALLED" in result.stderr
    assert result.stderr.count("OUTSIDE []") == 2, result.stderr[-2000:]  # here and there
    assert result.stdout == ""


SHADOW_PROBE = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from specloop.loop.llm import LLMAdapter, ModelConfig
from specloop.loop.models import Plan, Stage
from specloop.secrets import Redactor
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.unit.test_llm_adapter import MESSAGES, PLAN
with ScriptedLLM([Reply.json(PLAN)]) as llm:
    adapter = LLMAdapter(ModelConfig("openai/scripted-model", api_base=llm.base_url), Redactor())
    print(asyncio.run(adapter.structured(Stage.PLAN, MESSAGES, Plan)).steps)
"""


def test_a_module_in_the_working_directory_cannot_stand_in_for_one_litellm_imports(
    tmp_path: Path,
):
    """specloop often runs in the user's project: its httpx.py is not litellm's httpx."""
    (tmp_path / "httpx.py").write_text("raise SystemExit('the project shadowed httpx')\n")
    result = subprocess.run(
        [sys.executable, "-c", SHADOW_PROBE, str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == str(PLAN["steps"])


def test_extract_json_reports_what_is_wrong():
    from specloop.loop.llm import _Unusable

    with pytest.raises(_Unusable) as caught:
        extract_json("{not json")
    assert caught.value.kind == "malformed"
    assert "line 1 column 2" in caught.value.detail
    assert extract_json('Prose {"a": {"b": "}"}} more') == {"a": {"b": "}"}}


def test_backoff_grows_honours_retry_after_and_is_capped():
    assert 0.5 <= backoff_delay(0, 1.0, 30.0) <= 1.0
    assert 4.0 <= backoff_delay(3, 1.0, 30.0) <= 8.0
    assert backoff_delay(0, 0.01, 30.0, retry_after_s=2.0) == 2.0
    assert backoff_delay(10, 1.0, 5.0, retry_after_s=60.0) == 5.0


# ---------------------------------------------------------------------------- helpers


async def _until(condition, timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def test_raw_newlines_inside_json_strings_are_accepted():
    from specloop.loop.llm import extract_json

    assert extract_json('{"code": "def f():\n\treturn 1"}') == {"code": "def f():\n\treturn 1"}
