"""Side-by-side LSP latency and memory: specloop vs jedi-language-server vs ruff server.

Usage::

    .venv/bin/python -m benchmarks.lsp_latency [--runs N] [--file PATH]
        [--servers specloop,jedi,ruff] [--json PATH]

What it measures (per server, per run, each run in a fresh server process):

- ``initialize``: spawn -> ``initialize`` response (wall time, includes process start-up).
- ``didOpen -> documentSymbol``: ``didOpen`` of the whole file, then at once a
  ``documentSymbol`` request; time from sending ``didOpen`` to the response.
- ``documentSymbol (open document)``: the same request repeated ``--edits`` times on
  the unchanged document once it is open and parsed (median): the request alone.
- ``didChange -> documentSymbol`` ("re-parse"): a 1-character incremental
  ``didChange`` inside an identifier (a ``def`` name near the middle of the file),
  followed at once by ``documentSymbol``; time from sending ``didChange`` to the
  response. Repeated ``--edits`` times (default 20), alternating insert/delete so the
  file stays valid; the run's figure is the median.
- ``didOpen -> publishDiagnostics`` and ``didChange -> publishDiagnostics``: time
  until the first ``publishDiagnostics`` for that URI *and that version* arrives (a
  publish without a version is accepted and flagged). The change is a 1-character
  edit right after the ``#`` of a comment line containing "TODO" (else any comment)
  near the middle. Each wait gives up after ``--diag-timeout`` seconds ("none").
  The change figure is the median of ``--diag-edits`` edits (default 5), 100 ms
  apart like keystrokes (a server may fold edits that arrive back to back), each waited
  for before the next, so debouncing servers still publish every version.
- peak RSS: ``VmHWM`` from ``/proc/<pid>/status`` (summed over the server's
  descendants, if any) just before ``shutdown``.

Also in-process (no IPC): specloop's ``DocumentStore.change`` for a 1-character
insert, ``--inproc-edits`` times (default 200; each insert is undone by an untimed
delete), median and p90 -- the pure incremental re-parse; plus, to attribute the
LSP ``documentSymbol`` figures, the median of a full parse, ``module_symbols`` and the
conversion to lsprotocol types (the rest is pygls: JSON decoding, cattrs, framing).

How: one small asyncio JSON-RPC client (Content-Length framing over the server's
stdio) written here, so the measuring overhead is the same for every server. Times
are ``time.perf_counter()`` taken when a message is sent and when a reply's body has
been read (before JSON decoding). Server->client requests (``workspace/configuration``,
``client/registerCapability``, ``window/workDoneProgress/create``, ...) are answered
generically (a list of ``null`` for configuration, ``null`` otherwise) and counted.
The client advertises hierarchical document symbols, ``publishDiagnostics`` with
``versionSupport``, ``workspace.configuration``, ``positionEncodings: ["utf-16"]`` and
*no* ``textDocument.diagnostic``, so every server has to push diagnostics. Runs are
interleaved (run 1 of every server, then run 2, ...) so machine noise spreads evenly;
the table shows medians over runs. The file is copied into a fresh temporary
directory that is the workspace root, so no server walks the real directory tree.

What each server does with these settings (jedi-language-server 0.47, ruff 0.17.5):

- specloop: answers ``documentSymbol`` from its tree-sitter snapshot. It pushes its
  ambiguous-TODO diagnostics (as the client does not pull) after didOpen and didChange
  with no debounce delay (a newer change cancels a pending run), computed on the event
  loop, and published with the version only if no newer version arrived meanwhile.
- jedi-language-server: with default initializationOptions
  (``diagnostics.enable/didOpen/didChange/didSave`` all true) it publishes on open
  and change, but through a 1-second debounce (``jedi_utils.debounce(1)``), and only
  reports syntax errors; the publish carries the version. So its diagnostics figures
  are >= 1000 ms by design, and a burst of edits yields one publish for the last one.
- ruff server: no ``documentSymbolProvider`` (those rows are "n/a"). As the client
  does not advertise pull diagnostics, it pushes ``publishDiagnostics`` on open and on
  every change, with the version.

With these capabilities none of the three sent the client any request (the "notes"
section lists what each asked, should that change).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.jsonrpc import RawClient

VENV_BIN = Path(sys.executable).parent
SERVER_COMMANDS: dict[str, list[str]] = {
    "specloop": [sys.executable, "-m", "specloop", "serve"],
    "jedi": [str(VENV_BIN / "jedi-language-server")],
    "ruff": [str(VENV_BIN / "ruff"), "server"],
}
SUBJECT = "specloop"

# (key, label, unit) in table order.
METRICS: list[tuple[str, str, str]] = [
    ("initialize", "initialize", "ms"),
    ("open_symbols", "didOpen -> documentSymbol", "ms"),
    ("symbols", "documentSymbol (open document)", "ms"),
    ("change_symbols", "didChange -> documentSymbol", "ms"),
    ("open_diagnostics", "didOpen -> publishDiagnostics", "ms"),
    ("change_diagnostics", "didChange -> publishDiagnostics", "ms"),
    ("rss_mb", "peak RSS", "MB"),
]
NOT_SUPPORTED = "n/a"
TIMED_OUT = "none"
FAILED = "error"

# (label, where the figure comes from, limit); compared with "<".
TARGETS: list[tuple[str, str, float]] = [
    ("re-parse, in-process median (ms)", "inproc", 5.0),
    ("documentSymbol, open document (ms)", "symbols", 20.0),
    ("didChange -> documentSymbol (ms)", "change_symbols", 20.0),
    ("didOpen -> documentSymbol (ms)", "open_symbols", 20.0),
    ("peak RSS (MB)", "rss_mb", 80.0),
]

BREAKDOWN_REPEATS = 20
TYPING_GAP_S = 0.1
"""Pause before each edit whose diagnostics are timed: a fast typist's keystroke rate."""

