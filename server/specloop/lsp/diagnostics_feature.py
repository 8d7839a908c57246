"""Diagnostics in the server: what each open document shows, published when it changes.

`DiagnosticsFeature` owns the analysis of open documents for the editor: the findings a
document reports (its settings, excludes and suppressions applied, cached per version),
a first publish from the text alone before the parse, a burst of changes folded into one
analysis, large documents analysed off the event loop, and nothing published for a
version that has moved on. Clients that pull diagnostics get the same findings and no
pushes. The server loads this feature at ``initialized``, not on the way to
``initialize``: the analysis and the settings model take about 150 ms to import.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types

from specloop.analysis.documents import Document
from specloop.analysis.findings import Finding, find_specs
from specloop.analysis.quick import quick_findings
from specloop.analysis.selection import reported
from specloop.analysis.specs import may_contain_specs
from specloop.analysis.text import LineIndex, encode
from specloop.config import DiagnosticsSettings
from specloop.lsp import convert

if TYPE_CHECKING:
    from specloop.lsp.server import SpecloopServer

log = logging.getLogger(__name__)

# Typing publishes at once (analysis takes about a millisecond); a burst of changes
# (a paste, an editor's bulk edit, a script) is folded into one analysis: a change that
# follows the previous one within BURST_SECONDS waits until the burst goes quiet.
BURST_SECONDS = 0.02
# Past this size the analysis moves off the event loop so requests keep being answered.
LARGE_DOCUMENT_BYTES = 1_000_000


@dataclass(frozen=True)
class _Quick:
    """A document's text before it is parsed: enough to place diagnostics."""

    source: bytes
    lines: LineIndex


