"""The loop in the editor, measured: start-up, listing code actions, staying responsive, the loop.

Usage::

    .venv/bin/python -m benchmarks.editor_loop [--runs 10] [--file PATH] [--before SERVER_DIR]

Printed side by side, from one run of this script (``--before``: the same rows for
specloop from another checkout's ``server/`` folder, e.g. a worktree of the last
commit before a change, measured in the same run on the same machine):

0. ``initialize``: spawn to the ``initialize`` answer (process start-up included), median
   of ``--runs`` fresh processes: specloop next to ruff server and jedi-language-server.
   Target for specloop: <= 350 ms. Beside it, spawn to the first diagnostics of a file
   with a TODO (``initialized``, ``didOpen`` and a pull sent at once): what specloop
   defers past ``initialize`` is paid here, so this column shows it was not just moved.
1. ``codeAction`` listing latency on ``_pydecimal.py`` (6,400 lines, a TODO injected in
   the middle), at ``--runs`` lines spread over the file, each server a fresh process
   on the same file. Target for specloop: < 50 ms median.
2. ``documentSymbol`` latency on ``_pydecimal.py`` with no loop running; while
   specloop's loop runs again and again on another file of the workspace (questions
   answered, edits declined, so every run does the full work); and during the *first*
   loop of a fresh server (litellm not yet imported: the code actions that start
   warming it and the first Implement come at once). Targets: < 50 ms median while
   loops run, p95 < 100 ms during the first loop.
3. The loop's own overhead, with an instant scripted model (the OpenAI-compatible
   server of ``tests/support/scripted_llm.py``, reached through litellm): the time of
   one whole run — clarify, plan, spec tests, generate, validation in the sandbox — in a
   warm server (``workspace/executeCommand`` to its answer, median of ``--runs``), the
   same inside a large tree (the project with >= 2,500 more Python files beside it:
   the standard library's and this environment's packages; a server for each, their
   runs taken in turn so that both see the same drift of the machine's speed), and
   from the command line, cold (``specloop implement --json`` in a fresh process,
   litellm's import included). Targets: warm < 3 s, the large tree within 10% of it, CLI cold < 6 s.
   One more row, with no target: the warm run when the model takes ``MODEL_LATENCY_S``
   to write each candidate, as a remote model does: after the first, the samples are
   written side by side, so three cost about two calls' time, not three.

The clients speak with the recorded capabilities of VS Code (pytest-lsp's profile).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from tests.support.editor import Editor
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.stage_script import AMBIGUOUS_MODULE, EXISTING_TEST, StageScript, schema_name

from benchmarks.lsp_latency import LspClient, initialize_params

REPO = Path(__file__).resolve().parents[1]

VENV_BIN = Path(sys.executable).parent
SERVERS = {  # the peers; specloop's command is made per checkout (``--before``)
    "ruff": [str(VENV_BIN / "ruff"), "server"],
    "jedi": [str(VENV_BIN / "jedi-language-server")],
}
PROFILE = "visual-studio-code"
TARGET_MS = 50.0
TARGET_FIRST_LOOP_P95_MS = 100.0
TARGET_INITIALIZE_MS = 350.0
TARGET_RUN_S = 3.0
TARGET_CLI_S = 6.0
TARGET_LARGE_TREE = 1.10
LARGE_TREE_FILES = 2_600


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000


def prepare(root: Path, source: Path) -> tuple[Path, Path]:
    """The benchmark file (a TODO injected in the middle) and a small project beside it."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    middle = next(
        number
        for number in range(len(lines) // 2, len(lines))
        if lines[number].startswith("    def ")
    )
    indent = "        "
    lines.insert(middle + 1, f"{indent}# TODO: handle errors\n")
    big = root / "_pydecimal.py"
    big.write_text("".join(lines), encoding="utf-8")
    (root / "tests").mkdir()
    (root / "pricing.py").write_text(AMBIGUOUS_MODULE, encoding="utf-8")
    (root / "tests" / "test_pricing.py").write_text(EXISTING_TEST, encoding="utf-8")
    return big, root / "pricing.py"