Value = float | str


# --------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class Site:
    """Where the 1-character edits go: zero-based line, UTF-16 column."""

    line: int
    column: int
    text: str  # the line, for the report


@dataclass(frozen=True)
class Subject:
    path: Path
    uri: str
    text: str
    line_count: int
    identifier: Site
    comment: Site
    comment_has_todo: bool


def default_file() -> Path:
    return Path(sysconfig.get_paths()["stdlib"]) / "_pydecimal.py"


AMBIGUOUS_TODO = "# TODO: handle errors"


def load_subject(source: Path, workspace: Path, inject_todo: bool = False) -> Subject:
    copy = workspace / source.name
    shutil.copyfile(source, copy)
    text = copy.read_text(encoding="utf-8")
    lines = text.split("\n")
    if inject_todo:
        # An ambiguous TODO above the middle definition, so no server can skip the analysis.
        site = identifier_site(lines)
        indent = site.text[: len(site.text) - len(site.text.lstrip())]
        lines.insert(site.line, indent + AMBIGUOUS_TODO)
        text = "\n".join(lines)
        copy.write_text(text, encoding="utf-8")
    comment, has_todo = comment_site(lines)
    return Subject(
        path=copy,
        uri=copy.as_uri(),
        text=text,
        line_count=len(text.splitlines()),
        identifier=identifier_site(lines),
        comment=comment,
        comment_has_todo=has_todo,
    )


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def from_middle(count: int) -> list[int]:
    """Line numbers ordered by distance from the middle of the file."""
    middle = count // 2
    return sorted(range(count), key=lambda line: (abs(line - middle), line))


def identifier_site(lines: list[str]) -> Site:
    """Inside the name of the ``def``/``class`` nearest the middle (after its first char)."""
    pattern = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w+)")
    fallback = re.compile(r"^\s*([A-Za-z_]\w+)\s*=")
    for regex in (pattern, fallback):
        for number in from_middle(len(lines)):
            match = regex.match(lines[number])
            if match:
                column = utf16_len(lines[number][: match.start(1) + 1])
                return Site(number, column, lines[number])
    raise SystemExit("no identifier found to edit in the file")


