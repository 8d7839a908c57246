"""The embedded model end to end: the real llama-cpp-python server running SmolLM2 on 127.0.0.1.

Skipped only when the optional `local` extra is not installed. One server serves the module;
the life-cycle tests start their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from specloop.loop import local_model
from specloop.loop.llm import response_format
from specloop.loop.local_model import (
    MODEL_ALIAS,
    LocalModelMissing,
    LocalModelServer,
    local_model_available,
)

needs_local_model = pytest.mark.skipif(
    not local_model_available(),
    reason="The optional `local` extra is not installed (`uv sync --extra local`), "
    "so there is no embedded model to start.",
)


class Verdict(BaseModel):
    """A small structured answer, as the loop's stages ask for."""

    answer: Literal["yes", "no"]
    language: str = Field(max_length=20)
    confidence: int


VERDICT_PROMPT = [
    {"role": "system", "content": "You answer with a JSON object."},
    {"role": "user", "content": "Is Python a programming language? Name the language too."},
]

# The request shape llama-cpp-python 0.3.36 turns into a grammar.
VERDICT_FORMAT = response_format(Verdict, "json_object")


def post(base_url: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


def process_group_alive(pgid: int) -> bool:
    """Whether any process of the group runs; a zombie waiting to be reaped does not count."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    stat = f"/proc/{pgid}/stat"
    if not os.path.exists(stat):
        return True  # Not Linux: the signal probe is all there is.
    try:
        with open(stat) as file:
            state = file.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until_gone(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while process_group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def server() -> Iterator[LocalModelServer]:
    with LocalModelServer() as running:
        yield running


@needs_local_model
def test_health_check_lists_the_model(server: LocalModelServer) -> None:
    assert server.running
    assert server.base_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(server.base_url + "/models", timeout=10) as response:
        models = json.loads(response.read())
    assert [entry["id"] for entry in models["data"]] == [MODEL_ALIAS]
    assert server.model_name == MODEL_ALIAS
    assert server.litellm_model == f"openai/{MODEL_ALIAS}"


@needs_local_model
def test_chat_completion_returns_text(server: LocalModelServer) -> None:
    body = post(
        server.base_url,
        "/chat/completions",
        {
            "model": server.model_name,
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 24,
            "temperature": 0,
        },
    )
    text = body["choices"][0]["message"]["content"]
    assert isinstance(text, str)
    assert text.strip()
    assert body["usage"]["completion_tokens"] > 0


@needs_local_model
def test_schema_constrained_completion_validates(server: LocalModelServer) -> None:
    body = post(
        server.base_url,
        "/chat/completions",
        {
            "model": server.model_name,
            "messages": VERDICT_PROMPT,
            "response_format": VERDICT_FORMAT,
            "max_tokens": 80,
            "temperature": 0,
        },
    )
    Verdict.model_validate_json(body["choices"][0]["message"]["content"])


@needs_local_model
async def test_schema_constrained_completion_through_litellm(server: LocalModelServer) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    response = await litellm.acompletion(
        model=server.litellm_model,
        api_base=server.base_url,
        api_key="none",
        messages=VERDICT_PROMPT,
        response_format=VERDICT_FORMAT,
        max_tokens=80,
        temperature=0,
    )
    Verdict.model_validate_json(response.choices[0].message.content)


@needs_local_model
async def test_stop_leaves_no_process_behind() -> None:
    async with LocalModelServer() as running:
        pid = running.pid
        assert pid is not None
        assert process_group_alive(pid)
        log_path = running.log_path
        assert log_path is not None
        assert log_path.is_file()
    assert not running.running
    assert not process_group_alive(pid)
    assert not log_path.exists()


@needs_local_model
def test_server_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A parent killed outright (no atexit) still takes the server down with it."""
    pid_file = tmp_path / "server.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import pathlib, time
                from specloop.loop.local_model import LocalModelServer
                server = LocalModelServer(log_dir=pathlib.Path({str(tmp_path)!r})).start()
                pathlib.Path({str(pid_file)!r}).write_text(str(server.pid))
                time.sleep(600)
                """
            ),
        ]
    )
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert parent.poll() is None, "The parent process exited before its server started."
            assert time.monotonic() < deadline, "The server did not start within 120 seconds."
            time.sleep(0.1)
        server_pid = int(pid_file.read_text())
        assert process_group_alive(server_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert wait_until_gone(server_pid), "The server outlived its killed parent."
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if pid_file.exists() and pid_file.read_text():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_model, "local_model_available", lambda: False)
    with pytest.raises(LocalModelMissing, match=r"uv sync --extra local"):
        LocalModelServer().start()
