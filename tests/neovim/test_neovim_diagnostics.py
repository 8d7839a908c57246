"""Ambiguous-TODO diagnostics in a real Neovim: shown on open, gone once the TODO is clear."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import NeovimSession, wheel_nvim

pytestmark = pytest.mark.neovim
HINT = 4  # vim.diagnostic.severity.HINT

SOURCE = '''\
def charge(amount):
    """Take amount from the balance."""
    # TODO: handle errors
    return amount
'''


def specloop_diagnostics(neovim: NeovimSession, bufnr: int) -> list[dict]:
    return [d for d in neovim.diagnostics(bufnr) if d.get("source") == "specloop"]


def test_an_ambiguous_todo_shows_and_clears_after_it_is_clarified(
    neovim: NeovimSession, project: Path
) -> None:
    path = project / "billing.py"
    path.write_text(SOURCE, encoding="utf-8")
    bufnr = neovim.open(path)

    neovim.wait_for(
        f"#vim.diagnostic.get({bufnr}) > 0", what="specloop diagnostics for the ambiguous TODO"
    )
    [diagnostic] = specloop_diagnostics(neovim, bufnr)
    assert diagnostic["lnum"] == 2
    assert diagnostic["col"] == 4
    assert diagnostic["code"] == "ambiguous-todo"
    assert "handle errors" in diagnostic["message"]

    # Edit the TODO into a precise one, in Neovim, as a user would.
    line = "    # TODO: raise ValueError when amount is negative"
    neovim.nvim.api.buf_set_lines(bufnr, 2, 3, True, [line])
    neovim.wait_for(
        f"#vim.diagnostic.get({bufnr}) == 0", what="the diagnostic to go after the edit"
    )
    assert specloop_diagnostics(neovim, bufnr) == []


def readme_lua_blocks() -> list[str]:
    """The ```lua blocks of README.md, with the repository's path filled in."""
    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert (repo / ".venv" / "bin" / "specloop").exists(), "run `uv sync` first"
    blocks = re.findall(r"```lua\n(.*?)```", readme, re.DOTALL)
    return [block.replace("/absolute/path/to/specloop", str(repo)) for block in blocks]


def assert_the_settings_arrive(neovim: NeovimSession, project: Path) -> None:
    path = project / "billing.py"
    path.write_text(SOURCE, encoding="utf-8")
    bufnr = neovim.open(path)
    neovim.wait_for(f"#vim.diagnostic.get({bufnr}) > 0", what="diagnostics via the README setup")
    [diagnostic] = specloop_diagnostics(neovim, bufnr)
    assert diagnostic["severity"] == HINT, "the snippet's settings reached the server"


def test_the_readme_lazy_nvim_spec_works_as_written(
    start_neovim, nvim_binary: str, project: Path
) -> None:
    """README's lazy.nvim spec, loaded the way lazy.nvim loads a `dir` plugin with `opts`."""
    spec = readme_lua_blocks()[0]
    assert "dir =" in spec and "opts =" in spec, spec
    lazy = (
        f"local spec = {spec}\n"
        "vim.opt.runtimepath:append(spec.dir)\n"
        "vim.cmd('runtime! plugin/specloop.lua')\n"
        "require('specloop').setup(spec.opts)"
    )
    neovim = start_neovim(lua_setup=lazy, nvim=nvim_binary)
    assert_the_settings_arrive(neovim, project)
    assert neovim.lua("return vim.fn.exists(':SpecloopImplement') == 2")
    if neovim.lua("return vim.fn.has('nvim-0.11') == 1"):  # setup() goes the native way
        severity = "return vim.lsp.config.specloop.settings.specloop.diagnostics.severity"
        assert neovim.lua(severity) == "hint"


def test_the_readme_native_config_works_on_0_11(start_neovim, project: Path) -> None:
    """README's vim.lsp.config/vim.lsp.enable block in Neovim 0.11, with no setup() call."""
    native = readme_lua_blocks()[1]
    assert "vim.lsp.enable" in native, native
    # `-u NONE` skips loading plugin/ files, which Neovim does after init.lua.
    neovim = start_neovim(lua_setup=native + "\nvim.cmd('runtime! plugin/specloop.lua')",
                          nvim=wheel_nvim())  # fmt: skip
    assert neovim.lua(
        "return package.loaded['specloop'] == nil or require('specloop').options == nil"
    )
    assert_the_settings_arrive(neovim, project)