def comment_site(lines: list[str]) -> tuple[Site, bool]:
    """Right after the ``#`` of the comment line nearest the middle; TODO lines first."""
    comments = [n for n in from_middle(len(lines)) if lines[n].lstrip().startswith("#")]
    if not comments:
        raise SystemExit("no comment line found to edit in the file")
    todo = [n for n in comments if "TODO" in lines[n]]
    number = (todo or comments)[0]
    column = utf16_len(lines[number][: lines[number].index("#") + 1])
    return Site(number, column, lines[number]), bool(todo)


def edit(site: Site, insert: bool) -> dict[str, Any]:
    """An incremental content change: insert "x" at ``site`` or delete it again."""
    end = site.column + (0 if insert else 1)
    return {
        "range": {
            "start": {"line": site.line, "character": site.column},
            "end": {"line": site.line, "character": end},
        },
        "text": "x" if insert else "",
    }


# --------------------------------------------------------------------------- JSON-RPC


class LspError(RuntimeError):
    pass


@dataclass
class DiagnosticsWaiter:
    uri: str
    version: int
    future: asyncio.Future[tuple[float, bool]]


class LspClient(RawClient):
    """The raw client (`tests/support/jsonrpc.py`), timing answers and diagnostics."""

    def __init__(self, command: list[str], stderr_path: Path) -> None:
        super().__init__(command, stderr_path)
        self.unversioned_diagnostics = 0
        self._waiters: list[DiagnosticsWaiter] = []

    async def call(self, method: str, params: Any, wait_s: float) -> tuple[Any, float, float]:
        """Send a request; returns (result, sent, received)."""
        try:
            reply, sent, received = await self.timed_request(method, params, wait_s)
        except TimeoutError:
            if self.returncode is not None:
                raise LspError("server closed its output") from None
            raise
        if "error" in reply:
            raise LspError(f"{method}: {reply['error']}")
        return reply.get("result"), sent, received

    def expect_diagnostics(self, uri: str, version: int) -> asyncio.Future[tuple[float, bool]]:
        """A future for the first publishDiagnostics of ``uri`` at ``version``.

        Resolves to (arrival time, whether the publish carried a version). Register it
        *before* sending the change, so a fast publish cannot be missed.
        """
        future: asyncio.Future[tuple[float, bool]] = asyncio.get_running_loop().create_future()
        self._waiters.append(DiagnosticsWaiter(uri, version, future))
        return future

    def on_notification(self, notification: dict[str, Any], received: float) -> None:
        if notification.get("method") != "textDocument/publishDiagnostics":
            return
        params = notification.get("params") or {}
        version = params.get("version")
        if version is None:
            self.unversioned_diagnostics += 1
        for waiter in list(self._waiters):
            matches = version is None or version == waiter.version
            if params.get("uri") == waiter.uri and matches and not waiter.future.done():
                waiter.future.set_result((received, version is not None))
                self._waiters.remove(waiter)


