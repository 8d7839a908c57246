"""The loop on a real project with a dependency: its own venv, its own tests, and a peer run.

Usage::

    .venv/bin/python -m benchmarks.real_project

What it does, from one command:

1. Downloads the pinned sdist of ftfy (pure Python; depends on wcwidth; ships its tests
   and a pytest.ini) into ``benchmarks/.cache/`` with pip, and unpacks it in a temp folder.
2. Builds the project's own ``.venv`` with uv (wcwidth and pytest, pinned): nothing of
   the project is installed, as in a fresh checkout.
3. Empties ``ftfy.fixes.fix_surrogates`` (its docstring, with a doctest, stays; the body
   becomes ``...``): ``tests/test_characters.py`` tests it directly.
4. Runs ``specloop implement`` on it against the scripted model of
   ``tests/support/scripted_llm.py``, whose candidate is the original function.
5. Prints the status, the Python the checks ran with, every check of the accepted
   attempt (passed, evidence, count, seconds) from the run record, and the wall time.
   Side by side, the peer run: the same run with ``--python`` set to specloop's own
   interpreter, which lacks wcwidth, and so must stop with the missing-dependency message.

Exit status 0 when the first run validated and the peer run named the missing
dependency; 1 otherwise.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.projects import make_environment
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.stage_script import StageScript, candidate

REPO = Path(__file__).resolve().parents[1]

PROJECT, VERSION = "ftfy", "6.3.1"
PACKAGES = ("wcwidth==0.2.13", "pytest==8.3.5")
"""The project's runtime dependency and its test runner (pytest.ini asks for pytest < 9)."""
FILE, SYMBOL = "ftfy/fixes.py", "fix_surrogates"
CACHE = REPO / "benchmarks" / ".cache"
MISSING = "it needs wcwidth, which is not installed"
PLAN = {
    "steps": ["Join properly paired surrogates", "Replace lone surrogates with U+FFFD"],
    "touched_symbols": [SYMBOL],
    "checks": ["a pair becomes one character", "a lone surrogate becomes U+FFFD"],
}
SPEC_TESTS = """\
from ftfy.fixes import fix_surrogates


def test_a_lone_surrogate_becomes_the_replacement_character():
    assert fix_surrogates("a" + chr(0xD800) + "b") == "a\\ufffdb"


def test_a_pair_becomes_the_character_it_encodes():
    assert fix_surrogates(chr(0xD83D) + chr(0xDCA9)) == "\\U0001F4A9"


def test_text_without_surrogates_is_unchanged():
    assert fix_surrogates("plain text") == "plain text"
"""


def sdist() -> Path:
    """The pinned sdist, downloaded once into the cache."""
    archive = CACHE / f"{PROJECT}-{VERSION}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", f"{PROJECT}=={VERSION}", "-d", str(CACHE)],
            check=True,
            timeout=300,
        )  # fmt: skip
    return archive


def unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / f"{PROJECT}-{VERSION}"


def stub(path: Path, symbol: str) -> tuple[str, int]:
    """Empty ``symbol``'s body in ``path`` (its docstring stays); its source and def line."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    node = next(
        node
        for node in ast.parse(text).body
        if isinstance(node, ast.FunctionDef) and node.name == symbol
    )
    start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    original = "".join(lines[start - 1 : node.end_lineno])
    first = node.body[1] if ast.get_docstring(node) is not None else node.body[0]
    indent = " " * first.col_offset
    lines[first.lineno - 1 : node.end_lineno] = [f"{indent}...\n"]
    path.write_text("".join(lines), encoding="utf-8")
    return original, node.lineno


def implement(
    project: Path, line: int, scripted: ScriptedLLM, runs: Path, *extra: str
) -> tuple[dict[str, Any], dict[str, Any] | None, float]:
    """One ``specloop implement --json`` run: its JSON line, its run record, its wall time."""
    command = [
        sys.executable, "-m", "specloop", "implement", f"{FILE}:{line}", "--json",
        "--model", "openai/scripted", "--api-base", scripted.base_url,
        "--check-timeout", "60", *extra,
    ]  # fmt: skip
    environ = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    started = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**environ, "SPECLOOP_RUNS_DIR": str(runs)},
        check=False,
    )
    elapsed = time.perf_counter() - started
    try:
        payload = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"no JSON line from specloop:\n{result.stdout}\n{result.stderr}") from None
    record_path = runs / f"{payload.get('run_id')}.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else None
    return payload, record, elapsed


def accepted_checks(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The checks of the first attempt whose checks all passed (else of the last attempt)."""
    reports = [attempt["report"] for attempt in (record or {}).get("attempts", [])]
    reports = [report for report in reports if report and report["checks"]]
    passing = [report for report in reports if all(check["passed"] for check in report["checks"])]
    chosen = passing[:1] or reports[-1:]
    return chosen[0]["checks"] if chosen else []


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "-"


