"""The loop's front end in an editor: `$/progress`, `showMessageRequest`, `applyEdit`.

Questions become message requests whose buttons are the options; a dismissed question
takes its stated assumption, and the run record says so. A validated change becomes
one `workspace/applyEdit`, shaped by what the client supports:
- with change annotations (VS Code): a versioned edit whose annotation needs
  confirmation and carries the evidence, so the editor shows it for review first;
  while it is reviewed, `check_part` runs the run's checks on the part a reviewer kept
  (specloop's VS Code review: some hunks rejected), and an edit applied after a part
  passed them is reported as that part;
- without them (Neovim): the diff is shown first (as a document when the client can
  open one, else in the message) and the edit is sent only after an explicit Apply.
The editor's buffer is the truth: if the user typed while the loop ran, the edit is
moved onto the new text when the typing was elsewhere, and refused when it touched the
target — never written over the user's typing.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from specloop.analysis.documents import DocumentStore
from specloop.analysis.text import ColumnUnit
from specloop.loop import records
from specloop.loop.front_end import Offered, ProgressEvent
from specloop.loop.models import Plan, Question
from specloop.loop.snapshot import SourceSnapshot
from specloop.lsp import convert
from specloop.refactor.edits import LineEdit, minimal_edits, rebase
from specloop.secrets import Redactor

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from specloop.loop.orchestrate import PartCheck, Proposal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """Edits of one document made from ``base``, about ``lines`` (0-based, first and last)."""

    base: str
    edits: Sequence[LineEdit]
    lines: tuple[int, int]
    subject: str
    """What it changes, for messages: ```discount```, ``the TODO on line 4``."""
    what: str
    """What the change is, for messages: ``validated change``, ``clarified TODO``."""
    label: str


def _conflict(change: Change) -> Offered:
    return Offered(
        False,
        f"You edited {change.subject} while specloop worked on it, so its {change.what} was "
        "not applied: it would have overwritten your typing.",
        conflict=True,
    )


_CLOSED = "The file was closed while specloop worked on it; open it and run again."
_SEND_TRIES = 10

APPLY = "Apply"
DISCARD = "Discard"
GENERATE = "Generate"
CANCEL = "Cancel"
_DIFF_LINES_IN_MESSAGE = 60


class EditorFrontEnd:
    """One run's conversation with the editor about one document."""

    def __init__(
        self,
        server: LanguageServer,
        documents: DocumentStore,
        uri: str,
        token: str | None,
        question_timeout_s: float,
    ) -> None:
        self.server = server
        self.documents = documents
        self.uri = uri
        self.token = token
        self.question_timeout_s = question_timeout_s
        self.edit_offered = False
        """Set once the change went to the editor: from then on, its review may apply it."""
        self.offering: Proposal | None = None
        """The change the editor is reviewing now, if any."""
        self._part: str | None = None
        """The evidence of the part of it that the review checked and that validated."""

    @property
    def unit(self) -> ColumnUnit:
        return self.documents.unit

    @property
    def capabilities(self) -> types.ClientCapabilities:
        return self.server.client_capabilities

    # ------------------------------------------------------------------ progress

    def progress(self, event: ProgressEvent) -> None:
        self.report(event.line())

    def report(self, message: str) -> None:
        if self.token is not None:
            self.server.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, cancellable=True)
            )

    # ------------------------------------------------------------------ questions

    async def choose(
        self,
        message: str,
        options: Sequence[str],
        own_words: bool = False,
        kind: types.MessageType = types.MessageType.Info,
    ) -> str | None:
        """The option the user picked, or None when the message was dismissed.

        With ``own_words``, a title that is none of the options is the user's own answer
        (specloop's Neovim plugin asks for one with vim.ui.input).
        """
        self.report("Waiting for your answer")
        try:
            async with asyncio.timeout(self.question_timeout_s):
                picked = await self.server.window_show_message_request_async(
                    types.ShowMessageRequestParams(
                        type=kind,
                        message=message,
                        actions=[types.MessageActionItem(title=option) for option in options],
                    )
                )
        except TimeoutError:
            # A notification hidden in the editor's notification centre never answers.
            waited = f"{self.question_timeout_s / 60:g} minutes"
            question = message.split("\n", 1)[0]
            self.server.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"specloop had no answer after {waited} and went on as if it was "
                    f"dismissed: {question}",
                )
            )
            return None
        if picked is None:
            return None
        if picked.title in options or (own_words and picked.title.strip()):
            return picked.title.strip() if own_words else picked.title
        return None

    async def ask(self, questions: Sequence[Question]) -> list[str | None]:
        return [
            await self.choose(
                f"{question.text} ({question.dismissal()})",
                question.options,
            )
            for question in questions
        ]

    async def review_plan(self, symbol: str, plan: Plan) -> bool:
        """The plan as a document beside the code where the client can open one.

        Editors show a message request as a short notification (VS Code cuts it at a
        few lines), so the plan inside the message is only the fallback.
        """
        steps = "\n".join(f"{number}. {step}" for number, step in enumerate(plan.steps, 1))
        document = f"# specloop plans this change to `{symbol}`\n\n{steps}\n"
        _, shown = await self._open_beside(f"plan-{secrets.token_hex(4)}", ".md", document)
        if shown:
            message = f"specloop's plan for `{symbol}` is open beside your code. Generate code?"
        else:
            message = f"specloop plans this change to `{symbol}`:\n{steps}\nGenerate code from it?"
        return await self.choose(message, [GENERATE, CANCEL]) == GENERATE

    # ------------------------------------------------------------------ the change

    async def offer(self, proposal: Proposal) -> Offered:
        change = Change(
            proposal.base.text,
            proposal.edits,
            proposal.target_lines,
            f"`{proposal.spec.symbol}`",
            "validated change",
            f"specloop: implement {proposal.spec.symbol}",
        )
        if isinstance(onto := self._onto_current(change), Offered):
            return onto
        reviewed_here = not convert.supports_change_annotations(self.capabilities)
        if reviewed_here and not await self._reviewed(proposal):
            return Offered(
                False, "You discarded the change after reviewing its diff.", declined=True
            )
        annotation = types.ChangeAnnotation(
            label=f"specloop: validated change to `{proposal.spec.symbol}`"
            + (" (assumed, not answered: see details)" if proposal.assumptions else ""),
            needs_confirmation=True,
            description=proposal.description,
        )
        self.report("Waiting for you to review the change")
        self.edit_offered = True
        self.offering = proposal
        try:
            return await self.apply(change, annotation)
        finally:
            self.offering = None

    async def check_part(self, text: str) -> PartCheck:
        """The run's checks on ``text``: the document with part of the offered change in it.

        A part that validated is what the editor applies next, answering the offer with
        `applied`; the offer then says that only that part was applied, and its evidence.
        """
        from specloop.loop.orchestrate import PartCheck, check_part

        proposal = self.offering
        if proposal is None:
            return PartCheck(False, "not validated: specloop is not offering a change here now")
        self.report("Checking the part of the change you kept")
        checked = await check_part(proposal, text)
        self._part = checked.evidence if checked.validated else None
        self.report("Waiting for you to review the change")
        return checked

    async def rewrite(self, base: SourceSnapshot, new_text: str, lines: tuple[int, int]) -> Offered:
        """A clarified TODO: applied as it is (the user just chose its words), versioned."""
        change = Change(
            base.text,
            minimal_edits(base.text, new_text),
            lines,
            f"the TODO on line {lines[0] + 1}",
            "clarified TODO",
            "specloop: clarify TODO",
        )
        annotation = types.ChangeAnnotation(label=change.label, needs_confirmation=False)
        return await self.apply(change, annotation)

    async def apply(self, change: Change, annotation: types.ChangeAnnotation) -> Offered:
        """Send ``change`` as one versioned edit of the document as it is now.

        The one way a run's change reaches the buffer. When the editor refuses it because
        the document moved on meanwhile (another run's edit landed, the user typed), it
        is moved onto the new text and sent again; only a change to its own lines, or a
        refusal with the document unchanged, ends it unapplied — with the reason.
        """
        for _ in range(_SEND_TRIES):
            edits = self._onto_current(change)
            if isinstance(edits, Offered):
                return edits
            current = self.documents.get(self.uri)
            assert current is not None  # _onto_current checked it is open
            edit = convert.lsp_workspace_edit(
                self.uri,
                current.version,
                convert.lsp_text_edits(current.text, edits, self.unit),
                annotation,
                self.capabilities,
            )
            self._part = None
            result = await self.server.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=edit, label=change.label)
            )
            if result.applied:
                return Offered(True, part=self._part)
            now = self.documents.get(self.uri)
            if now is None or now.version == current.version:
                break
            log.info("%s: the document moved on (version %s -> %s); sending the edit again",
                     change.label, current.version, now.version)  # fmt: skip
        reason = result.failure_reason or (
            "the editor did not apply it (it was declined in review, or the file changed)"
        )
        return Offered(False, f"The change was not applied: {reason}.")

    def _onto_current(self, change: Change) -> list[LineEdit] | Offered:
        """The change's edits for the document as it is now, or why they cannot be."""
        current = self.documents.get(self.uri)
        if current is None:
            return Offered(False, _CLOSED)
        edits = rebase(change.base, current.text, change.edits, change.lines)
        return _conflict(change) if edits is None else edits

    async def _reviewed(self, proposal: Proposal) -> bool:
        """Diff first, for clients that apply edits without showing them: Apply or Discard."""
        path, shown = await self._open_beside(
            proposal.run_id, ".diff", proposal.diff, proposal.redactor
        )
        intro = f"specloop {proposal.description} for `{proposal.spec.symbol}`."
        if shown:
            message = f"{intro} Its diff is open beside your code. Apply it?"
        else:
            message = f"{intro}\n{_excerpt(proposal.diff, path)}\nApply it?"
        return await self.choose(message, [APPLY, DISCARD]) == APPLY

    async def _open_beside(
        self, name: str, suffix: str, text: str, redactor: Redactor | None = None
    ) -> tuple[Path, bool]:
        """Save a view of the run and open it beside the code, without taking focus."""
        return await self._save_and_open(name, suffix, text, redactor, take_focus=False)

    async def _save_and_open(
        self, name: str, suffix: str, text: str, redactor: Redactor | None, take_focus: bool
    ) -> tuple[Path, bool]:
        """Save a view of the run (redacted); open it where the client can. Whether it opened."""
        path = records.save_document(name, suffix, text, redactor)
        if not self._can_show_documents():
            return path, False
        result = await self.server.window_show_document_async(
            types.ShowDocumentParams(uri=path.as_uri(), take_focus=take_focus)
        )
        return path, result.success

    def _can_show_documents(self) -> bool:
        window = self.capabilities.window
        return bool(window and window.show_document and window.show_document.support)

    async def show_document(self, run_id: str, suffix: str, text: str, redactor: Redactor) -> str:
        """Save a view of the run and open it if the client can; where it is, as a sentence."""
        path, shown = await self._save_and_open(run_id, suffix, text, redactor, take_focus=True)
        return f"The report is open ({path})." if shown else f"The report is in {path}."


def _excerpt(diff: str, path: object) -> str:
    lines = diff.splitlines()
    if len(lines) <= _DIFF_LINES_IN_MESSAGE:
        return diff.rstrip("\n")
    shown = "\n".join(lines[:_DIFF_LINES_IN_MESSAGE])
    return f"{shown}\n… ({len(lines) - _DIFF_LINES_IN_MESSAGE} more lines in {path})"
