"""Start-up stays light: serving and answering `initialize` must not import the heavy stack."""

import json
import subprocess
import sys

HEAVY = ("litellm", "libcst", "openai")
# Each takes longer to import than pygls itself: they load at `initialized`, not before.
AFTER_INITIALIZE = ("pydantic", "specloop.config", "specloop.analysis.findings", *HEAVY)


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


def test_answering_initialize_imports_neither_the_settings_model_nor_the_analysis():
    request = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "processId": None,
                "rootUri": None,
                "capabilities": {},
                "initializationOptions": {"diagnostics": {"severity": "hint"}},
            },
        }
    ).encode()
    server = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "specloop", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(request) + request)
        server.stdin.flush()
        header = server.stdout.readline()
        assert header.startswith(b"Content-Length"), header
    finally:
        server.kill()
        _, stderr = server.communicate(timeout=60)
    # -X importtime writes one line per module as its import ends, all before the answer.
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.decode().splitlines()}
    assert "pygls.lsp.server" in imported
    assert [name for name in AFTER_INITIALIZE if name in imported] == []
