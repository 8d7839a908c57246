"""Ambiguous-TODO diagnostics in a real Neovim: shown on open, gone once the TODO is clear."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import NeovimSession

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


def test_the_readme_lua_snippet_works_as_written(start_neovim, project: Path) -> None:
    """The Lua block in README.md, with only the repository path filled in."""
    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```lua\n(.*?)```", readme, re.DOTALL)
    assert snippet, "README.md has no ```lua block"
    assert (repo / ".venv" / "bin" / "specloop").exists(), "run `uv sync` first"
    lua = snippet.group(1).replace("/absolute/path/to/specloop", str(repo))
    neovim = start_neovim(lua_setup=lua)

    path = project / "billing.py"
    path.write_text(SOURCE, encoding="utf-8")
    bufnr = neovim.open(path)
    neovim.wait_for(f"#vim.diagnostic.get({bufnr}) > 0", what="diagnostics via the README setup")
    [diagnostic] = specloop_diagnostics(neovim, bufnr)
    assert diagnostic["severity"] == HINT, "the snippet's settings reached the server"
