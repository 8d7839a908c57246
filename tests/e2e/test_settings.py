"""End to end: settings from initializationOptions and from workspace/configuration."""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start_session


async def next_message(client: LanguageClient) -> types.ShowMessageParams:
    await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), timeout=10)
    return client.messages[-1]


async def test_invalid_initialization_options_are_named_in_a_message(
    bare_client: LanguageClient,
):
    await start_session(
        bare_client,
        "visual-studio-code",
        {"diagnostics": {"severity": "loud"}, "maxAttempts": 3},
    )
    # The message may arrive just before the initialize response.
    for _ in range(50):
        if bare_client.messages:
            break
        await asyncio.sleep(0.1)
    assert bare_client.messages, "no window/showMessage for an invalid setting"
    message = bare_client.messages[-1]
    assert message.type == types.MessageType.Warning
    assert "specloop.diagnostics.severity" in message.message
    assert "maxAttempts" not in message.message


async def test_valid_initialization_options_produce_no_message(bare_client: LanguageClient):
    await start_session(bare_client, "neovim", {"specloop": {"diagnostics": {"enabled": False}}})
    await asyncio.sleep(0.5)
    assert bare_client.messages == []


async def test_did_change_configuration_settings_are_validated(client: LanguageClient):
    # Real clients both answer workspace/configuration (if they advertise it) and push the
    # settings in the notification; the server must use whichever the profile supports.
    bad = {"temperature": 7, "modle": "x"}
    client.set_configuration(bad, section="specloop")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"specloop": bad})
    )
    message = await next_message(client)
    assert "specloop.temperature" in message.message
    assert "specloop.modle: unknown setting" in message.message


async def test_clients_without_configuration_requests_push_their_settings(
    bare_client: LanguageClient,
):
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(configuration=False)
    )
    await bare_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    bare_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"specloop": {"maxAttempts": "many"}})
    )
    message = await next_message(bare_client)
    assert "specloop.maxAttempts" in message.message


async def test_clients_with_configuration_requests_are_asked_for_the_section(
    bare_client: LanguageClient,
):
    await start_session(bare_client, "visual-studio-code")
    bare_client.set_configuration({"diagnostics": {"markers": "TODO"}}, section="specloop")
    # The pushed settings are stale on purpose: the answer to workspace/configuration wins.
    bare_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"specloop": {}})
    )
    message = await next_message(bare_client)
    assert "specloop.diagnostics.markers" in message.message