# --------------------------------------------------------------------------- memory


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of ``pid`` plus all its descendants, in MB (None if unreadable)."""
    total_kb = 0
    seen = False
    for process in _process_tree(pid):
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
        if match:
            total_kb += int(match.group(1))
            seen = True
    return total_kb / 1024 if seen else None


def _process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(_process_tree(int(child)))
    return found


# --------------------------------------------------------------------------- one run


@dataclass
class Settings:
    edits: int
    diag_edits: int
    diag_timeout: float
    timeout: float
    workspace: Path


@dataclass
class RunResult:
    values: dict[str, Value] = field(default_factory=dict)
    symbols: tuple[int, int] | None = None  # (top-level, total) in the first response
    server_requests: dict[str, int] = field(default_factory=dict)
    unversioned_diagnostics: int = 0
    error: str | None = None


def initialize_params(workspace: Path) -> dict[str, Any]:
    return {
        "processId": os.getpid(),
        "clientInfo": {"name": "specloop-lsp-latency"},
        "rootUri": workspace.as_uri(),
        "rootPath": str(workspace),
        "workspaceFolders": [{"uri": workspace.as_uri(), "name": workspace.name}],
        "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "workspace": {"configuration": True, "workspaceFolders": True},
            "textDocument": {
                "synchronization": {"dynamicRegistration": False},
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                "publishDiagnostics": {"versionSupport": True},
            },
        },
        "initializationOptions": None,
        "trace": "off",
    }


def ms(start: float, end: float) -> float:
    return (end - start) * 1000


def count_symbols(result: Any) -> tuple[int, int]:
    symbols = result or []
    total = 0
    stack = list(symbols)
    while stack:
        symbol = stack.pop()
        total += 1
        stack.extend(symbol.get("children") or [])
    return len(symbols), total


async def wait_diagnostics(
    future: asyncio.Future[tuple[float, bool]], sent: float, wait_s: float
) -> Value:
    try:
        received, _ = await asyncio.wait_for(future, wait_s)
    except TimeoutError:
        return TIMED_OUT
    return ms(sent, received)


class Session:
    """One fresh server process going through open, edits and diagnostics."""

    def __init__(self, client: LspClient, subject: Subject, settings: Settings) -> None:
        self.client = client
        self.subject = subject
        self.settings = settings
        self.version = 1
        self.capabilities: dict[str, Any] = {}
        self.result = RunResult()

    @property
    def has_symbols(self) -> bool:
        return bool(self.capabilities.get("documentSymbolProvider"))

    def _document(self) -> dict[str, Any]:
        return {"uri": self.subject.uri, "version": self.version}

    async def initialize(self, spawned: float) -> None:
        params = initialize_params(self.settings.workspace)
        reply, _, received = await self.client.call("initialize", params, self.settings.timeout)
        self.result.values["initialize"] = ms(spawned, received)
        self.capabilities = (reply or {}).get("capabilities") or {}
        sync = self.capabilities.get("textDocumentSync")
        kind = sync.get("change") if isinstance(sync, dict) else sync
        if kind != 2:
            raise LspError(f"server does not take incremental changes (textDocumentSync {sync})")
        await self.client.notify("initialized", {})

    async def symbols(self) -> tuple[Any, float]:
        params = {"textDocument": {"uri": self.subject.uri}}
        result, _, received = await self.client.call(
            "textDocument/documentSymbol", params, self.settings.timeout
        )
        return result, received

    async def open(self) -> None:
        diagnostics = self.client.expect_diagnostics(self.subject.uri, self.version)
        item = {**self._document(), "languageId": "python", "text": self.subject.text}
        sent = await self.client.notify("textDocument/didOpen", {"textDocument": item})
        if self.has_symbols:
            result, received = await self.symbols()
            self.result.values["open_symbols"] = ms(sent, received)
            self.result.symbols = count_symbols(result)
        else:
            self.result.values["open_symbols"] = NOT_SUPPORTED
        timeout = self.settings.diag_timeout
        self.result.values["open_diagnostics"] = await wait_diagnostics(diagnostics, sent, timeout)
        await self.repeat_symbols()

    async def repeat_symbols(self) -> None:
        """documentSymbol again on the unchanged, already-parsed document: the request alone."""
        if not self.has_symbols:
            self.result.values["symbols"] = NOT_SUPPORTED
            return
        samples = []
        for _ in range(self.settings.edits):
            sent = time.perf_counter()
            _, received = await self.symbols()
            samples.append(ms(sent, received))
        self.result.values["symbols"] = statistics.median(samples)

    async def change(self, site: Site, insert: bool) -> float:
        self.version += 1
        params = {"textDocument": self._document(), "contentChanges": [edit(site, insert)]}
        return await self.client.notify("textDocument/didChange", params)

    async def reparse(self) -> None:
        if not self.has_symbols:
            self.result.values["change_symbols"] = NOT_SUPPORTED
            return
        samples = []
        for index in range(self.settings.edits):
            sent = await self.change(self.subject.identifier, insert=index % 2 == 0)
            _, received = await self.symbols()
            samples.append(ms(sent, received))
        self.result.values["change_symbols"] = statistics.median(samples)

    async def change_diagnostics(self) -> None:
        samples: list[float] = []
        for index in range(self.settings.diag_edits):
            # Keystrokes, not a burst: servers may fold edits that arrive back to back
            # (specloop does, within 20 ms), which a person typing never sends.
            await asyncio.sleep(TYPING_GAP_S)
            future = self.client.expect_diagnostics(self.subject.uri, self.version + 1)
            sent = await self.change(self.subject.comment, insert=index % 2 == 0)
            value = await wait_diagnostics(future, sent, self.settings.diag_timeout)
            if isinstance(value, str):
                break  # a server that misses one edit will miss them all: don't wait again
            samples.append(value)
        value = statistics.median(samples) if samples else TIMED_OUT
        self.result.values["change_diagnostics"] = value

    async def run(self, spawned: float) -> RunResult:
        await self.initialize(spawned)
        await self.open()
        await self.reparse()
        await self.change_diagnostics()
        rss = peak_rss_mb(self.client.pid)
        self.result.values["rss_mb"] = rss if rss is not None else FAILED
        return self.result


async def measure_run(
    name: str, run: int, subject: Subject, settings: Settings, run_timeout: float
) -> RunResult:
    stderr = settings.workspace.parent / f"{name}-{run}.stderr"
    client = LspClient(SERVER_COMMANDS[name], stderr)
    session = Session(client, subject, settings)
    spawned = time.perf_counter()
    try:
        await client.start()
        result = await asyncio.wait_for(session.run(spawned), run_timeout)
    except Exception as error:  # any failure is reported, never fatal: the others still run
        result = session.result
        result.error = f"{type(error).__name__}: {error or 'no reply in time'}"
        if stderr.exists():
            tail = stderr.read_text(errors="replace").strip().splitlines()[-3:]
            if tail:
                result.error += " | stderr: " + " / ".join(tail)
    finally:
        await client.close(settings.timeout)
    result.server_requests = dict(client.server_requests)
    result.unversioned_diagnostics = client.unversioned_diagnostics
    return result


# --------------------------------------------------------------------------- in-process


def inprocess_reparse(subject: Subject, edits: int) -> dict[str, float]:
    """Median/p90 ms of specloop's DocumentStore.change for a 1-character insert."""
    from specloop.analysis.documents import ContentChange, DocumentStore
    from specloop.analysis.text import TextPoint

    store = DocumentStore()
    store.open(subject.uri, subject.text, 1)
    site = subject.identifier
    at = TextPoint(site.line, site.column)
    after = TextPoint(site.line, site.column + 1)
    samples = []
    version = 1
    for _ in range(edits):
        version += 1
        start = time.perf_counter()
        store.change(subject.uri, version, [ContentChange(text="x", start=at, end=at)])
        samples.append(ms(start, time.perf_counter()))
        version += 1
        store.change(subject.uri, version, [ContentChange(text="", start=at, end=after)])
    return {"median": statistics.median(samples), "p90": percentile(samples, 90)}


