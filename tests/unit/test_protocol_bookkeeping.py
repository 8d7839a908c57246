"""The server's protocol keeps no record of a handler once it is done (pygls 2.1.1 kept
one for every notification: `specloop.lsp.protocol`)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from pygls.io_ import StdoutWriter

from specloop.lsp.server import SpecloopServer

URI = "file:///nowhere/module.py"


def send(server: SpecloopServer, data: dict[str, Any]) -> None:
    message = {"jsonrpc": "2.0", **data}
    server.protocol.handle_message(server.protocol.structure_message(message))


async def test_notifications_and_requests_leave_no_futures_behind():
    server = SpecloopServer()
    server.protocol.set_writer(StdoutWriter(io.BytesIO()))
    initialize = {"processId": None, "rootUri": None, "capabilities": {}}
    send(server, {"id": 1, "method": "initialize", "params": initialize})
    send(server, {"method": "initialized", "params": {}})
    document = {"uri": URI, "languageId": "python", "version": 1, "text": "x = 1\n"}
    send(server, {"method": "textDocument/didOpen", "params": {"textDocument": document}})
    for version in range(2, 40):
        change = {"text": f"# TODO: handle errors {version}\nx = {version}\n"}
        params = {"textDocument": {"uri": URI, "version": version}, "contentChanges": [change]}
        send(server, {"method": "textDocument/didChange", "params": params})
    symbols = {"textDocument": {"uri": URI}}
    send(server, {"id": 2, "method": "textDocument/documentSymbol", "params": symbols})
    send(server, {"method": "workspace/didChangeConfiguration", "params": {"settings": {}}})
    send(server, {"method": "textDocument/didClose", "params": {"textDocument": {"uri": URI}}})
    for _ in range(50):
        await asyncio.sleep(0.02)
        if not server.protocol._request_futures:
            break
    assert server.protocol._request_futures == {}
