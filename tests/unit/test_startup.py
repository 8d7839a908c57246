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


def test_implement_with_a_bad_target_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "specloop", "implement", "nowhere.py:3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "No such file: nowhere.py." in result.stderr
