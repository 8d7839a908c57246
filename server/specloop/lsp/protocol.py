"""specloop's LSP protocol: pygls 2.1.1's, with every request answered and one copy of each text.

Workarounds for pygls 2.1.1 (https://github.com/openlawlibrary/pygls), each a request
the client would otherwise wait for forever, or a cost paid on every keystroke:

- A request whose params do not match the method's type (``documentSymbol`` without
  ``textDocument``) fails while the JSON is decoded (``structure_message`` raises
  ``JsonRpcInvalidParams``), before pygls knows it is a request, and ``run_async``
  only logs it, with a traceback. Here requests are decoded first, and a failure
  becomes an InvalidParams answer to that request naming what is wrong.
- A message that is not JSON at all is only logged: here it gets a ParseError answer
  with a null id, as JSON-RPC 2.0 asks.
- After ``shutdown``, ``handle_message`` drops every message but ``exit`` without a
  word: here requests get InvalidRequest ("the server is shutting down").
- When a loop is cancelled while it waits for the editor (a question, an edit), the
  editor's late answer made ``_handle_response`` set the result of a cancelled
  future, and pygls logged the InvalidStateError as an error. Here it is dropped,
  and a late answer to a question is told that its run is gone (VS Code cannot
  take a question off the screen, so the user may still answer it).
- pygls files the future of every handler it runs under an id (``_request_futures``),
  and only answering a request takes it out: the futures of notifications
  (``didChange``: one a keystroke) and of the steps of its generator handlers stayed
  for the life of the server. Here they go when they are done.
- pygls keeps its own copy of every open document and applies each change to it (for
  a 5 MB single-line file that is 1.4 s a keystroke). specloop keeps its own
  snapshots (`analysis/documents.py`), so the builtin open/change/close handlers here
  only pass the notification on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Generator
from dataclasses import dataclass
from functools import partial
from typing import Any

from cattrs import transform_error
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import LanguageServerProtocol, lsp_method

log = logging.getLogger(__name__)

LATE_ANSWER_MESSAGE = "The run that asked this was cancelled; your answer was not used."


@dataclass(frozen=True)
class UnreadableRequest:
    """A request that arrived but could not be read: it still gets its answer."""

    id: int | str
    method: str
    error: JsonRpcException


class SpecloopProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        request_type = _request_type(self, data)
        if request_type is None:
            return super().structure_message(data)
        try:
            return self._converter.structure(data, request_type)
        except Exception as error:  # what cattrs raises for data of the wrong shape
            problems = "; ".join(_json_names(p) for p in transform_error(error, path="$"))
            method = str(data["method"])
            message = f"Invalid params for {method}: {problems}."
            return UnreadableRequest(data["id"], method, JsonRpcInvalidParams(message))

    def handle_message(self, message: Any) -> None:
        if isinstance(message, UnreadableRequest):
            log.warning("Request %s could not be read: %s", message.id, message.error)
            self._send_response(message.id, error=message.error.to_response_error())
            return
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and hasattr(message, "id"):
            error = JsonRpcInvalidRequest("The server is shutting down; it takes no requests.")
            self._send_response(message.id, error=error.to_response_error())
            return
        super().handle_message(message)

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        answers = isinstance(callback, partial) and callback.func == self._send_handler_result
        future = None if answers else self._request_futures.get(msg_id)
        if future is not None:  # nothing will answer it, so nothing would take it out
            future.add_done_callback(lambda _: self._request_futures.pop(msg_id, None))

    def _handle_response(
        self, msg_id: Any, result: Any | None = None, error: Any | None = None
    ) -> None:
        waiting = self._request_futures.get(msg_id)
        if waiting is not None and waiting.cancelled():
            self._request_futures.pop(msg_id, None)
            log.debug("The answer to request %s came after it was cancelled.", msg_id)
            if isinstance(result, types.MessageActionItem):  # a question's chosen action
                self.notify(
                    types.WINDOW_SHOW_MESSAGE,
                    types.ShowMessageParams(
                        type=types.MessageType.Info, message=LATE_ANSWER_MESSAGE
                    ),
                )
            return
        super()._handle_response(msg_id, result, error)

    def answer_unparseable(self, error: Exception) -> None:
        """A body that is not JSON: a ParseError answer (the id is unknown, so null)."""
        if isinstance(error, json.JSONDecodeError):
            # Written as a plain dict: pygls's message types leave a null id out.
            parse_error = JsonRpcParseError(f"The message is not JSON: {error}.")
            response = {"jsonrpc": "2.0", "id": None, "error": {"code": parse_error.code,
                        "message": parse_error.message}}  # fmt: skip
            self._send_data(response)

    # One copy of each document: specloop's own snapshots, not pygls's workspace copy.

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._pass_on(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._pass_on(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._pass_on(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _pass_on(self, method: str, params: Any) -> Generator[Any, Any, None]:
        handler = self.fm.features.get(method)
        if handler is not None:
            yield handler, (params,), None


def _request_type(protocol: LanguageServerProtocol, data: dict[str, Any]) -> type | None:
    """The lsprotocol type of a request to a known method; None for anything else."""
    is_request = "jsonrpc" in data and "method" in data and data.get("id") is not None
    return protocol.get_message_type(str(data["method"])) if is_request else None


def _json_names(problem: str) -> str:
    """cattrs names attributes the Python way (text_document); the client wrote textDocument."""
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), problem)
