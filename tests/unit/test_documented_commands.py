"""Every command README.md and docs/ show still exists as written.

A `specloop …` command line is parsed by the CLI's own parser (an unknown flag, a
renamed subcommand or a missing argument fails); a `python -m benchmarks.NAME …` line
names a module that imports and flags its source defines. What the commands do is
tested elsewhere; this keeps the documentation from drifting away from them.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import shlex
from pathlib import Path

import pytest

from specloop.cli import _parser

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SPECLOOP = re.compile(r"^\s*(?:\.venv/bin/)?specloop (\S.*)$")
BENCHMARK = re.compile(r"python3? -m (benchmarks(?:\.\w+)+)((?: [^`]*)?)")


def _commands(pattern: re.Pattern[str], in_code_blocks: bool) -> list[tuple[str, str]]:
    """(where, command) for each match, in fenced code blocks only when asked."""
    found = []
    for document in DOCUMENTS:
        fenced = False
        for line in document.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if in_code_blocks and not fenced:
                continue
            for match in pattern.finditer(line):
                found.append((f"{document.name}: {line.strip()}", match.group(0)))
    return found


# A usage table (`specloop runs [show ID]`) shows a syntax, not a command to run.
SPECLOOP_LINES = [(w, line) for w, line in _commands(SPECLOOP, True) if "[" not in line]
BENCHMARK_LINES = _commands(BENCHMARK, False)


def test_the_documents_show_commands() -> None:
    assert len(SPECLOOP_LINES) >= 8 and len(BENCHMARK_LINES) >= 8


@pytest.mark.parametrize(("where", "line"), SPECLOOP_LINES, ids=[w for w, _ in SPECLOOP_LINES])
def test_a_documented_specloop_command_parses(where: str, line: str) -> None:
    command = line.split("  #", 1)[0].split(" > ", 1)[0]
    argv = shlex.split(command)
    argv = argv[argv.index(next(a for a in argv if a.endswith("specloop"))) + 1 :]
    try:
        _exact(_parser()).parse_args(argv)
    except SystemExit as error:  # --help and --version end here too, with 0
        if error.code != 0:
            pytest.fail(f"{where}: the CLI does not take {argv} (exit {error.code})")


def _exact(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The parser and its subcommands' taking whole option names only: a document that
    abbreviates (or misspells into a prefix) gets caught."""
    parser.allow_abbrev = False
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _exact(subparser)
    return parser


@pytest.mark.parametrize(("where", "line"), BENCHMARK_LINES, ids=[w for w, _ in BENCHMARK_LINES])
def test_a_documented_benchmark_exists_with_its_flags(where: str, line: str) -> None:
    match = BENCHMARK.search(line)
    assert match is not None
    module = importlib.import_module(match.group(1))
    source = inspect.getsource(module)
    assert 'if __name__ == "__main__":' in source, f"{where}: {match.group(1)} cannot be run"
    for flag in re.findall(r"--[\w-]+", match.group(2)):
        assert f'"{flag}"' in source, f"{where}: {match.group(1)} has no {flag}"