async def start_client(command: list[str], env: dict[str, str]) -> LanguageClient:
    client = await ClientServerConfig(server_command=command, server_env=env).start()
    return client


async def code_action_latency(
    command: list[str], root: Path, big: Path, lines: list[int]
) -> list[float]:
    """Raw JSON-RPC (lsp_latency's client): the same framing overhead for every server."""
    client = LspClient(command, root / ".code-actions.stderr")
    await client.start()
    try:
        params = initialize_params(root)
        params["capabilities"]["textDocument"]["codeAction"] = {
            "codeActionLiteralSupport": {
                "codeActionKind": {"valueSet": ["quickfix", "refactor", "source"]}
            }
        }
        await client.call("initialize", params, 60)
        await client.notify("initialized", {})
        uri = big.as_uri()
        text = await asyncio.to_thread(big.read_text, encoding="utf-8")
        document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        await client.notify("textDocument/didOpen", {"textDocument": document})
        samples = []
        for line in [lines[0], *lines]:
            position = {"line": line, "character": 8}
            request = {
                "textDocument": {"uri": uri},
                "range": {"start": position, "end": position},
                "context": {"diagnostics": []},
            }
            _, sent, received = await client.call("textDocument/codeAction", request, 60)
            samples.append(received - sent)
        return samples[1:]  # the first waited for the document to be read
    finally:
        await client.close(10)


async def symbols_latency(
    client: LanguageClient, uri: str, until: asyncio.Event | None, count: int
) -> list[float]:
    samples: list[float] = []
    params = types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    while len(samples) < count or (until is not None and not until.is_set()):
        started = time.perf_counter()
        await client.text_document_document_symbol_async(params)
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    return samples


async def open_editor(client: LanguageClient, root: Path, url: str) -> Editor:
    """A VS Code-like editor on ``root``, its model the scripted one at ``url``, declining
    edits (so every run does the whole work)."""
    settings = {"model": "openai/scripted", "apiBase": url, "checkTimeout": 30}
    return await Editor.start(
        client, client_capabilities(PROFILE), root, settings, accept_edits=False
    )


@dataclass
class WarmServer:
    """A server with the module open, its Implement action found and run once (litellm
    imported, the sandbox probed)."""

    client: LanguageClient
    editor: Editor
    action: Any
    big_uri: str

    @classmethod
    async def start(
        cls,
        command: list[str],
        root: Path,
        big: Path,
        module: Path,
        env: dict[str, str],
        scripted: ScriptedLLM,
        quiet: list[float] | None = None,
    ) -> WarmServer:
        """``quiet``: filled with documentSymbol samples taken before any loop runs."""
        client = await start_client(command, env)
        editor = await open_editor(client, root, scripted.base_url)
        big_uri, uri = editor.open(big), editor.open(module)
        if quiet is not None:
            quiet.extend(await symbols_latency(client, big_uri, None, 40))
        [action] = [a for a in await editor.code_actions(uri, 6) if a.title.startswith("Implement")]
        server = cls(client, editor, action, big_uri)
        await server.run()
        return server

    async def run(self, busy: list[float] | None = None) -> float:
        """One whole run's time; ``busy``: filled with documentSymbol samples taken
        while it runs."""
        done = asyncio.Event()
        sampling = None
        if busy is not None:
            sampling = asyncio.create_task(symbols_latency(self.client, self.big_uri, done, 0))
        started = time.perf_counter()
        result = await self.editor.execute(self.action)
        duration = time.perf_counter() - started
        done.set()
        if sampling is not None:
            busy.extend(await sampling)
        assert result["status"] == "validated", result
        return duration

    async def close(self) -> None:
        await self.client.shutdown_session()
        await self.client.stop()


