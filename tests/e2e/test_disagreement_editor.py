# ruff: noqa: F811 - pytest fixtures imported from test_loop_editor are parameters here
"""Samples that disagree, in the editor: the question is a message request whose buttons are
the concrete outcomes; the answer chooses the sample and becomes a doctest in the edit, and
the change annotation carries the evidence (or says what was assumed)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.test_disagreement import CLAMP, HIGH_WINS, LOW_WINS, RIGHT, script
from tests.e2e.test_loop_editor import (  # noqa: F401 - fixtures
    VSCODE,
    client,
    implement_action,
    sandbox_tmp,
    start,
)
from tests.support.scripted_llm import ScriptedLLM


def pick(title: str):
    def answer(params: types.ShowMessageRequestParams) -> str | None:
        titles = [action.title for action in params.actions or []]
        return title if title in titles else (titles[0] if titles else None)

    return answer


async def run(client: LanguageClient, project: Path, scripted: ScriptedLLM, **options):
    (project / "tasks.py").write_text(CLAMP, encoding="utf-8")
    editor = await start(client, VSCODE, project, scripted, **options)
    uri = editor.open(project / "tasks.py")
    result = await editor.execute(implement_action(await editor.code_actions(uri, 0)))
    return editor, uri, result


async def test_the_answer_in_the_editor_chooses_the_sample_and_is_written_as_an_example(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = script(LOW_WINS, RIGHT, HIGH_WINS)
    editor, uri, result = await run(client, project, scripted, answer=pick("raise ValueError"))
    assert result["status"] == "validated", client.messages
    [question] = [r for r in editor.requests if "samples disagree" in r.message]
    titles = [action.title for action in question.actions or []]
    # the concrete outcomes on one input: the right one and what each wrong sample returns
    assert len(titles) == 3 and "raise ValueError" in titles, titles
    assert sum(title.startswith("return ") for title in titles) == 2, titles
    text = editor.text(uri)
    assert "raise ValueError" in text and "# doctest: +IGNORE_EXCEPTION_DETAIL" in text
    annotation = (editor.edits[0].edit.change_annotations or {})["specloop"]
    description = annotation.description or ""
    assert "1 of 3 samples agree" in description and "1 answered" in description, description
    assert "assumed" not in annotation.label


async def test_a_dismissed_question_takes_the_majority_and_the_annotation_says_assumed(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = script(RIGHT, LOW_WINS, RIGHT)
    editor, uri, result = await run(client, project, scripted, answer=lambda params: None)
    assert result["status"] == "validated", client.messages
    annotation = (editor.edits[0].edit.change_annotations or {})["specloop"]
    assert "assumed" in annotation.label
    assert "the majority of samples" in (annotation.description or "")
    assert "doctest" not in editor.text(uri), "an assumption is not written as a spec example"


async def test_no_assume_in_the_editor_settings_abstains_and_applies_nothing(
    client: LanguageClient, project: Path, scripted: ScriptedLLM
) -> None:
    scripted.responder = script(RIGHT, LOW_WINS, RIGHT)
    editor, uri, result = await run(
        client, project, scripted, answer=lambda params: None, settings={"noAssume": True}
    )
    assert result["status"] == "needs_clarification", client.messages
    assert editor.edits == []
    assert editor.text(uri) == CLAMP
