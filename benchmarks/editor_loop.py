"""The loop in the editor, measured: listing code actions, staying responsive, the loop's overhead.

Usage::

    .venv/bin/python -m benchmarks.editor_loop [--runs 10] [--file PATH]

Printed side by side, from one run of this script:

1. ``codeAction`` listing latency on ``_pydecimal.py`` (6,400 lines, a TODO injected in
   the middle), at ``--runs`` lines spread over the file: specloop next to ruff server
   and jedi-language-server, each a fresh process on the same file. Target for
   specloop: < 50 ms median.
2. ``documentSymbol`` latency on ``_pydecimal.py`` with no loop running, then while
   specloop's loop runs again and again on another file of the workspace (questions
   answered, edits declined, so every run does the full work). Target: < 50 ms median
   while a loop runs.
3. The loop's own overhead, with an instant scripted model (the OpenAI-compatible
   server of ``tests/support/scripted_llm.py``, reached through litellm): the time of
   one whole run — clarify, plan, spec tests, generate, validation in the sandbox — in a
   warm server (``workspace/executeCommand`` to its answer, median of ``--runs``), and
   from the command line, cold (``specloop implement --json`` in a fresh process,
   litellm's import included). Target: < 3 s per warm run, validation included.

The clients speak with the recorded capabilities of VS Code (pytest-lsp's profile).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from tests.support.editor import Editor
from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import AMBIGUOUS_MODULE, EXISTING_TEST, StageScript

from benchmarks.lsp_latency import LspClient, initialize_params

REPO = Path(__file__).resolve().parents[1]

VENV_BIN = Path(sys.executable).parent
SERVERS = {
    "specloop": [sys.executable, "-m", "specloop", "serve"],
    "ruff": [str(VENV_BIN / "ruff"), "server"],
    "jedi": [str(VENV_BIN / "jedi-language-server")],
}
PROFILE = "visual-studio-code"
TARGET_MS = 50.0
TARGET_RUN_S = 3.0


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


async def code_action_latency(name: str, root: Path, big: Path, lines: list[int]) -> list[float]:
    """Raw JSON-RPC (lsp_latency's client): the same framing overhead for every server."""
    client = LspClient(SERVERS[name], root / f".{name}.stderr")
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


async def warm_server(
    root: Path, big: Path, module: Path, env: dict[str, str], scripted: ScriptedLLM, runs: int
) -> tuple[list[float], list[float], list[float]]:
    """Quiet documentSymbol samples, samples while loops run, and warm run times."""
    client = await start_client(SERVERS["specloop"], env)
    try:
        settings = {"model": "openai/scripted", "apiBase": scripted.base_url, "checkTimeout": 30}
        editor = await Editor.start(
            client, client_capabilities(PROFILE), root, settings, accept_edits=False
        )
        big_uri, uri = editor.open(big), editor.open(module)
        quiet = await symbols_latency(client, big_uri, None, 40)
        [action] = [a for a in await editor.code_actions(uri, 6) if a.title.startswith("Implement")]
        await editor.execute(action)  # warm: litellm imported, sandbox probed
        done = asyncio.Event()
        sampling = asyncio.create_task(symbols_latency(client, big_uri, done, 40))
        durations = []
        for _ in range(runs):
            started = time.perf_counter()
            result = await editor.execute(action)
            durations.append(time.perf_counter() - started)
            assert result["status"] == "validated", result
        done.set()
        busy = await sampling
        return quiet, busy, durations
    finally:
        await client.shutdown_session()
        await client.stop()


def cli_command(scripted: ScriptedLLM, root: Path) -> list[str]:
    return [
        sys.executable, "-m", "specloop", "implement", "pricing.py:7",
        "--model", "openai/scripted", "--api-base", scripted.base_url,
        "--json", "--answers", str(root / "answers.json"),
    ]  # fmt: skip


def cold_cli(root: Path, env: dict[str, str], scripted: ScriptedLLM, runs: int) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        completed = subprocess.run(
            cli_command(scripted, root),
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


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="specloop-bench-") as directory:
        root = Path(directory)
        os.chmod(root, 0o755)  # the sandbox's unprivileged user must reach the project
        big, module = prepare(root, args.file)
        (root / "answers.json").write_text(json.dumps({"q1": "raise ValueError"}))
        env = {**os.environ, "SPECLOOP_RUNS_DIR": str(root / ".runs")}
        count = big.read_text(encoding="utf-8").count("\n")
        text_lines = big.read_text(encoding="utf-8").splitlines()
        spread = [count * (index + 1) // (args.runs + 1) for index in range(args.runs)]
        # Column 8 of a line that has one: every server can look up a name there.
        lines = [next(n for n in range(at, count) if len(text_lines[n]) > 8) for at in spread]

        print(f"file: {args.file} ({count} lines, a TODO injected); runs: {args.runs}\n")
        print("1. codeAction listing, median / p95 (ms)")
        row("", "median", "p95")
        listing: dict[str, list[float]] = {}
        for name in SERVERS:
            listing[name] = await code_action_latency(name, root, big, lines)
            row(name, f"{median_ms(listing[name]):.1f}", f"{p95_ms(listing[name]):.1f}")

        with ScriptedLLM(responder=StageScript()) as scripted:
            quiet, busy, warm = await warm_server(root, big, module, env, scripted, args.runs)
            cold = cold_cli(root, env, scripted, max(1, args.runs // 3))
        print("\n2. documentSymbol on the file, median / p95 (ms)")
        row("", "median", "p95", "samples")
        row(
            "specloop, no loop running",
            f"{median_ms(quiet):.1f}",
            f"{p95_ms(quiet):.1f}",
            str(len(quiet)),
        )
        row(
            "specloop, while loops run",
            f"{median_ms(busy):.1f}",
            f"{p95_ms(busy):.1f}",
            str(len(busy)),
        )
        print("\n3. one whole loop run with an instant scripted model (s)")
        row("", "median", "max", "runs")
        row(
            "server, warm (executeCommand)",
            f"{statistics.median(warm):.2f}",
            f"{max(warm):.2f}",
            str(len(warm)),
        )
        row(
            "CLI, cold (specloop implement)",
            f"{statistics.median(cold):.2f}",
            f"{max(cold):.2f}",
            str(len(cold)),
        )
        print("\ntargets")
        verdicts = [
            ("codeAction listing < 50 ms median", median_ms(listing["specloop"]) < TARGET_MS),
            ("documentSymbol while a loop runs < 50 ms median", median_ms(busy) < TARGET_MS),
            ("warm run < 3 s median, validation included", statistics.median(warm) < TARGET_RUN_S),
        ]
        for label, met in verdicts:
            print(f"  {'met ' if met else 'MISSED'}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--file", type=Path, default=Path(sysconfig.get_paths()["stdlib"]) / "_pydecimal.py"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
