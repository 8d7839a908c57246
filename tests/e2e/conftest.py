"""pytest-lsp fixtures: the real server over stdio, with recorded VS Code and Neovim profiles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support.editor import accept_registrations, record_published
from tests.support.stage_script import MODULE, write_project

# The recorded capabilities of real editors, as pytest-lsp ships them.
CLIENT_PROFILES = ["visual-studio-code", "neovim@v0.7.0", "neovim"]

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "specloop", "serve"])


async def start_session(
    client: LanguageClient,
    profile: str,
    initialization_options: Any = None,
) -> types.InitializeResult:
    params = types.InitializeParams(
        capabilities=client_capabilities(profile),
        initialization_options=initialization_options,
        root_uri="file:///tmp/specloop-e2e",
    )
    return await client.initialize_session(params)


@pytest_lsp.fixture(config=SERVER, params=CLIENT_PROFILES)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    """A server initialised with one editor's recorded capabilities."""
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    accept_registrations(lsp_client)
    record_published(lsp_client)
    result = await start_session(lsp_client, request.param)
    encoding = result.capabilities.position_encoding or types.PositionEncodingKind.Utf16
    lsp_client.encoding = str(getattr(encoding, "value", encoding))  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def bare_client(lsp_client: LanguageClient):
    """A server not yet initialised, for tests that choose their own initialize params."""
    accept_registrations(lsp_client)
    record_published(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The task's project: pricing.py (discount, a clear TODO) and a test of it."""
    return write_project(tmp_path / "project", MODULE)


def column(line: str, text: str, encoding: str) -> int:
    """Where ``text`` starts in ``line``, counted as the negotiated encoding counts."""
    prefix = line[: line.index(text)]
    if encoding == "utf-8":
        return len(prefix.encode("utf-8"))
    if encoding == "utf-32":
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2