def inprocess_breakdown(subject: Subject, repeats: int) -> dict[str, float]:
    """Median ms of the steps behind specloop's documentSymbol, to attribute the LSP figure."""
    from specloop.analysis.documents import DocumentStore
    from specloop.analysis.symbols import module_symbols
    from specloop.lsp.convert import lsp_document_symbols

    store = DocumentStore()
    steps: dict[str, list[float]] = {"full parse": [], "module_symbols": [], "to lsprotocol": []}
    for _ in range(repeats):
        start = time.perf_counter()
        document = store.open(subject.uri, subject.text, 1)
        parsed = time.perf_counter()
        symbols = module_symbols(document.tree)
        found = time.perf_counter()
        lsp_document_symbols(document, symbols, store.unit)
        converted = time.perf_counter()
        steps["full parse"].append(ms(start, parsed))
        steps["module_symbols"].append(ms(parsed, found))
        steps["to lsprotocol"].append(ms(found, converted))
    return {step: statistics.median(samples) for step, samples in steps.items()}


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


# --------------------------------------------------------------------------- summary


def summarise(runs: list[RunResult], key: str) -> Value:
    """Median over the runs that produced a number; else the most telling marker."""
    values = [run.values.get(key, FAILED) for run in runs]
    numbers = [value for value in values if isinstance(value, float)]
    if numbers:
        return statistics.median(numbers)
    for marker in (NOT_SUPPORTED, TIMED_OUT):
        if marker in values:
            return marker
    return FAILED