async def warm_server(
    command: list[str],
    root: Path,
    big: Path,
    module: Path,
    env: dict[str, str],
    scripted: ScriptedLLM,
    runs: int,
) -> list[float]:
    """Warm run times."""
    server = await WarmServer.start(command, root, big, module, env, scripted)
    try:
        return [await server.run() for _ in range(runs)]
    finally:
        await server.close()


async def small_and_large(
    command: list[str],
    root: Path,
    tree: Path,
    big: Path,
    module: Path,
    env: dict[str, str],
    scripted: ScriptedLLM,
    figures: Figures,
    runs: int,
) -> None:
    """Warm runs in the small project and in the large tree, one server each, taken in
    turn: the machine's speed drifts over minutes, and both rows must see the same
    drift for their ratio to mean anything. documentSymbol samples are taken in both
    while their loops run (they load the server), and kept from the small one, with
    samples from before any loop."""
    small = await WarmServer.start(command, root, big, module, env, scripted, figures.quiet)
    try:
        large = await WarmServer.start(
            command, tree, tree / big.name, tree / module.name, env, scripted
        )
        try:
            unused: list[float] = []  # sampled as in the small one, to load both alike
            for _ in range(runs):
                figures.warm.append(await small.run(figures.busy))
                figures.large.append(await large.run(unused))
        finally:
            await large.close()
    finally:
        await small.close()


async def initialize_latency(
    command: list[str], root: Path, runs: int, document: Path | None = None
) -> tuple[list[float], list[float]]:
    """Spawn to the ``initialize`` answer, one fresh process per run; with ``document``, also
    spawn to its first diagnostics (``initialized``, ``didOpen``, then a pull at once)."""
    answered, diagnosed = [], []
    for _ in range(runs):
        client = LspClient(command, root / ".initialize.stderr")
        spawned = time.perf_counter()
        await client.start()
        try:
            _, _, received = await client.call("initialize", initialize_params(root), 60)
            answered.append(received - spawned)
            await client.notify("initialized", {})
            if document is not None:
                diagnosed.append(await _first_diagnostics(client, document) - spawned)
        finally:
            await client.close(10)
    return answered, diagnosed


async def _first_diagnostics(client: LspClient, document: Path) -> float:
    text = await asyncio.to_thread(document.read_text, encoding="utf-8")
    item = {"uri": document.as_uri(), "languageId": "python", "version": 1, "text": text}
    await client.notify("textDocument/didOpen", {"textDocument": item})
    pull = {"textDocument": {"uri": document.as_uri()}}
    report, _, received = await client.call("textDocument/diagnostic", pull, 60)
    assert report["items"], "the document's TODO was not reported"
    return received


async def first_loop(
    command: list[str], root: Path, big: Path, module: Path, env: dict[str, str], url: str
) -> tuple[list[float], float]:
    """documentSymbol samples during the first loop of a fresh server, and that run's time."""
    client = await start_client(command, env)
    try:
        editor = await open_editor(client, root, url)
        big_uri, uri = editor.open(big), editor.open(module)
        await symbols_latency(client, big_uri, None, 5)  # the file is read and parsed
        done = asyncio.Event()
        sampling = asyncio.create_task(symbols_latency(client, big_uri, done, 20))
        started = time.perf_counter()
        actions = await editor.code_actions(uri, 6)  # starts warming the model client
        [action] = [a for a in actions if a.title.startswith("Implement")]
        result = await editor.execute(action)
        duration = time.perf_counter() - started
        done.set()
        assert result["status"] == "validated", result
        return await sampling, duration
    finally:
        await client.shutdown_session()
        await client.stop()


MODEL_LATENCY_S = 1.0


class SlowCandidates(StageScript):
    """The task's script, each candidate written in `MODEL_LATENCY_S`, as a remote model would."""

    def __call__(self, body: dict[str, Any]) -> Reply:
        reply = super().__call__(body)
        if schema_name(body) == "Candidate":
            return Reply.hang(MODEL_LATENCY_S, then=reply)
        return reply


