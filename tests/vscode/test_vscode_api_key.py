"""The API key: set once through "specloop: Set API Key", kept out of every file and log.

The key goes into VS Code's SecretStorage and reaches the server process through its
environment, under the name `specloop.apiKeyEnv` gives; code-server itself never has it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import schema_name
from tests.vscode.conftest import OpenVSCode
from tests.vscode.harness import Review, files_containing
from tests.vscode.test_vscode_loop import (
    LOOP_TIMEOUT_S,
    QUESTION,
    assert_clean_log,
    loop_settings,
    start_implement,
)

KEY_ENV = "SPECLOOP_TEST_API_KEY"


def test_set_api_key_reaches_the_model_and_no_file_or_log(
    open_vscode: OpenVSCode, workspace: Path, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    key = "sk-specloop-test-" + secrets.token_hex(16)
    log_file = tmp_path / "server.log"
    runs = tmp_path / "runs"
    vscode = open_vscode(
        workspace,
        settings=loop_settings(scripted, log_file, **{"specloop.apiKeyEnv": KEY_ENV}),
        env={"SPECLOOP_RUNS_DIR": str(runs), KEY_ENV: None},
    )
    assert KEY_ENV not in vscode.env

    vscode.run_command("specloop: Set API Key")
    vscode.type_into_input_box(key, prompt="secret storage", password=True)

    start_implement(vscode)
    vscode.answer_notification(QUESTION, "raise ValueError", timeout_s=LOOP_TIMEOUT_S)
    Review(vscode).accept(timeout_s=LOOP_TIMEOUT_S)
    assert "raise ValueError" in vscode.editor_text()
    vscode.save()

    stages = [schema_name(request.body) for request in scripted.requests]
    assert "Candidate" in stages, stages
    assert {request.authorization for request in scripted.requests} == {f"Bearer {key}"}

    vscode.close()  # every log flushed and closed
    user_data = vscode.profile.user_data
    settings_files = [
        *user_data.glob("User/*.json"),
        *user_data.glob("User/profiles/**/*.json"),
        *user_data.glob("Machine/*.json"),
    ]
    assert settings_files, "the profile has no settings file to check"
    leaks = [path for path in settings_files if key in path.read_text(errors="replace")]
    for root in (workspace, runs, vscode.profile.logs, log_file, vscode.server_log):
        leaks += files_containing(root, key)
    assert leaks == [], f"the API key was written to {leaks}"
    assert list(runs.glob("*.json")), "the run left no record to check"
    assert_clean_log(log_file)
