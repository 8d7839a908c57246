"""Start-up stays light: serving and answering `initialize` must not import the heavy stack."""

import subprocess
import sys

HEAVY = ("litellm", "libcst", "openai")


def test_the_server_module_does_not_import_the_model_stack():
    probe = (
        "import sys, specloop.cli, specloop.lsp.server\n"
        f"print(','.join(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "", f"imported at start-up: {result.stdout.strip()}"


def test_version_prints_the_package_version():
    from specloop import __version__

    result = subprocess.run(
        [sys.executable, "-m", "specloop", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"specloop {__version__}"


def test_commands_not_built_yet_say_so_with_exit_code_2():
    result = subprocess.run(
        [sys.executable, "-m", "specloop", "runs"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "not available yet" in result.stderr
