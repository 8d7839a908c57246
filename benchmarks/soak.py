"""Soak: the server driven for a fixed count of loops, as a busy editor and a flaky model would.

Usage::

    .venv/bin/python -m benchmarks.soak [--loops 40] [--seed 1] [--keep-log PATH]

One ``specloop serve`` process (VS Code's recorded capabilities, through the
`tests/support/editor.py` editor) runs ``--loops`` implement loops on ``pricing.py``,
one after another, against the scripted OpenAI-compatible model
(`tests/support/scripted_llm.py`, reached through litellm) answering each request
with a random fault or a good answer: every fault kind the suite knows (HTTP 500 and
429, a hang past the timeout, a dropped connection, JSON that is not JSON, JSON of the
wrong schema, an answer cut off, code that does not parse, fails its tests or loops
forever). Some loops are cancelled mid-run (from the progress notification, or with
``$/cancelRequest``), some get a second run of the same symbol while they run, some
get their questions dismissed and their edits declined. All the while, other requests
keep coming: random edits (multi-line, non-ASCII, non-BMP, broken code) to open
documents, closes and reopens, ``codeAction`` and ``documentSymbol`` listings, and
requests the server cannot serve (invalid params, an unknown method).

Printed at the end: loops by how they ended, crashes, unanswered requests, documents
whose diagnostics and symbols differ from a fresh server's for the same text, leaked
processes and temporary folders, errors logged, peak memory of the server and its
children, and request latency while loops run (p50/p95), with the quiet figures
beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import random
import sys
import sysconfig
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from tests.support.editor import Editor
from tests.support.processes import memory_mb, processes_under, processes_with
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.stage_script import (
    AMBIGUOUS_MODULE,
    DOES_NOT_PARSE,
    EXISTING_TEST,
    LOOPS_FOREVER,
    WRONG,
    StageScript,
    candidate,
    schema_name,
)

REPO = Path(__file__).resolve().parents[1]

PROFILE = "visual-studio-code"
TODO_LINE = 6  # 0-based: the TODO of AMBIGUOUS_MODULE
SETTINGS = {"model": "openai/scripted", "timeout": 2, "checkTimeout": 3}
LISTING_DEADLINE_S = 10.0
LOOP_DEADLINE_S = 240.0

# Faults any request may meet, and those only a candidate can carry.
TRANSPORT_FAULTS = {
    "http 500": lambda: Reply.status(500),
    "http 429": lambda: Reply.status(429, retry_after=0.2),
    "hang past the timeout": lambda: Reply.hang(4),
    "connection dropped": Reply.disconnect,
    "not JSON": Reply.malformed,
    "wrong schema": lambda: Reply.json({"unexpected": 1}),
    "cut off": Reply.truncated,
}
CANDIDATE_FAULTS = {
    "code that does not parse": lambda: candidate(DOES_NOT_PARSE),
    "code that fails tests": lambda: candidate(WRONG),
    "code that loops forever": lambda: candidate(LOOPS_FOREVER),
}
UNICODE_MODULE = '''\
"""Café ☕ prices, in € and 😀 units."""

MARK = "𐌰𐌱"  # TODO: handle errors


def 𐌰𐌱(amount):  # FIXME: maybe round this?
    return amount * 2
'''
PIECES = ["x", "é", "😀", "𐌰", "\n", "    ", "# TODO: handle errors\n", "def broken(:\n",
          '"""', "(", ")", "\r\n", " maybe?", "class K:\n    pass\n"]  # fmt: skip


