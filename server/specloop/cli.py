"""Command-line entry points: serve | check | implement | runs | doctor."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from specloop import __version__
from specloop.defaults import (
    DEFAULT_CHECK_TIMEOUT_S,
    DEFAULT_MARKERS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_QUESTIONS,
    DEFAULT_MODEL_TIMEOUT_S,
    DEFAULT_TEMPERATURE,
    Severity,
    Tiers,
)

if TYPE_CHECKING:
    from specloop.check import CheckOptions, Record, Skipped

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _configure_logging(args.log_level, args.log_file)
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader left (`specloop runs show ID | head`): not an error of ours. Point
        # stdout at /dev/null so Python's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command a pipe ended


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specloop",
        description="Clarify, plan, generate and validate code from TODO specs.",
    )
    parser.add_argument("--version", action="version", version=f"specloop {__version__}")
    _add_logging_options(parser, defaults={"log_level": "WARNING", "log_file": None})
    # The logging options also work after the command (`specloop serve --log-file x`);
    # there they have no default, so they never undo the ones given before it.
    logging_options = argparse.ArgumentParser(add_help=False)
    _add_logging_options(logging_options, defaults=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve", parents=[logging_options], help="run the language server (stdio by default)"
    )
    serve.add_argument("--tcp", action="store_true", help="listen on TCP (for debugging)")
    serve.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")

    check = commands.add_parser(
        "check",
        parents=[logging_options],
        help="report ambiguous TODO specs under PATHs",
        description="Report ambiguous TODO/FIXME/XXX/HACK comments and stub docstrings. "
        "Exit status: 0 nothing flagged, 1 something flagged, 2 usage error.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    check.add_argument(
        "--format", choices=["text", "json", "sarif"], default="text", help="output format"
    )
    check.add_argument(
        "--exclude",
        action="append",
        default=[],
        type=_exclude_pattern,
        metavar="GLOB",
        help="gitignore-style pattern to skip (repeatable); .gitignore files are respected",
    )
    check.add_argument(
        "--markers",
        help="comma-separated comment markers (default: the project's [tool.specloop] "
        f"markers, else {','.join(DEFAULT_MARKERS)})",
    )
    check.add_argument(
        "--severity",
        choices=[severity.value for severity in Severity],
        help="severity written into the report (default: the project's, else information)",
    )
    check.add_argument(
        "--all-labels",
        action="store_true",
        help="print every spec with its label and tier, clear and note ones too (for evaluation)",
    )
    check.add_argument(
        "--all-tiers",
        action="store_true",
        help="also report the broad confidence tier, at a lower severity (default: the "
        "project's tiers, else only the precise tier)",
    )
    check.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too (for pre-commit)",
    )
    baseline = check.add_mutually_exclusive_group()
    baseline.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report only findings that FILE (written by --write-baseline) does not hold",
    )
    baseline.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record today's findings in FILE and exit 0",
    )

    implement = commands.add_parser(
        "implement",
        parents=[logging_options],
        help="run the clarify/plan/generate/validate loop on the spec at FILE:LINE",
        description="Run the loop on the spec or symbol at FILE:LINE. Exit status: 0 "
        "validated (and applied, with --apply), 1 not validated, 2 usage or configuration "
        "error, 3 validated but --apply could not write it. Without --model, "
        "the embedded local model is used (extra `local`).",
    )
    implement.add_argument("target", metavar="FILE:LINE")
    implement.add_argument("--model", help="litellm model name, e.g. openai/gpt-4o-mini")
    implement.add_argument("--api-base", help="base URL of an OpenAI-compatible endpoint")
    implement.add_argument(
        "--api-key-env", help="NAME of the environment variable holding the API key"
    )
    implement.add_argument(
        "--stage-model",
        action="append",
        default=[],
        metavar="STAGE=MODEL",
        help="a different model for one stage (clarify, plan or generate); repeatable",
    )
    implement.add_argument(
        "--temperature",
        type=float,
        help=f"sampling temperature (default: {DEFAULT_TEMPERATURE:g})",
    )
    implement.add_argument("--max-attempts", type=int, help=f"default: {DEFAULT_MAX_ATTEMPTS}")
    implement.add_argument(
        "--timeout",
        type=float,
        help=f"seconds per model call (default: {DEFAULT_MODEL_TIMEOUT_S:g})",
    )
    implement.add_argument(
        "--check-timeout",
        type=float,
        help=f"wall-clock seconds each validation check may run (default: "
        f"{DEFAULT_CHECK_TIMEOUT_S:g})",
    )
    implement.add_argument(
        "--allow-unisolated",
        action="store_true",
        default=None,
        help="run generated code even without the namespace sandbox (weaker isolation, "
        "reported in the result)",
    )
    implement.add_argument(
        "--python",
        metavar="PATH",
        help="the project's interpreter or virtual environment that runs the checks "
        "(default: VIRTUAL_ENV, .venv or venv in the project, PDM's or Poetry's, else "
        "specloop's own)",
    )
    implement.add_argument(
        "--json", action="store_true", help="print exactly one JSON line to stdout"
    )
    implement.add_argument(
        "--apply", action="store_true", help="write the change if (and only if) it validated"
    )
    implement.add_argument(
        "--answers", type=Path, metavar="FILE", help='JSON answers: {"q1": "..."}'
    )
    implement.add_argument(
        "--no-assume",
        action="store_true",
        default=None,
        help="stop with needs_clarification instead of assuming defaults or the majority "
        "behaviour of the samples when nobody answers",
    )
    implement.add_argument(
        "--samples",
        type=int,
        help="validated candidates to compare by behaviour (default: 3 with --model, "
        "1 with the embedded model)",
    )
    implement.add_argument(
        "--max-questions",
        type=int,
        help="questions about behaviour: inputs the samples disagree on, and cases to confirm "
        f"when nothing else checks the code (default: {DEFAULT_MAX_QUESTIONS})",
    )

    runs = commands.add_parser(
        "runs", parents=[logging_options], help="list run records, or show one"
    )
    runs.add_argument("action", nargs="?", choices=["show"], help="show one record")
    runs.add_argument("run_id", nargs="?", metavar="ID")

    doctor = commands.add_parser(
        "doctor",
        parents=[logging_options],
        help="check settings, isolation and the model as JSON (for editors' health checks)",
    )
    doctor.add_argument(
        "--settings",
        default="{}",
        metavar="JSON",
        help="the editor's specloop settings object, as JSON (default: {})",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    # Imported here so `specloop --version` and the other commands stay light.
    from specloop.lsp.server import server

    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0


def _check(args: argparse.Namespace) -> int:
    from specloop.baseline import Baseline, read_baseline
    from specloop.check import ConfigProblem, Skipped, check
    from specloop.reporting import json_report, printable, sarif_report, text_line

    paths = [Path(path) for path in args.paths]
    missing = [printable(str(path)) for path in paths if not os.path.lexists(path)]
    if missing:
        print(f"specloop check: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    baseline: Baseline | None = None
    if args.baseline is not None:
        read = read_baseline(args.baseline)
        if isinstance(read, str):
            print(f"specloop check: {printable(read)}.", file=sys.stderr)
            return EXIT_USAGE
        baseline = read
    options = _check_options(args)
    started = time.perf_counter()
    records: list[Record] = []
    skipped: list[Skipped] = []
    flagged = known = 0
    streams = args.format == "text" and args.write_baseline is None
    for item in check(paths, options, args.exclude):
        if isinstance(item, ConfigProblem):
            print(
                f"specloop check: {printable(item.message)}. Fix it and run again.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if isinstance(item, Skipped):
            skipped.append(item)
            print(f"specloop check: {printable(item.path)} {item.reason}", file=sys.stderr)
            continue
        if baseline is not None and baseline.is_known(item):
            known += 1
            continue
        flagged += item.label == "ambiguous"
        if streams:
            print(text_line(item), flush=True)  # text streams; JSON and SARIF are documents
        else:
            records.append(item)
    if args.write_baseline is not None:
        return _write_baseline(args.write_baseline, records, skipped)
    if args.format == "json":
        sys.stdout.write(json_report(records))
    elif args.format == "sarif":
        sys.stdout.write(sarif_report(records, skipped))
    sys.stdout.flush()
    unread = sum(1 for item in skipped if item.unreadable)
    elapsed = time.perf_counter() - started
    print(
        f"specloop check: {flagged} ambiguous spec(s) flagged in {elapsed:.2f} s"
        + (f"; {known} known from the baseline" if known else "")
        + (f"; {unread} path(s) could not be read" if unread else ""),
        file=sys.stderr,
    )
    if unread:
        return EXIT_USAGE  # something asked for was not checked: not a clean result
    return 1 if flagged else 0


def _exclude_pattern(pattern: str) -> str:
    from specloop.analysis.paths import checked_pattern

    try:
        return checked_pattern(pattern)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _check_options(args: argparse.Namespace) -> CheckOptions:
    """The command line's choices; what it leaves unset comes from each file's project."""
    from specloop.check import CheckOptions

    markers = None
    if args.markers is not None:
        markers = tuple(marker.strip() for marker in args.markers.split(",") if marker.strip())
    severity = Severity(args.severity) if args.severity else None
    tiers = Tiers.ALL if args.all_tiers else None
    return CheckOptions(markers, severity, args.all_labels, args.force_exclude, tiers)


def _write_baseline(path: Path, records: list[Record], skipped: list[Skipped]) -> int:
    from specloop.baseline import baseline_text
    from specloop.reporting import printable

    where = printable(str(path))
    try:
        path.write_text(baseline_text(records, path.absolute().parent), encoding="utf-8")
    except OSError as error:
        print(f"specloop check: cannot write {where} ({error.strerror or error})", file=sys.stderr)
        return EXIT_USAGE
    print(f"specloop check: wrote {len(records)} finding(s) to {where}", file=sys.stderr)
    return EXIT_USAGE if any(item.unreadable for item in skipped) else 0


def _implement(args: argparse.Namespace) -> int:
    from specloop.loop.llm import start_model_process

    start_model_process()  # litellm's import, in its own process, from the first moment
    from specloop.implement import ImplementOptions, run_implement

    return run_implement(
        ImplementOptions(
            target=args.target,
            json_output=args.json,
            apply=args.apply,
            answers_file=args.answers,
            flags={
                "samples": args.samples,
                "max_questions": args.max_questions,
                "no_assume": args.no_assume,
                "model": args.model,
                "api_base": args.api_base,
                "api_key_env": args.api_key_env,
                "temperature": args.temperature,
                "max_attempts": args.max_attempts,
                "timeout": args.timeout,
                "check_timeout": args.check_timeout,
                "allow_unisolated": args.allow_unisolated,
                "python": args.python,
            },
            stage_models=tuple(args.stage_model),
        )
    )


def _runs(args: argparse.Namespace) -> int:
    from specloop.loop import records
    from specloop.loop.summary import outcome_text

    if args.action == "show":
        if not args.run_id:
            print("specloop runs show: give a run ID (see `specloop runs`).", file=sys.stderr)
            return EXIT_USAGE
        record = records.load(args.run_id)
        if record is None:
            print(f"specloop runs: no run {args.run_id} in {records.runs_dir()}.", file=sys.stderr)
            return EXIT_USAGE
        print(record.model_dump_json(indent=2))
        return 0
    found = records.list_records()
    if not found:
        print(f"No runs yet (records live in {records.runs_dir()}).")
        return 0
    for record in found:
        symbol = record.spec.symbol if record.spec else "?"
        where = f"{record.spec.path}:{record.spec.line}" if record.spec else ""
        print(
            f"{record.id}  {record.created_at:%Y-%m-%d %H:%M}  {outcome_text(record):<24} "
            f"{symbol} {where}  attempts={len(record.attempts)} tokens={record.tokens}"
        )
    return 0


def _add_logging_options(
    parser: argparse.ArgumentParser, defaults: dict[str, str | None] | None
) -> None:
    """--log-level and --log-file; ``defaults`` None: unset unless given."""
    missing = argparse.SUPPRESS
    parser.add_argument(
        "--log-level",
        default=defaults["log_level"] if defaults else missing,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log verbosity (logs go to stderr or --log-file, never stdout)",
    )
    parser.add_argument(
        "--log-file",
        default=defaults["log_file"] if defaults else missing,
        help="write logs to this file instead of stderr",
    )


def _configure_logging(level: str, log_file: str | None) -> None:
    if log_file:
        # Logs can hold code and prompts: readable by the user alone, from the start.
        descriptor = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing log too: it may already hold prompts
        os.close(descriptor)
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


def _doctor(args: argparse.Namespace) -> int:
    from specloop.doctor import report_json

    print(report_json(args.settings))
    return 0


_COMMANDS = {
    "doctor": _doctor,
    "serve": _serve,
    "check": _check,
    "implement": _implement,
    "runs": _runs,
}