def incomplete(runs: list[RunResult], key: str) -> bool:
    """Some runs gave a number and some did not."""
    values = [run.values.get(key) for run in runs]
    numbers = sum(isinstance(value, float) for value in values)
    return 0 < numbers < len(values)


def fmt(value: Value | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else value


def print_table(
    names: list[str], medians: dict[str, dict[str, Value]], flags: dict[str, set[str]]
) -> None:
    width = max(len(label) + len(unit) + 3 for _, label, unit in METRICS)
    print(f"{'median over runs':<{width}}" + "".join(f"{name:>12}" for name in names))
    for key, label, unit in METRICS:
        cells = []
        for name in names:
            mark = "*" if key in flags[name] else ""
            cells.append(f"{fmt(medians[name][key]) + mark:>12}")
        print(f"{f'{label} ({unit})':<{width}}" + "".join(cells))
    if any(flags.values()):
        print("  * some runs gave no number (timeout or error); median of the others")


def print_ratios(names: list[str], medians: dict[str, dict[str, Value]]) -> None:
    peers = [name for name in names if name != SUBJECT]
    if SUBJECT not in names or not peers:
        return
    width = max(len(label) + len(unit) + 3 for _, label, unit in METRICS)
    headers = [f"{SUBJECT}/{peer}" for peer in peers]
    column = max(12, *(len(header) + 2 for header in headers))
    print()
    title = "ratio (< 1: specloop better)"
    print(f"{title:<{width}}" + "".join(f"{header:>{column}}" for header in headers))
    for key, label, unit in METRICS:
        cells = [f"{ratio(medians[SUBJECT][key], medians[peer][key]):>{column}}" for peer in peers]
        print(f"{f'{label} ({unit})':<{width}}" + "".join(cells))


def ratio(mine: Value, theirs: Value) -> str:
    if isinstance(mine, float) and isinstance(theirs, float) and theirs:
        return f"{mine / theirs:.2f}x"
    return "-"


def print_targets(medians: dict[str, Value], inproc: dict[str, float] | None) -> None:
    print()
    print(f"targets for {SUBJECT}:")
    for label, source, limit in TARGETS:
        value: Value | None = inproc["median"] if source == "inproc" and inproc else None
        if source != "inproc":
            value = medians.get(source)
        verdict = ("PASS" if value < limit else "FAIL") if isinstance(value, float) else "n/a"
        extra = f"  (p90 {inproc['p90']:.2f})" if source == "inproc" and inproc else ""
        print(f"  {label:<36} {fmt(value, 2):>9} < {limit:g}  {verdict}{extra}")


def print_breakdown(breakdown: dict[str, float] | None, repeats: int) -> None:
    if not breakdown:
        return
    steps = ", ".join(f"{step} {value:.1f}" for step, value in breakdown.items())
    print(f"  in-process, ms (median of {repeats}): {steps}")


def print_notes(names: list[str], results: dict[str, list[RunResult]]) -> None:
    print()
    print("notes:")
    for name in names:
        runs = results[name]
        first_symbols = next((run.symbols for run in runs if run.symbols), None)
        requests: Counter[str] = Counter()
        for run in runs:
            requests.update(run.server_requests)
        unversioned = sum(run.unversioned_diagnostics for run in runs)
        parts = []
        if first_symbols:
            parts.append(f"documentSymbol: {first_symbols[0]} top-level/{first_symbols[1]} total")
        asked = ", ".join(f"{method} x{count}" for method, count in sorted(requests.items()))
        parts.append(f"asked the client: {asked or 'nothing'}")
        if unversioned:
            parts.append(f"{unversioned} publishDiagnostics without a version")
        print(f"  {name}: " + "; ".join(parts))
        for index, run in enumerate(runs, 1):
            if run.error:
                print(f"  {name} run {index} failed: {run.error}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per server")
    parser.add_argument("--file", type=Path, default=default_file(), help="Python file to open")
    parser.add_argument("--servers", default="specloop,jedi,ruff", help="comma-separated")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    parser.add_argument("--edits", type=int, default=20, help="didChange->symbols per run")
    parser.add_argument("--diag-edits", type=int, default=5, help="didChange->diags per run")
    parser.add_argument("--diag-timeout", type=float, default=3.0, help="seconds per wait")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--run-timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--inproc-edits", type=int, default=200)
    parser.add_argument(
        "--inject-todo",
        action="store_true",
        help=f"insert '{AMBIGUOUS_TODO}' mid-file so every open has a spec to report",
    )
    args = parser.parse_args(argv)
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in args.servers if name not in SERVER_COMMANDS]
    if unknown:
        parser.error(f"unknown servers {unknown}; choose from {sorted(SERVER_COMMANDS)}")
    return args


