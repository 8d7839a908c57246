"""specloop's commands in a subprocess: `implement` against the scripted model (its one
JSON line), and `check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import TODO_LINE

THIS_SPECLOOP = (sys.executable, "-m", "specloop")
"""specloop as this environment has it (the checkout, installed editable)."""


def implement_command(
    scripted: ScriptedLLM,
    *extra: str,
    line: int = TODO_LINE,
    file: str = "pricing.py",
    specloop: Sequence[str] = THIS_SPECLOOP,
) -> list[str]:
    """The command line; ``extra`` options go after the subcommand's own."""
    return [
        *specloop, "implement", f"{file}:{line}",
        "--model", "openai/scripted", "--api-base", scripted.base_url,
        "--json", "--check-timeout", "10", *extra,
    ]  # fmt: skip


def run_implement(
    project: Path,
    runs: Path,
    scripted: ScriptedLLM,
    *extra: str,
    env: dict[str, str] | None = None,
    line: int = TODO_LINE,
    file: str = "pricing.py",
    before: tuple[str, ...] = (),
    specloop: Sequence[str] = THIS_SPECLOOP,
    base_env: Mapping[str, str] = os.environ,
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Run it in ``project``; ``before`` goes before the subcommand (``--log-level ...``);
    ``env`` is added to ``base_env``."""
    argv = implement_command(scripted, *extra, line=line, file=file, specloop=specloop)
    argv[len(specloop) : len(specloop)] = list(before)
    result = subprocess.run(
        argv,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        env={**base_env, "SPECLOOP_RUNS_DIR": str(runs), **(env or {})},
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"--json must print exactly one line:\n{result.stdout}\n{result.stderr}"
    return json.loads(lines[0]), result


def run_check(
    *args: str,
    cwd: Path,
    specloop: Sequence[str] = THIS_SPECLOOP,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`specloop check ARGS` in ``cwd``, its output captured; ``specloop`` is the command
    (this environment's by default), ``env`` its environment (this process's by default)."""
    return subprocess.run(
        [*specloop, "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
