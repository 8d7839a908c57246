"""The "Ignore this TODO" quick fix: a versioned edit that adds ``# specloop: ignore``.

Offered on every line of a reported finding. The edit is made by
`specloop.refactor.suppress` at the place `specloop.analysis.suppressions` reads, so
once applied the finding is gone from the next diagnostics. It is a code action with
the edit in it (no command, no model): a `documentChanges` edit for the document's
version, labelled, so the client refuses it if the user typed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from specloop.analysis.documents import Document
from specloop.analysis.findings import CODE, Finding
from specloop.analysis.specs import SpecKind
from specloop.analysis.suppressions import suppression_point
from specloop.defaults import SOURCE
from specloop.lsp import convert
from specloop.refactor.suppress import ignore_edit

if TYPE_CHECKING:
    from specloop.lsp.server import SpecloopServer

IGNORE_TODO_TITLE = "Ignore this TODO (# specloop: ignore)"
IGNORE_DOCSTRING_TITLE = "Ignore this docstring spec (# specloop: ignore)"


def ignore_actions(
    server: SpecloopServer, document: Document, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """One quick fix per reported finding on the requested lines."""
    if not _wants_quick_fixes(params.context.only):
        return []
    first, last = params.range.start.line, params.range.end.line
    actions = []
    for finding in server.diagnostics.reported_findings(document):
        start = document.lines.line_of(finding.spec.start)
        end = document.lines.line_of(max(finding.spec.start, finding.spec.end - 1))
        if start <= last and first <= end:
            actions.append(_action(server, document, finding, params.context.diagnostics))
    return actions


def _wants_quick_fixes(only: Sequence[types.CodeActionKind | str] | None) -> bool:
    """Whether the client asked for quick fixes (or any kind): ``only`` lists kinds or bases."""
    if not only:
        return True
    kinds = {kind.value if isinstance(kind, types.CodeActionKind) else str(kind) for kind in only}
    return bool(kinds & {types.CodeActionKind.Empty.value, types.CodeActionKind.QuickFix.value})


def _action(
    server: SpecloopServer,
    document: Document,
    finding: Finding,
    diagnostics: Sequence[types.Diagnostic],
) -> types.CodeAction:
    spec = finding.spec
    point = suppression_point(spec, document.source, document.lines, document.tree)
    edit = ignore_edit(document.text, point)
    title = IGNORE_TODO_TITLE if spec.kind is SpecKind.COMMENT else IGNORE_DOCSTRING_TITLE
    annotation = types.ChangeAnnotation(label=f"specloop: {title}", needs_confirmation=False)
    workspace_edit = convert.lsp_workspace_edit(
        document.uri,
        document.version,
        convert.lsp_text_edits(document.text, [edit], server.documents.unit),
        annotation,
        server.client_capabilities,
    )
    start = document.lines.line_of(spec.start)
    resolved = [
        diagnostic
        for diagnostic in diagnostics
        if diagnostic.source == SOURCE
        and diagnostic.code == CODE
        and diagnostic.range.start.line == start
    ]
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=resolved or None,
        edit=workspace_edit,
    )