async def measure_all(
    args: argparse.Namespace, subject: Subject, settings: Settings, progress: Callable[[str], None]
) -> dict[str, list[RunResult]]:
    results: dict[str, list[RunResult]] = {name: [] for name in args.servers}
    for run in range(1, args.runs + 1):
        for name in args.servers:
            result = await measure_run(name, run, subject, settings, args.run_timeout)
            results[name].append(result)
            shown = ", ".join(f"{key}={fmt(value)}" for key, value in result.values.items())
            failed = f" (failed: {result.error})" if result.error else ""
            progress(f"run {run}/{args.runs} {name}: {shown}{failed}")
    return results


def write_json(
    path: Path,
    args: argparse.Namespace,
    subject: Subject,
    results: dict[str, list[RunResult]],
    medians: dict[str, dict[str, Value]],
    inproc: dict[str, float] | None,
    breakdown: dict[str, float] | None,
) -> None:
    data = {
        "file": str(args.file),
        "lines": subject.line_count,
        "runs": args.runs,
        "edits": {"identifier": vars(subject.identifier), "comment": vars(subject.comment)},
        "medians": medians,
        "inprocess_reparse_ms": inproc,
        "inprocess_breakdown_ms": breakdown,
        "servers": {
            name: [
                {
                    "values": run.values,
                    "symbols": run.symbols,
                    "server_requests": run.server_requests,
                    "unversioned_diagnostics": run.unversioned_diagnostics,
                    "error": run.error,
                }
                for run in runs
            ]
            for name, runs in results.items()
        },
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lsp-latency-") as temp:
        workspace = Path(temp) / "workspace"
        workspace.mkdir()
        subject = load_subject(args.file, workspace, args.inject_todo)
        settings = Settings(args.edits, args.diag_edits, args.diag_timeout, args.timeout, workspace)
        inproc = breakdown = None
        if SUBJECT in args.servers:
            inproc = inprocess_reparse(subject, args.inproc_edits)
            breakdown = inprocess_breakdown(subject, BREAKDOWN_REPEATS)

        def progress(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        results = asyncio.run(measure_all(args, subject, settings, progress))

    names = args.servers
    keys = [key for key, _, _ in METRICS]
    medians = {name: {key: summarise(results[name], key) for key in keys} for name in names}
    flags = {name: {key for key in keys if incomplete(results[name], key)} for name in names}
    todo = "a TODO comment" if subject.comment_has_todo else "a comment (no TODO in the file)"
    print(f"file:  {args.file}")
    print(f"lines: {subject.line_count}   runs: {args.runs} per server (fresh process each)")
    ident, comment = subject.identifier, subject.comment
    print(f"re-parse edit:    line {ident.line + 1}, in {ident.text.strip()!r}")
    print(f"diagnostics edit: line {comment.line + 1}, {todo}: {comment.text.strip()!r}")
    print()
    print_table(names, medians, flags)
    print_ratios(names, medians)
    if SUBJECT in names:
        print_targets(medians[SUBJECT], inproc)
        print_breakdown(breakdown, BREAKDOWN_REPEATS)
    print_notes(names, results)
    if args.json:
        write_json(args.json, args, subject, results, medians, inproc, breakdown)
        print(f"\nraw numbers: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
