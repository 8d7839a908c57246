"""How the extension finds the server, in a real VS Code.

Without `specloop.serverCommand` it runs `<python> -m specloop serve` with the Python in
`specloop.interpreter` (then the Python extension's, then `python3`), after checking
specloop is installed there; where it is not, it says so and offers an install command
for the wheel inside the .vsix.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from tests.vscode.conftest import OpenVSCode
from tests.vscode.harness import VSCode


def wait_for_output(vscode: VSCode, text: str, what: str) -> str:
    """The extension's output channel once it contains ``text``."""
    vscode.wait_until(lambda: text in vscode.output_channel(), what, 30)
    return vscode.output_channel()


def test_the_interpreter_setting_starts_the_server_with_python_dash_m(
    open_vscode: OpenVSCode, workspace: Path
) -> None:
    vscode = open_vscode(workspace, settings={"specloop.interpreter": sys.executable})
    vscode.open_file("pricing.py")
    vscode.problems(expect="handle errors")
    output = wait_for_output(vscode, "is installed for", "the installed check in the output")
    assert f"Server command (from specloop.interpreter): {sys.executable} -m specloop serve" in (
        output
    ), output
    assert f"specloop 0.1.0 is installed for {sys.executable}" in output, output


def test_a_python_without_specloop_is_named_with_a_command_that_installs_it(
    open_vscode: OpenVSCode, workspace: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    python = str(bare / "bin" / "python")
    vscode = open_vscode(workspace, settings={"specloop.interpreter": python})
    vscode.open_file("pricing.py")  # The extension starts with the first Python file.

    toast = vscode.notification("specloop is not installed for")
    message = toast.inner_text()
    assert python in message and "specloop.interpreter" in message, message
    vscode.answer_notification("specloop is not installed for", "Copy Install Command")
    output = wait_for_output(vscode, "Install command", "the install command in the output")
    [line] = [line for line in output.splitlines() if "Install command" in line]
    command = line.split("clipboard): ", 1)[1]
    # It installs the server (with its embedded model) from the wheel the .vsix carries,
    # building llama.cpp without AMX on x86-64 Linux (as scripts/lib.sh does).
    assert f" {python} -m pip install " in command, command
    if platform.machine() == "x86_64":
        assert command.startswith("CMAKE_ARGS=") and "-mno-amx-tile" in command, command
    wheel = command.split(" -m pip install ", 1)[1].strip("'").removesuffix("[local]")
    assert Path(wheel).name.startswith("specloop-0.1.0-") and wheel.endswith(".whl"), command
    assert Path(wheel).is_file(), f"the wheel the command names is not there: {wheel}"
    assert "Not starting the server" in vscode.output_channel()