def large_tree(root: Path, small: Path) -> Path:
    """The small project beside >= LARGE_TREE_FILES more Python files (a large tree)."""
    shutil.copytree(small, root, ignore=shutil.ignore_patterns(".*"))
    sources = [Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])]
    copied = 0
    for number, source in enumerate(sources):
        for path in sorted(source.rglob("*.py")):
            if "site-packages" in path.relative_to(source).parts or copied >= LARGE_TREE_FILES:
                continue
            target = root / f"vendor{number}" / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copied += 1
    return root


def cli_command(scripted: ScriptedLLM, root: Path, python: list[str]) -> list[str]:
    return [
        *python, "-m", "specloop", "implement", "pricing.py:7",
        "--model", "openai/scripted", "--api-base", scripted.base_url,
        "--json", "--answers", str(root / "answers.json"),
    ]  # fmt: skip


def cold_cli(
    root: Path, env: dict[str, str], scripted: ScriptedLLM, runs: int, python: list[str]
) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        completed = subprocess.run(
            cli_command(scripted, root, python),
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        durations.append(time.perf_counter() - started)
        status = json.loads(completed.stdout)["status"]
        assert status == "validated", completed.stderr
    return durations


def row(label: str, *cells: str) -> None:
    print(f"  {label:<44}" + "".join(f"{cell:>14}" for cell in cells))


@dataclass
class Figures:
    """One specloop's figures (this checkout's, or the one ``--before`` names)."""

    initialize: list[float] = field(default_factory=list)
    first_diagnostics: list[float] = field(default_factory=list)
    listing: list[float] = field(default_factory=list)
    quiet: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    first_run: float = 0.0
    warm: list[float] = field(default_factory=list)
    large: list[float] = field(default_factory=list)
    slow_model: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)


