"""The Implement action's title names what the run works on: one rule, from both ends.

The server's code action (pytest-lsp over stdio) and `specloop implement FILE:LINE`
(the CLI, whose run fails at the unreachable model only after it chose its target)
on the same line of the same file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start_session

CASES = {
    "a plain comment above a module-level function": (
        "import math\n\n# the fee for an amount\ndef fee(amount):\n    ...\n",
        3,
        "fee",
    ),
    "a column-0 TODO directly above a method": (
        "class A:\n    def f(self):\n        return 1\n"
        "# TODO: handle errors\n    def g(self):\n        pass\n",
        4,
        "A.g",
    ),
    "the first line of a two-line TODO": (
        "# TODO: charge 2% of the amount,\n#   at least 1 and at most 10\ndef fee(amount):\n"
        "    ...\n",
        1,
        "fee",
    ),
    "the tail of a function's body above the next one": (
        "def f():\n    x = 1\n    # TODO: handle y\ndef g():\n    pass\n",
        3,
        "f",
    ),
    "a line at module level": ("import math\n\nLIMIT = 3\n", 3, None),
}


def run_target(project: Path, line: int) -> str | None:
    """The target `specloop implement` works on (the model is unreachable)."""
    env = {**os.environ, "SPECLOOP_RUNS_DIR": str(project / "runs")}
    completed = subprocess.run(
        [sys.executable, "-m", "specloop", "implement", f"mod.py:{line}", "--json",
         "--model", "openai/nowhere", "--api-base", "http://127.0.0.1:9", "--max-attempts", "1"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    payload = json.loads(completed.stdout)
    return payload.get("target")


async def action_target(client: LanguageClient, uri: str, line: int) -> str | None:
    """The symbol the Implement action names at 1-based ``line``, or None without one."""
    position = types.Position(line=line - 1, character=0)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    titles = [action.title for action in actions or [] if action.title.startswith("Implement")]
    if not titles:
        return None
    [title] = titles
    return title.split("`")[1]


@pytest.mark.parametrize("case", list(CASES))
async def test_the_implement_action_names_the_target_the_run_works_on(
    bare_client: LanguageClient, tmp_path: Path, case: str
) -> None:
    client = bare_client
    await start_session(client, "visual-studio-code")
    text, line, expected = CASES[case]
    project = tmp_path / "project"
    project.mkdir()
    module = project / "mod.py"
    module.write_text(text)
    uri = module.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    assert await action_target(client, uri, line) == expected
    assert run_target(project, line) == expected
