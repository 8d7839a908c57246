"""The server and confidence tiers: the precise tier by default; the broad tier when
``[tool.specloop]`` or the editor setting asks for ``all``, one severity step quieter;
the tier in each diagnostic's ``data``; stub docstrings of test files in the broad tier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.test_check_tiers import CODE, HELPER
from tests.e2e.test_configure_server import diagnostics, open_file, start

PROFILES = ["visual-studio-code", "neovim"]
INFORMATION = types.DiagnosticSeverity.Information
HINT = types.DiagnosticSeverity.Hint


def shown(found: list[types.Diagnostic]) -> list[tuple[int, Any, str]]:
    return [(d.range.start.line, d.severity, d.data["tier"]) for d in found]  # type: ignore[index]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.mark.parametrize("profile", PROFILES)
async def test_only_the_precise_tier_is_shown_by_default(
    bare_client: LanguageClient, project: Path, profile: str
):
    await start(bare_client, profile, project)
    uri = open_file(bare_client, project / "billing.py", CODE)
    assert shown(await diagnostics(bare_client, uri, 1)) == [(1, INFORMATION, "precise")]
    helper = open_file(bare_client, project / "tests" / "test_billing.py", HELPER)
    assert await diagnostics(bare_client, helper, 1) == []
    # The same stub outside the tests is a spec: its rule's tier, precise.
    same = open_file(bare_client, project / "pkg" / "setup.py", HELPER)
    assert shown(await diagnostics(bare_client, same, 1)) == [(3, INFORMATION, "precise")]


@pytest.mark.parametrize("profile", PROFILES)
async def test_tiers_all_in_pyproject_shows_the_broad_tier_as_hints(
    bare_client: LanguageClient, project: Path, profile: str
):
    (project / "pyproject.toml").write_text('[tool.specloop]\ntiers = "all"\n')
    await start(bare_client, profile, project)
    uri = open_file(bare_client, project / "billing.py", CODE)
    assert shown(await diagnostics(bare_client, uri, 1)) == [
        (1, INFORMATION, "precise"),
        (2, HINT, "broad"),
    ]
    # A stub in a test file is a helper: broad whatever fired.
    helper = open_file(bare_client, project / "tests" / "test_billing.py", HELPER)
    assert shown(await diagnostics(bare_client, helper, 1)) == [(3, HINT, "broad")]


async def test_the_editor_setting_shows_the_broad_tier(bare_client: LanguageClient, project: Path):
    settings = {"specloop": {"diagnostics": {"tiers": "all", "severity": "warning"}}}
    await start(bare_client, "neovim", project, settings)
    uri = open_file(bare_client, project / "billing.py", CODE)
    assert shown(await diagnostics(bare_client, uri, 1)) == [
        (1, types.DiagnosticSeverity.Warning, "precise"),
        (2, INFORMATION, "broad"),
    ]


async def test_a_type_stub_file_shows_its_todos_and_not_its_docstrings(
    bare_client: LanguageClient, project: Path
):
    await start(bare_client, "visual-studio-code", project)
    stub = HELPER.replace("class Tests", "class Billing") + "# TODO: maybe type this?\n"
    typed = open_file(bare_client, project / "pkg" / "billing.pyi", stub)
    assert shown(await diagnostics(bare_client, typed, 1)) == [(5, INFORMATION, "precise")]
    # The same text in a module: the stub's docstring is a spec as well.
    module = open_file(bare_client, project / "pkg" / "billing.py", stub)
    assert shown(await diagnostics(bare_client, module, 1)) == [
        (3, INFORMATION, "precise"),
        (5, INFORMATION, "precise"),
    ]
