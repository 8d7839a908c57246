"""Converters between specloop's domain values and lsprotocol types (the `lsp_*` edge)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from lsprotocol import types

from specloop.analysis.documents import ContentChange, Document
from specloop.analysis.symbols import Symbol, SymbolKind
from specloop.analysis.text import ColumnUnit, LineIndex, TextPoint, units_in
from specloop.defaults import SOURCE, Severity
from specloop.refactor.edits import LineEdit, split_lines

if TYPE_CHECKING:
    from specloop.analysis.findings import Finding

ANNOTATION_ID = "specloop"

_UNITS = {
    types.PositionEncodingKind.Utf8: ColumnUnit.UTF8,
    types.PositionEncodingKind.Utf16: ColumnUnit.UTF16,
    types.PositionEncodingKind.Utf32: ColumnUnit.UTF32,
}
_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}
_SYMBOL_KINDS = {
    SymbolKind.CLASS: types.SymbolKind.Class,
    SymbolKind.FUNCTION: types.SymbolKind.Function,
    SymbolKind.METHOD: types.SymbolKind.Method,
}


def column_unit(encoding: types.PositionEncodingKind | str | None) -> ColumnUnit:
    """The negotiated position encoding as a column unit (UTF-16 when unsure, as LSP says)."""
    for kind, unit in _UNITS.items():
        if encoding == kind or encoding == kind.value:
            return unit
    return ColumnUnit.UTF16


def content_change(change: types.TextDocumentContentChangeEvent) -> ContentChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        return ContentChange(
            change.text,
            TextPoint(change.range.start.line, change.range.start.character),
            TextPoint(change.range.end.line, change.range.end.character),
        )
    return ContentChange(change.text)


class Text(Protocol):
    """What positions are computed from: a document, or text not parsed yet."""

    @property
    def source(self) -> bytes: ...

    @property
    def lines(self) -> LineIndex: ...


def lsp_position(document: Text, offset: int, unit: ColumnUnit) -> types.Position:
    point = document.lines.point_of(document.source, offset, unit)
    return types.Position(line=point.line, character=point.column)


def lsp_range(document: Text, start: int, end: int, unit: ColumnUnit) -> types.Range:
    return types.Range(
        start=lsp_position(document, start, unit), end=lsp_position(document, end, unit)
    )


def lsp_document_symbols(
    document: Document, symbols: list[Symbol], unit: ColumnUnit
) -> list[types.DocumentSymbol]:
    return [
        types.DocumentSymbol(
            name=symbol.name,
            kind=_SYMBOL_KINDS[symbol.kind],
            detail=symbol.detail or None,
            range=lsp_range(document, symbol.start, symbol.end, unit),
            selection_range=lsp_range(document, symbol.name_start, symbol.name_end, unit),
            children=lsp_document_symbols(document, symbol.children, unit),
        )
        for symbol in symbols
    ]


def lsp_symbol_information(
    document: Document, symbols: list[Symbol], unit: ColumnUnit, container: str | None = None
) -> list[types.SymbolInformation]:
    """The flat form, for clients without hierarchical document symbol support."""
    flat: list[types.SymbolInformation] = []
    for symbol in symbols:
        location = types.Location(
            uri=document.uri, range=lsp_range(document, symbol.start, symbol.end, unit)
        )
        flat.append(
            types.SymbolInformation(
                name=symbol.name,
                kind=_SYMBOL_KINDS[symbol.kind],
                location=location,
                container_name=container,
            )
        )
        flat.extend(lsp_symbol_information(document, symbol.children, unit, symbol.name))
    return flat


def lsp_diagnostic(
    document: Text, finding: Finding, severity: Severity, unit: ColumnUnit
) -> types.Diagnostic:
    """``severity``: the configured one; the finding's tier may lower it (`severity_of`)."""
    # Imported here: the rest of this module is on the way to `initialize`, the analysis is not.
    from specloop.analysis.findings import CODE, documentation_uri
    from specloop.analysis.tiers import severity_of

    spec = finding.spec
    return types.Diagnostic(
        range=lsp_range(document, spec.start, spec.end, unit),
        message=finding.message,
        severity=_SEVERITIES[severity_of(finding.tier, severity)],
        code=CODE,
        code_description=types.CodeDescription(href=documentation_uri()),
        source=SOURCE,
        data=finding.data(),
    )


def lsp_text_edits(text: str, edits: Sequence[LineEdit], unit: ColumnUnit) -> list[types.TextEdit]:
    """Line edits (columns in code points, on ``text``) as TextEdits in the client's unit."""
    lines = split_lines(text)
    return [
        types.TextEdit(
            range=types.Range(
                start=_lsp_point(lines, edit.start_line, edit.start_column, unit),
                end=_lsp_point(lines, edit.end_line, edit.end_column, unit),
            ),
            new_text=edit.new_text,
        )
        for edit in edits
    ]


def _lsp_point(lines: list[str], line: int, column: int, unit: ColumnUnit) -> types.Position:
    prefix = lines[line][:column] if line < len(lines) else ""
    return types.Position(line=line, character=units_in(prefix, unit))


def lsp_workspace_edit(
    uri: str,
    version: int | None,
    edits: list[types.TextEdit],
    annotation: types.ChangeAnnotation | None,
    capabilities: types.ClientCapabilities,
) -> types.WorkspaceEdit:
    """The edit in the richest shape the client takes (as ruff server's edit.rs chooses).

    ``documentChanges`` carry the document version the edits were made for, so a client
    refuses them if the user typed since; with annotation support, the annotation (its
    label and description carry the evidence) asks the client to show the change for
    review first. Clients without ``documentChanges`` get plain ``changes``.
    """
    workspace_edit = capabilities.workspace.workspace_edit if capabilities.workspace else None
    if workspace_edit is None or not workspace_edit.document_changes:
        return types.WorkspaceEdit(changes={uri: list(edits)})
    text_edits: list[types.TextEdit | types.AnnotatedTextEdit] = list(edits)
    change_annotations = None
    if annotation is not None and workspace_edit.change_annotation_support is not None:
        text_edits = [
            types.AnnotatedTextEdit(
                range=edit.range, new_text=edit.new_text, annotation_id=ANNOTATION_ID
            )
            for edit in edits
        ]
        change_annotations = {ANNOTATION_ID: annotation}
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=version
                ),
                edits=text_edits,
            )
        ],
        change_annotations=change_annotations,
    )


def supports_change_annotations(capabilities: types.ClientCapabilities) -> bool:
    """Whether the client shows annotated changes for review (VS Code's Refactor Preview)."""
    workspace = capabilities.workspace
    edit = workspace.workspace_edit if workspace else None
    return bool(edit and edit.document_changes and edit.change_annotation_support is not None)
