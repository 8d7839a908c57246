"""The server's commands: their names and the target they act on, light enough for start-up.

The loop behind them (`loop_feature`) loads on first use; these are what the server
registers before then.
"""

from __future__ import annotations

import attrs
from lsprotocol import types

IMPLEMENT_COMMAND = "specloop.implement"
CLARIFY_COMMAND = "specloop.clarifyTodo"
LAST_RUN_COMMAND = "specloop.lastRunReport"
CHECK_PART_COMMAND = "specloop.checkPart"


@attrs.define
class CommandTarget:
    """What a code action's command is about: a document version and a cursor position."""

    uri: str
    version: int | None
    position: types.Position


@attrs.define
class PartTarget:
    """Part of a change under review: the document's whole text with only the kept hunks."""

    uri: str
    version: int | None
    text: str
