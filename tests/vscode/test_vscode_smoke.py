"""A fresh VS Code with the packaged extension flags an ambiguous TODO and offers the loop."""

from __future__ import annotations

from pathlib import Path

from tests.support.stage_script import TODO_LINE
from tests.vscode.conftest import OpenVSCode
from tests.vscode.harness import server_command


def test_the_ambiguous_todo_shows_in_problems_and_quick_fix_offers_the_loop(
    open_vscode: OpenVSCode, workspace: Path
) -> None:
    vscode = open_vscode(workspace, settings={"specloop.serverCommand": server_command()})
    vscode.open_file("pricing.py")

    rows = vscode.problems(expect="handle errors")
    [row] = [row for row in rows if "handle errors" in row]
    assert "specloop" in row and f"[Ln {TODO_LINE}" in row, rows

    vscode.go_to_line(TODO_LINE, 7)
    titles = vscode.quick_fix(expect="Implement")
    assert "Clarify this TODO" in titles, titles
    assert "Implement `discount` with specloop" in titles, titles
