# ruff: noqa: F811 - pytest fixtures imported from test_loop_editor are parameters here
"""Confirmation questions in the editor: when no check counts as evidence, a message request
shows one case of the code ("`largest([])` returns 0. Is that right?") with Yes, what the
code's mutants do there, and "No, something else". Yes validates it and the edit adds the
doctest; "something else" makes another attempt; dismissing it applies nothing and names
the case."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.test_confirmation import LARGEST, RIGHT, WRONG, script
from tests.e2e.test_loop_editor import (  # noqa: F401 - fixtures
    VSCODE,
    client,
    implement_action,
    sandbox_tmp,
    start,
)
from tests.support.scripted_llm import ScriptedLLM


def replies(*titles: str | None):
    """Answers confirmation questions in turn; other requests (the diff review) get Apply."""
    queue = list(titles)

    def answer(params: types.ShowMessageRequestParams) -> str | None:
        offered = [action.title for action in params.actions or []]
        if "Is that right?" not in params.message:
            return offered[0] if offered else None
        title = queue.pop(0) if queue else "Yes"
        return title if title in offered else None

    return answer


async def run(client: LanguageClient, project: Path, scripted: ScriptedLLM, answer):
    (project / "tasks.py").write_text(LARGEST, encoding="utf-8")
    editor = await start(client, VSCODE, project, scripted, answer=answer, settings={"samples": 1})
    uri = editor.open(project / "tasks.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 0)))
    return editor, uri, result


def confirmations(editor) -> list[types.ShowMessageRequestParams]:
    return [r for r in editor.requests if "Is that right?" in r.message]


async def test_yes_in_the_editor_validates_and_the_edit_adds_the_doctest(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = script(RIGHT)
    editor, uri, result = await run(client, project, scripted, replies("Yes", "Yes", "Yes"))
    assert result["status"] == "validated", client.messages
    asked = confirmations(editor)
    assert asked, editor.requests
    titles = [action.title for action in asked[0].actions or []]
    assert titles[0] == "Yes" and titles[-1] == "No, something else", titles
    assert "the change stays not validated" in asked[0].message
    call = asked[0].message.split("`")[1]
    text = editor.text(uri)
    assert f">>> {call}" in text and "return max(items)" in text
    annotation = (editor.edits[0].edit.change_annotations or {})["specloop"]
    description = annotation.description or ""
    assert "spec example" in description and f"confirmed by you: `{call}`" in description, (
        description
    )


async def test_something_else_in_the_editor_makes_another_attempt(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = script(WRONG, RIGHT)
    editor, uri, result = await run(
        client, project, scripted, replies("No, something else", "Yes", "Yes")
    )
    assert result["status"] == "validated", client.messages
    assert len(confirmations(editor)) >= 2
    assert "return 0" in editor.text(uri) and "return -1" not in editor.text(uri)


async def test_a_dismissed_confirmation_in_the_editor_applies_nothing_and_names_the_case(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = script(RIGHT)
    editor, uri, result = await run(client, project, scripted, replies(None))
    assert result["status"] == "unvalidated", client.messages
    assert editor.edits == [] and editor.text(uri) == LARGEST
    (asked,) = confirmations(editor)
    call = asked.message.split("`")[1]
    said = " ".join(str(message.message) for message in client.messages)
    assert f"`{call}`" in said and "not confirmed" in said, said