class FlakyModel:
    """The scripted model's responder: a fault for about half of all requests."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.good = StageScript()
        self.injected: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> Reply:
        faults = dict(TRANSPORT_FAULTS)
        if schema_name(body) == "Candidate":
            faults |= CANDIDATE_FAULTS
        if self.rng.random() < 0.5:
            name = self.rng.choice(sorted(faults))
            self.injected[name] += 1
            return faults[name]()
        self.injected["good answer"] += 1
        return self.good(body)


def latency_kinds() -> dict[str, list[float]]:
    return {"codeAction": [], "documentSymbol": [], "bad request": []}


@dataclass
class Tally:
    endings: Counter[str] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)
    unclean: list[str] = field(default_factory=list)
    busy: dict[str, list[float]] = field(default_factory=lambda: latency_kinds())
    quiet: dict[str, list[float]] = field(default_factory=lambda: latency_kinds())
    operations: Counter[str] = field(default_factory=Counter)
    loop_running: bool = False
    peak_mb: float = 0.0
    server_mb_after_loop: list[float] = field(default_factory=list)
    seen_pids: set[int] = field(default_factory=set)
    # Taken at the end.
    elapsed_s: float = 0.0
    crashed: bool = False
    differing: list[str] = field(default_factory=list)
    leaked: list[int] = field(default_factory=list)
    leftover_dirs: list[str] = field(default_factory=list)
    logged: str = ""
    records: int = 0

    def sample(self, kind: str, seconds: float) -> None:
        (self.busy if self.loop_running else self.quiet)[kind].append(seconds)


# --------------------------------------------------------------------------- the project


def prepare(root: Path) -> list[Path]:
    """pricing.py (the loop's target), its test, and documents to edit meanwhile."""
    (root / "tests").mkdir()
    (root / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    (root / "tests" / "test_pricing.py").write_text(EXISTING_TEST, encoding="utf-8")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    (root / "decimal_copy.py").write_bytes((stdlib / "_pydecimal.py").read_bytes())
    (root / "textwrap_copy.py").write_bytes((stdlib / "textwrap.py").read_bytes())
    (root / "unicode_names.py").write_text(UNICODE_MODULE, encoding="utf-8")
    return [root / "decimal_copy.py", root / "textwrap_copy.py", root / "unicode_names.py"]


# --------------------------------------------------------------------------- requests


async def timed(tally: Tally, kind: str, request: Any) -> Any:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(LISTING_DEADLINE_S):
            result = await request
    except TimeoutError:
        tally.unanswered.append(kind)
        return None
    tally.sample(kind, time.perf_counter() - started)
    return result


async def bad_request(client: LanguageClient, rng: random.Random) -> str:
    """A request the server cannot serve; it must still answer, with an error."""
    method, params = rng.choice(
        [("textDocument/documentSymbol", {}), ("specloop/noSuchMethod", {"x": 1}),
         ("textDocument/codeAction", {"textDocument": "pricing.py"})]
    )  # fmt: skip
    try:
        await send_untyped(client, method, params)
    except Exception as error:  # the error answer, raised by pygls's client
        return type(error).__name__
    return "answered without an error"


def send_untyped(client: LanguageClient, method: str, params: Any) -> asyncio.Future[Any]:
    """Send a request as plain JSON: pygls's client cannot send params of the wrong type."""
    message_id = str(uuid.uuid4())
    answered: concurrent.futures.Future[Any] = concurrent.futures.Future()
    client.protocol._request_futures[message_id] = answered
    message = {"jsonrpc": "2.0", "id": message_id, "method": method, "params": params}
    client.protocol._send_data(message)
    return asyncio.wrap_future(answered)


async def random_edit(editor: Editor, uri: str, rng: random.Random) -> None:
    text = editor.text(uri)
    start = rng.randrange(len(text) + 1)
    end = min(len(text), start + rng.choice([0, 0, 1, 5, 40, 200]))
    inserted = "".join(rng.choice(PIECES) for _ in range(rng.randrange(3)))
    editor.replace(uri, editor.position_of(uri, start), editor.position_of(uri, end), inserted)


async def keep_busy(editor: Editor, paths: list[Path], tally: Tally, rng: random.Random,
                    stop: asyncio.Event) -> None:  # fmt: skip
    """Edits, closes and reopens, listings and bad requests, until told to stop."""
    client = editor.client
    closed: list[Path] = []
    while not stop.is_set():
        open_uris = [p.as_uri() for p in paths if p.as_uri() in editor.documents]
        roll = rng.random()
        if roll < 0.45 and open_uris:
            tally.operations["edit"] += 1
            await random_edit(editor, rng.choice(open_uris), rng)
        elif roll < 0.5:
            if closed:
                tally.operations["reopen"] += 1
                editor.open(closed.pop())
            elif len(open_uris) > 1:
                tally.operations["close"] += 1
                uri = rng.choice(open_uris)
                editor.close(uri)
                closed.append(next(p for p in paths if p.as_uri() == uri))
        elif roll < 0.7 and open_uris:
            tally.operations["codeAction"] += 1
            uri = rng.choice(open_uris)
            line = rng.randrange(editor.text(uri).count("\n") + 1)
            await timed(tally, "codeAction", editor.code_actions(uri, line))
        elif roll < 0.9 and open_uris:
            tally.operations["documentSymbol"] += 1
            params = types.DocumentSymbolParams(
                text_document=types.TextDocumentIdentifier(uri=rng.choice(open_uris))
            )
            await timed(tally, "documentSymbol", client.text_document_document_symbol_async(params))
        else:
            tally.operations["bad request"] += 1
            answer = await timed(tally, "bad request", bad_request(client, rng))
            if answer == "answered without an error":
                tally.unclean.append("a request that cannot be served got a result")
        await asyncio.sleep(rng.uniform(0, 0.03))


# --------------------------------------------------------------------------- the loops


async def implement_action(editor: Editor, uri: str, tally: Tally) -> types.CodeAction | None:
    actions = await timed(tally, "codeAction", editor.code_actions(uri, TODO_LINE))
    found = [a for a in actions or [] if a.title.startswith("Implement")]
    return found[0] if found else None


async def one_loop(editor: Editor, uri: str, tally: Tally, rng: random.Random, number: int) -> None:
    client = editor.client
    editor.accept_edits = rng.random() < 0.7
    action = await implement_action(editor, uri, tally)
    if action is None or action.command is None:
        tally.unclean.append(f"loop {number}: no Implement action on the TODO")
        return
    params = types.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments
    )
    request_id = f"soak-{number}"
    tokens_before = set(client.progress_reports)
    running = asyncio.ensure_future(
        client.protocol.send_request_async(types.WORKSPACE_EXECUTE_COMMAND, params, request_id)
    )
    roll, cancelled_by_request = rng.random(), False
    if roll < 0.3:
        await asyncio.sleep(rng.uniform(0.2, 3.0))
        tokens = set(client.progress_reports) - tokens_before
        if rng.random() < 0.5 and tokens:
            tally.operations["cancel from progress"] += 1
            cancel = types.WorkDoneProgressCancelParams(token=tokens.pop())
            client.window_work_done_progress_cancel(cancel)
        else:
            tally.operations["$/cancelRequest"] += 1
            cancelled_by_request = True
            client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    elif roll < 0.45:
        await asyncio.sleep(rng.uniform(0.1, 1.0))
        tally.operations["second run of the same symbol"] += 1
        second = await timed(tally, "codeAction", client.workspace_execute_command_async(params))
        if not running.done() and (second or {}).get("status") != "refused":
            tally.unclean.append(f"loop {number}: a second run was not refused: {second}")
    try:
        async with asyncio.timeout(LOOP_DEADLINE_S):
            result = await running
    except TimeoutError:
        tally.unanswered.append(f"loop {number}")
        return
    except JsonRpcRequestCancelled:
        tally.endings["cancelled ($/cancelRequest)"] += 1
        if not cancelled_by_request:
            tally.unclean.append(f"loop {number}: RequestCancelled, but nothing cancelled it")
        result = None
    if result is not None:
        status = result.get("status", "?")
        tally.endings[status] += 1
        if status not in {"validated", "unvalidated", "error", "cancelled", "refused",
                          "needs_clarification"}:  # fmt: skip
            tally.unclean.append(f"loop {number}: unexpected answer {result}")
        if result.get("applied") and editor.text(uri) == AMBIGUOUS_MODULE:
            tally.unclean.append(f"loop {number}: said applied, the buffer did not change")
    if editor.text(uri) != AMBIGUOUS_MODULE:
        # Undo the applied change, as the user would, so the next loop has its TODO.
        end = editor.position_of(uri, len(editor.text(uri)))
        editor.replace(uri, (0, 0), end, AMBIGUOUS_MODULE)


def random_answer(rng: random.Random) -> Any:
    def answer(params: types.ShowMessageRequestParams) -> str | None:
        if not params.actions or rng.random() < 0.25:
            return None  # dismissed
        return rng.choice(params.actions).title

    return answer


# --------------------------------------------------------------------------- checks


async def watch_memory(server_pid: int, tally: Tally, stop: asyncio.Event) -> None:
    while not stop.is_set():
        family = [server_pid, *processes_under(server_pid)]
        tally.seen_pids.update(family[1:])
        tally.peak_mb = max(tally.peak_mb, sum(memory_mb(pid) for pid in family))
        await asyncio.sleep(0.2)


async def published_and_symbols(client: LanguageClient, uri: str, last: dict[str, Any]) -> Any:
    params = types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    symbols = await client.text_document_document_symbol_async(params)
    converter = client.protocol._converter
    return converter.unstructure(last.get(uri)), converter.unstructure(symbols)


def record_publishes(client: LanguageClient) -> dict[str, Any]:
    """The last diagnostics published for each document, as the editor would show them."""
    last: dict[str, Any] = {}
    features = client.protocol.fm.features
    default = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        last[params.uri] = params.diagnostics
        default(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    return last


async def start_server(root: Path, env: dict[str, str], log: Path) -> LanguageClient:
    command = [sys.executable, "-m", "specloop", "serve", "--log-file", str(log)]
    return await ClientServerConfig(server_command=command, server_env=env).start()


async def compare_with_fresh_server(
    editor: Editor, last: dict[str, Any], root: Path, env: dict[str, str]
) -> list[str]:
    """Documents whose diagnostics or symbols differ from a fresh server's for the same text."""
    await asyncio.sleep(1.0)  # let the last analyses land
    fresh_client = await start_server(root, env, root / ".fresh.log")
    try:
        fresh_last = record_publishes(fresh_client)
        fresh = await Editor.start(fresh_client, client_capabilities(PROFILE), root, SETTINGS)
        differing = []
        for uri, document in editor.documents.items():
            path = Path(uri.removeprefix("file://"))
            copy = path.with_name(".fresh-" + path.name)
            copy.write_text(document.text, encoding="utf-8", newline="")
            fresh_uri = fresh.open(copy)
            for _ in range(100):
                if fresh_uri in fresh_last:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            ours = await published_and_symbols(editor.client, uri, last)
            theirs = await published_and_symbols(fresh_client, fresh_uri, fresh_last)
            if json.dumps(ours) != json.dumps(theirs).replace(".fresh-", ""):
                differing.append(path.name)
        return differing
    finally:
        await fresh_client.shutdown_session()
        await fresh_client.stop()


# --------------------------------------------------------------------------- the run


async def soak(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="specloop-soak-") as directory:
        root = Path(directory)
        os.chmod(root, 0o755)  # the sandbox's unprivileged user must reach the project
        bulk = prepare(root)
        sandbox_tmp = root / ".tmp"
        sandbox_tmp.mkdir()
        env = {**os.environ, "SPECLOOP_RUNS_DIR": str(root / ".runs"), "TMPDIR": str(sandbox_tmp)}
        log = root / ".server.log"
        model = FlakyModel(rng)
        tally = Tally()
        started = time.perf_counter()
        with ScriptedLLM(responder=model) as scripted:
            client = await start_server(root, env, log)
            server = client._server
            assert server is not None
            last = record_publishes(client)
            settings = {**SETTINGS, "apiBase": scripted.base_url}
            editor = await Editor.start(
                client, client_capabilities(PROFILE), root, settings, answer=random_answer(rng)
            )
            uri = editor.open(root / "pricing.py")
            for path in bulk:
                editor.open(path)
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch_memory(server.pid, tally, stop))
            noise = asyncio.create_task(keep_busy(editor, bulk, tally, rng, stop))
            await asyncio.sleep(1.0)  # some quiet samples first
            for number in range(1, args.loops + 1):
                tally.loop_running = True
                await one_loop(editor, uri, tally, rng, number)
                tally.loop_running = False
                tally.server_mb_after_loop.append(memory_mb(server.pid))
                print(f"  loop {number}/{args.loops}: {dict(tally.endings)}", flush=True)
                await asyncio.sleep(rng.uniform(0.1, 0.5))
            stop.set()
            await asyncio.gather(noise, watcher)
            crashed = server.returncode is not None
            differing = [] if crashed else await compare_with_fresh_server(editor, last, root, env)
            if not crashed:
                await client.shutdown_session()
            await client.stop()
            exit_code = await server.wait()
        tally.elapsed_s = time.perf_counter() - started
        tally.crashed = crashed or exit_code != 0
        tally.differing = differing
        await asyncio.sleep(1.0)  # for the sandboxes' last processes to go
        take_stock(tally, root, log, args.keep_log)
        report(args, tally, model)


def take_stock(tally: Tally, root: Path, log: Path, keep_log: Path | None) -> None:
    """What the server left behind: processes, temporary folders, errors in its log."""
    alive = {pid for pid in tally.seen_pids if Path(f"/proc/{pid}").exists()}
    tally.leaked = sorted(alive | set(processes_with(str(root).encode())))
    tally.leftover_dirs = sorted(os.listdir(root / ".tmp"))
    tally.logged = log.read_text(errors="replace") if log.exists() else ""
    if keep_log:
        keep_log.write_text(tally.logged)
    tally.records = len(list((root / ".runs").glob("*.json")))


def logged_errors(log: str) -> Counter[str]:
    """The message before each logged traceback and the exception it ended in."""
    lines = log.splitlines()
    errors: Counter[str] = Counter()
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            ending = next((later for later in lines[index + 1 :] if not later.startswith(" ")), "")
            errors[f"{lines[index - 1][-100:] if index else ''} -> {ending[:200]}"] += 1
    return errors


def ms(samples: list[float], quantile: float) -> str:
    if not samples:
        return "-"
    ordered = sorted(samples)
    return f"{ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000:.1f}"


def report(args: argparse.Namespace, tally: Tally, model: FlakyModel) -> None:
    endings = tally.endings
    validated = endings["validated"]
    print(f"\nsoak: {args.loops} loops, seed {args.seed}, {tally.elapsed_s:.0f} s\n")
    print("loops")
    print(f"  {'validated':<44}{validated:>8}")
    failed = sum(endings.values()) - validated
    print(f"  {'failed cleanly (said why, applied nothing)':<44}{failed:>8}")
    for ending, count in sorted(endings.items()):
        print(f"    {ending:<42}{count:>8}")
    print(f"  {'run records written':<44}{tally.records:>8}")
    print("\nfaults the model injected (requests)")
    for name, count in sorted(model.injected.items()):
        print(f"  {name:<44}{count:>8}")
    print("\nother operations")
    for name, count in sorted(tally.operations.items()):
        print(f"  {name:<44}{count:>8}")
    print("\nhealth (all should be 0)")
    rows = [
        ("server crashes", int(tally.crashed)),
        ("unanswered requests", len(tally.unanswered)),
        ("answers that broke a promise", len(tally.unclean)),
        ("documents out of step with a fresh server", len(tally.differing)),
        ("leaked processes", len(tally.leaked)),
        ("leaked temporary folders", len(tally.leftover_dirs)),
        ("errors logged (tracebacks)", tally.logged.count("Traceback")),
    ]
    for label, count in rows:
        print(f"  {label:<44}{count:>8}")
    details = [*tally.unanswered, *tally.unclean, *tally.differing, *tally.leftover_dirs]
    for detail in [*details, *(f"process {pid}" for pid in tally.leaked)]:
        print(f"    {detail}")
    for error, count in logged_errors(tally.logged).most_common():
        print(f"    {count} x {error}")
    print("\nmemory (MB)")
    print(f"  {'peak RSS, the server and its sandboxes':<44}{tally.peak_mb:>8.0f}")
    after = tally.server_mb_after_loop
    for number in sorted({min(5, len(after)), len(after)} - {0}):
        print(f"  {f'the server alone, after loop {number}':<44}{after[number - 1]:>8.0f}")
    print("\nrequest latency (ms)        while loops run: p50    p95      quiet: p50    p95")
    for kind in tally.busy:
        busy, quiet = tally.busy[kind], tally.quiet[kind]
        print(f"  {kind:<24}{len(busy):>8}  {ms(busy, 0.5):>8}{ms(busy, 0.95):>7}"
              f"{len(quiet):>8}  {ms(quiet, 0.5):>8}{ms(quiet, 0.95):>7}")  # fmt: skip
    if any(count for _, count in rows):
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-log", type=Path, help="copy the server's log here")
    asyncio.run(soak(parser.parse_args()))


if __name__ == "__main__":
    main()
