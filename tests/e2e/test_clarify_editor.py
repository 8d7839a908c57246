"""Clarify with a model, end to end: the run's redactor, its record, its one way to the buffer.

The real server over stdio (VS Code's capabilities), the scripted model over HTTP
through litellm, a project with a secret in `.env` and a secret-looking variable in
the server's environment whose value appears in the function.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support.editor import Editor
from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import AMBIGUOUS_MODULE, TODO_LINE, StageScript, schema_name

ENV_SECRET = "stg-9f8e7d6c5b4a39281706"
FILE_SECRET = "sk-proj-clarifyTESTkey0123456789"
MODULE = AMBIGUOUS_MODULE.replace(
    "    ...\n", f'    staging = "{ENV_SECRET}"  # used by the staging checks\n    ...\n'
)


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[LanguageClient]:
    env = {
        **os.environ,
        "SPECLOOP_RUNS_DIR": str(tmp_path / "runs"),
        "STAGING_API_TOKEN": ENV_SECRET,
    }
    command = [sys.executable, "-m", "specloop", "serve"]
    client = await ClientServerConfig(server_command=command, server_env=env).start()
    yield client
    await client.shutdown_session()
    await client.stop()


async def clarify_with_the_model(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, accept: bool
) -> tuple[Editor, str, dict[str, object]]:
    (project / "pricing.py").write_text(MODULE, encoding="utf-8")
    (project / ".env").write_text(f"OPENAI_API_KEY={FILE_SECRET}\n")
    scripted.responder = StageScript()
    settings = {"model": "openai/scripted", "apiBase": scripted.base_url, "timeout": 30}
    editor = await Editor.start(
        client, client_capabilities("visual-studio-code"), project, settings
    )
    editor.accept_edits = accept
    uri = editor.open(project / "pricing.py")
    actions = await editor.code_actions(uri, TODO_LINE - 1)
    clarify = next(action for action in actions if action.title == "Clarify this TODO")
    result = await editor.execute(clarify, within_s=60)
    return editor, uri, result


async def test_clarify_asks_the_model_s_questions_with_secrets_masked_and_records_the_run(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    editor, uri, result = await clarify_with_the_model(client, project, scripted, accept=True)
    assert result["status"] == "applied", result
    assert [schema_name(request.body) for request in scripted.requests] == ["Clarification"]
    sent = json.dumps([request.body for request in scripted.requests])
    assert ENV_SECRET not in sent and FILE_SECRET not in sent
    assert "[REDACTED]" in sent, "the function's secret was in the context, masked"
    # The model's question came first, then the rule's (which errors, for `total`).
    assert "negative total" in editor.requests[0].message
    assert ENV_SECRET in editor.text(uri), "the code around the TODO is the user's, untouched"
    record_file = tmp_path / "runs" / f"{result['run_id']}.json"
    record = json.loads(record_file.read_text())
    assert record["status"] == "clarified"
    assert record["spec"]["symbol"] == "discount"
    assert record["clarification"]["questions"][0]["id"] == "q1"
    assert record["answers"][0]["answer"] == "raise ValueError"
    assert record["applied"] is True
    assert ENV_SECRET not in record_file.read_text()


async def test_clarify_says_so_when_the_editor_refuses_the_edit(
    client: LanguageClient, project: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    editor, uri, result = await clarify_with_the_model(client, project, scripted, accept=False)
    assert result["status"] == "not applied", result
    assert editor.text(uri) == MODULE
    for _ in range(50):
        if any("not applied" in message.message for message in client.messages):
            break
        await asyncio.sleep(0.1)
    [told] = [message for message in client.messages if "not applied" in message.message]
    assert told.type == types.MessageType.Warning
    assert "declined" in told.message
    record = json.loads((tmp_path / "runs" / f"{result['run_id']}.json").read_text())
    assert record["applied"] is False and record["status"] == "cancelled"
    assert "declined" in record["not_applied_reason"]