def main() -> int:
    begun = time.perf_counter()
    archive = sdist()
    with tempfile.TemporaryDirectory(prefix="specloop-real-") as directory:
        root = Path(directory)
        project = unpack(archive, root)
        started = time.perf_counter()
        make_environment(project / ".venv", *PACKAGES)
        venv_s = time.perf_counter() - started
        original, line = stub(project / FILE, SYMBOL)
        script = StageScript()
        script.defaults.update(
            Clarification=Reply.json({"needed": False, "questions": []}),
            Plan=Reply.json(PLAN),
            GeneratedTests=Reply.json({"code": SPEC_TESTS}),
            Candidate=candidate(original),
        )
        with ScriptedLLM(responder=script) as scripted:
            payload, record, run_s = implement(project, line, scripted, root / "runs")
            peer, _, peer_s = implement(
                project, line, scripted, root / "peer-runs", "--python", sys.executable
            )

    environment = payload.get("environment") or {}
    peer_environment = peer.get("environment") or {}
    rows = {
        "status": (payload["status"], peer["status"]),
        "python from": (environment.get("source", "-"), peer_environment.get("source", "-")),
        "version": (environment.get("version", "-"), peer_environment.get("version", "-")),
        "error": (first_line(payload.get("error"))[:36], first_line(peer.get("error"))[:36]),
        "run time": (f"{run_s:.1f} s", f"{peer_s:.1f} s"),
    }
    print(f"project:     {PROJECT} {VERSION} (sdist from PyPI; .venv: {', '.join(PACKAGES)})")
    print(f"function:    {FILE}:{line} {SYMBOL} (body emptied; the candidate is the original)")
    print(f"environment: {environment.get('description', '-')}")
    print()
    print(f"{'':<13}{'project .venv':<40}peer: --python <specloop's own>")
    for name, (first, second) in rows.items():
        print(f"{name:<13}{first:<40}{second}")
    print(f"peer error:  {first_line(peer.get('error'))}")
    print()
    attempts = len(record["attempts"]) if record else 0
    print(f"checks of the accepted attempt ({attempts} attempt(s) in the run):")
    print(f"  {'check':<20} {'passed':>6} {'evidence':>8} {'count':>5} {'seconds':>8}")
    for check in accepted_checks(record):
        count = "-" if check.get("count") is None else str(check["count"])
        print(
            f"  {check['name']:<20} {check['passed']!s:>6} {check['evidence']!s:>8} "
            f"{count:>5} {check['duration_s']:>8.2f}"
        )
    validated = payload["status"] == "validated"
    named = MISSING in (peer.get("error") or "")
    print()
    print(f"total wall time: {time.perf_counter() - begun:.1f} s (venv built in {venv_s:.1f} s)")
    print(f"validated with the project's .venv: {validated}; the peer names wcwidth: {named}")
    if not validated and record is not None:
        for check in accepted_checks(record):
            if not check["passed"]:
                print(f"\n--- failing check {check['name']}:\n{check['output']}")
    return 0 if validated and named else 1


if __name__ == "__main__":
    sys.exit(main())
