"""Command-line entry points: serve | check | implement | runs."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from specloop import __version__

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _configure_logging(args.log_level, args.log_file)
    handler = _COMMANDS[args.command]
    return handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specloop",
        description="Clarify, plan, generate and validate code from TODO specs.",
    )
    parser.add_argument("--version", action="version", version=f"specloop {__version__}")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log verbosity (logs go to stderr or --log-file, never stdout)",
    )
    parser.add_argument("--log-file", help="write logs to this file instead of stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", action="store_true", help="listen on TCP (for debugging)")
    serve.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")

    check = commands.add_parser("check", help="report ambiguous TODO specs under PATHs")
    check.add_argument("paths", nargs="*", metavar="PATH")

    implement = commands.add_parser("implement", help="run the loop on the spec at FILE:LINE")
    implement.add_argument("target", nargs="?", metavar="FILE:LINE")

    runs = commands.add_parser("runs", help="list or show run records")
    runs.add_argument("rest", nargs="*", metavar="show ID")
    return parser


def _serve(args: argparse.Namespace) -> int:
    # Imported here so `specloop --version` and the other commands stay light.
    from specloop.lsp.server import server

    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0


def _not_available(args: argparse.Namespace) -> int:
    print(
        f"specloop {args.command}: not available yet in specloop {__version__}.",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _configure_logging(level: str, log_file: str | None) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


_COMMANDS = {
    "serve": _serve,
    "check": _not_available,
    "implement": _not_available,
    "runs": _not_available,
}