async def measure(
    python: list[str],
    root: Path,
    tree: Path,
    big: Path,
    module: Path,
    env: dict[str, str],
    args: argparse.Namespace,
    lines: list[int],
) -> Figures:
    command = [*python, "-m", "specloop", "serve"]
    figures = Figures()
    figures.initialize, figures.first_diagnostics = await initialize_latency(
        command, root, args.runs, module
    )
    figures.listing = await code_action_latency(command, root, big, lines)
    with ScriptedLLM(responder=StageScript()) as scripted:
        figures.first, figures.first_run = await first_loop(
            command, root, big, module, env, scripted.base_url
        )
        await small_and_large(command, root, tree, big, module, env, scripted, figures, args.runs)
    with ScriptedLLM(responder=SlowCandidates()) as slow:
        figures.slow_model = await warm_server(
            command, root, big, module, env, slow, max(1, args.runs // 3)
        )
    with ScriptedLLM(responder=StageScript()) as scripted:
        figures.cold = cold_cli(root, env, scripted, max(1, args.runs // 3), python)
    return figures


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="specloop-bench-") as directory:
        root = Path(directory) / "project"
        root.mkdir()
        os.chmod(directory, 0o755)
        os.chmod(root, 0o755)  # the sandbox's unprivileged user must reach the project
        big, module = prepare(root, args.file)
        (root / "answers.json").write_text(json.dumps({"q1": "raise ValueError"}))
        tree = large_tree(Path(directory) / "large-tree", root)
        tree_files = sum(1 for _ in tree.rglob("*.py"))
        env = {**os.environ, "SPECLOOP_RUNS_DIR": str(Path(directory) / ".runs")}
        count = big.read_text(encoding="utf-8").count("\n")
        text_lines = big.read_text(encoding="utf-8").splitlines()
        spread = [count * (index + 1) // (args.runs + 1) for index in range(args.runs)]
        # Column 8 of a line that has one: every server can look up a name there.
        lines = [next(n for n in range(at, count) if len(text_lines[n]) > 8) for at in spread]
        print(
            f"file: {args.file} ({count} lines, a TODO injected); runs: {args.runs}; "
            f"large tree: {tree_files} Python files\n"
        )
        variants = {"specloop": [sys.executable]}
        if args.before is not None:
            before = ["env", f"PYTHONPATH={args.before.resolve()}", sys.executable]
            variants = {"specloop before": before, **variants}
        figures = {
            name: await measure(python, root, tree, big, module, env, args, lines)
            for name, python in variants.items()
        }
        peers = {
            name: (
                # jedi-language-server has no pull diagnostics: its start is timed alone.
                await initialize_latency(
                    SERVERS[name], root, args.runs, module if name == "ruff" else None
                ),
                await code_action_latency(SERVERS[name], root, big, lines),
            )
            for name in ("ruff", "jedi")
        }
        report(figures, peers)


Starts = tuple[list[float], list[float]]


def report(figures: dict[str, Figures], peers: dict[str, tuple[Starts, list[float]]]) -> None:
    print("0. start: spawn to the initialize answer, and to the first diagnostics (ms)")
    row("", "median", "p95", "diagnostics")
    starts = {name: (mine.initialize, mine.first_diagnostics) for name, mine in figures.items()}
    starts |= {name: start for name, (start, _) in peers.items()}
    for name, (answered, diagnosed) in starts.items():
        first = f"{median_ms(diagnosed):.0f}" if diagnosed else "-"
        row(name, f"{median_ms(answered):.0f}", f"{p95_ms(answered):.0f}", first)
    print("\n1. codeAction listing, median / p95 (ms)")
    row("", "median", "p95")
    for name, mine in figures.items():
        row(name, f"{median_ms(mine.listing):.1f}", f"{p95_ms(mine.listing):.1f}")
    for name, (_, listing) in peers.items():
        row(name, f"{median_ms(listing):.1f}", f"{p95_ms(listing):.1f}")
    print("\n2. documentSymbol on the file, median / p95 (ms)")
    row("", "median", "p95", "samples")
    for name, mine in figures.items():
        for label, samples in (
            ("no loop running", mine.quiet),
            ("while loops run", mine.busy),
            ("during the first loop", mine.first),
        ):
            cells = f"{median_ms(samples):.1f}", f"{p95_ms(samples):.1f}", str(len(samples))
            row(f"{name}, {label}", *cells)
    print("\n3. one whole loop run with an instant scripted model (s)")
    row("", "median", "max", "runs")
    for name, mine in figures.items():
        for label, samples in (
            ("server, warm", mine.warm),
            ("server, warm, large tree", mine.large),
            (f"server, warm, {MODEL_LATENCY_S:g} s a candidate", mine.slow_model),
            ("server, first run (fresh)", [mine.first_run]),
            ("CLI, cold", mine.cold),
        ):
            cells = f"{statistics.median(samples):.2f}", f"{max(samples):.2f}", str(len(samples))
            row(f"{name}, {label}", *cells)
    mine = figures["specloop"]
    warm, large = statistics.median(mine.warm), statistics.median(mine.large)
    print("\ntargets (this checkout)")
    verdicts = [
        ("initialize <= 350 ms median", median_ms(mine.initialize) <= TARGET_INITIALIZE_MS),
        ("codeAction listing < 50 ms median", median_ms(mine.listing) < TARGET_MS),
        ("documentSymbol while a loop runs < 50 ms median", median_ms(mine.busy) < TARGET_MS),
        (
            "documentSymbol during the first loop < 100 ms p95",
            p95_ms(mine.first) < TARGET_FIRST_LOOP_P95_MS,
        ),
        ("warm run < 3 s median, validation included", warm < TARGET_RUN_S),
        (
            f"large tree within 10% of the small project ({large / warm:.0%})",
            large <= warm * TARGET_LARGE_TREE,
        ),
        ("CLI cold < 6 s median", statistics.median(mine.cold) < TARGET_CLI_S),
    ]
    for label, met in verdicts:
        print(f"  {'met ' if met else 'MISSED'}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--file", type=Path, default=Path(sysconfig.get_paths()["stdlib"]) / "_pydecimal.py"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout's server/ folder, measured in the same run (PYTHONPATH)",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