class DiagnosticsFeature:
    def __init__(self, server: SpecloopServer) -> None:
        self.server = server
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._told_skipped: set[str] = set()
        self._last_change: dict[str, float] = {}
        self._published: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}
        self._analysing: dict[str, asyncio.Lock] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        # The last reported findings of each document: code actions come with every cursor
        # move, and a document's findings change only with its version or its settings.
        self._reported: dict[str, tuple[int | None, DiagnosticsSettings, list[Finding]]] = {}

    # ------------------------------------------------------------------ documents

    def opened(self, uri: str, text: str, version: int | None) -> None:
        """A document was opened: publish from its text at once, then from its parse."""
        # Most files hold no spec at all; say so before parsing, and skip the analysis.
        source = encode(text)
        nothing_to_report = self._publish_if_nothing_to_report(uri, source, version)
        if not nothing_to_report:
            self._publish_before_parsing(uri, source, version)
        self.tell_if_skipped(self.server.documents.open(uri, text, version))
        if not nothing_to_report:
            self.schedule(uri, 0)

    def changed(self, uri: str) -> None:
        """Schedule the publish a change calls for: now, or when its burst goes quiet."""
        now = asyncio.get_running_loop().time()
        last = self._last_change.get(uri)
        self._last_change[uri] = now
        in_burst = last is not None and now - last < BURST_SECONDS
        self.schedule(uri, BURST_SECONDS if in_burst else 0)

    def closed(self, uri: str) -> None:
        """A closed document leaves nothing behind, and shows no diagnostics."""
        self._told_skipped.discard(uri)
        self._last_change.pop(uri, None)
        self._analysing.pop(uri, None)
        self._published.pop(uri, None)
        self._reported.pop(uri, None)
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        if not self.server.pulls_diagnostics:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    def tell_if_skipped(self, document: Document) -> None:
        """Say once per document that it is not analysed, and why."""
        if document.skipped is None:
            self._told_skipped.discard(document.uri)
            return
        if document.uri in self._told_skipped:
            return
        self._told_skipped.add(document.uri)
        name = document.uri.rsplit("/", 1)[-1]
        message = f"specloop does not analyse {name}: {document.skipped}."
        log.warning(message)
        self.server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=message)
        )

    # ------------------------------------------------------------------ findings

    def reported_findings(
        self, document: Document, options: DiagnosticsSettings | None = None
    ) -> list[Finding]:
        """The findings the document's diagnostics show (settings, excludes, suppressions)."""
        projects = self.server.projects
        options = options or projects.diagnostics_settings(document.uri)
        if not options.enabled or document.skipped or projects.excludes(document.uri):
            return []
        key = (document.version, options)
        cached = self._reported.get(document.uri)
        if cached is not None and document.version is not None and cached[:2] == key:
            return cached[2]
        path = projects.relative_path(document.uri)
        findings = find_specs(
            document.source, document.tree, document.lines, options.markers, path=path
        )
        shown = reported(
            findings,
            document.source,
            document.lines,
            document.tree,
            docstrings=options.docstrings,
            tiers=options.tiers,
        )
        self._reported[document.uri] = (document.version, options, shown)
        return shown

    async def for_document(self, document: Document) -> list[types.Diagnostic]:
        """The document's diagnostics; a large document's are made off the event loop."""
        # Settings are looked up here, on the event loop: a bad pyproject.toml is told from here.
        options = self.server.projects.diagnostics_settings(document.uri)
        if len(document.source) < LARGE_DOCUMENT_BYTES:
            return self._diagnostics(document, options)
        return await asyncio.to_thread(self._diagnostics, document, options)

    def _diagnostics(
        self, document: Document, options: DiagnosticsSettings
    ) -> list[types.Diagnostic]:
        return self._lsp_diagnostics(document, self.reported_findings(document, options), options)

    def _lsp_diagnostics(
        self, text: convert.Text, findings: list[Finding], options: DiagnosticsSettings
    ) -> list[types.Diagnostic]:
        unit = self.server.documents.unit
        return [convert.lsp_diagnostic(text, f, options.severity, unit) for f in findings]

    # ------------------------------------------------------------------ publishing

    def _publish_if_nothing_to_report(self, uri: str, source: bytes, version: int | None) -> bool:
        """Publish empty diagnostics at once when no spec can be in ``source``; whether it did."""
        if self.server.pulls_diagnostics:
            return False
        options = self.server.projects.diagnostics_settings(uri)
        if options.enabled and may_contain_specs(source, options.markers):
            return False
        self._publish(uri, version, [])
        return True

    def _publish_before_parsing(self, uri: str, source: bytes, version: int | None) -> None:
        """Diagnostics of the TODOs of a document just opened, before its full parse."""
        projects = self.server.projects
        options = projects.diagnostics_settings(uri)
        too_large = len(source) > self.server.documents.max_bytes
        if (
            self.server.pulls_diagnostics
            or not options.enabled
            or too_large
            or projects.excludes(uri)
        ):
            return
        quick = _Quick(source, LineIndex.of(source))
        path = projects.relative_path(uri)
        found = quick_findings(quick.source, quick.lines, options.markers, path)
        findings = reported(
            found, quick.source, quick.lines, docstrings=options.docstrings, tiers=options.tiers
        )
        self._publish(uri, version, self._lsp_diagnostics(quick, findings, options))

    def _publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        """Publish, unless exactly these diagnostics were just published for this version."""
        if self._published.get(uri) == (version, diagnostics):
            return
        self._published[uri] = (version, diagnostics)
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def schedule(self, uri: str, delay: float) -> None:
        """Publish diagnostics for ``uri`` after ``delay``, replacing any pending run."""
        if self.server.pulls_diagnostics:
            return
        pending = self._pending.pop(uri, None)
        if pending is not None and pending not in self._in_flight:
            pending.cancel()  # not started: the new run replaces it
        task = asyncio.get_running_loop().create_task(self._publish_later(uri, delay))
        self._pending[uri] = task
        task.add_done_callback(lambda done: self._forget_task(uri, done))

    def refresh_all(self) -> None:
        """Every open document's diagnostics again (settings or a project's config changed)."""
        if self.server.pulls_diagnostics:
            if self.server.client_supports("workspace.diagnostics.refresh_support"):
                self.server.workspace_diagnostic_refresh(None)
            return
        for uri in self.server.documents.uris():
            self.schedule(uri, 0)

    async def _publish_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        # One analysis of a document at a time: one moved to a thread cannot be cancelled,
        # so a newer run waits for it rather than running beside it.
        async with self._analysing.setdefault(uri, asyncio.Lock()):
            document = self.server.documents.get(uri)
            if document is None:
                return
            # Started: a newer change no longer cancels this run; its result is dropped
            # below if the document moved on, and the newer run follows.
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                diagnostics = await self.for_document(document)
            finally:
                self._in_flight.discard(task)
        latest = self.server.documents.get(uri)
        if latest is None or latest.version != document.version:
            return  # A newer version is on its way; never publish results for an old one.
        self._publish(uri, document.version, diagnostics)

    def _forget_task(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._pending.get(uri) is task:
            del self._pending[uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("Diagnostics for %s failed", uri, exc_info=task.exception())
