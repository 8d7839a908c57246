"""The command line's options: logging options work before and after the command."""

import pytest

from specloop.cli import _parser


@pytest.mark.parametrize(
    "argv",
    [
        ["--log-level", "DEBUG", "--log-file", "s.log", "serve"],
        ["serve", "--log-level", "DEBUG", "--log-file", "s.log"],
        ["--log-file", "s.log", "serve", "--log-level", "DEBUG"],
    ],
    ids=["before", "after", "split"],
)
def test_logging_options_work_on_either_side_of_the_command(argv):
    args = _parser().parse_args(argv)
    assert (args.command, args.log_level, args.log_file) == ("serve", "DEBUG", "s.log")


def test_a_command_without_logging_options_keeps_the_defaults():
    args = _parser().parse_args(["check", "src"])
    assert (args.log_level, args.log_file) == ("WARNING", None)
