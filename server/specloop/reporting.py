"""Output formats of `specloop check`: text lines, JSON, and SARIF 2.1.0."""

from __future__ import annotations

import json
import unicodedata
import urllib.parse
from collections.abc import Sequence
from typing import Any

from specloop import __version__
from specloop.analysis.findings import CODE, documentation_uri
from specloop.check import Record, Skipped

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVELS = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def text_line(record: Record) -> str:
    """``path:line:column: code message``; the path made safe to print. A broad-tier
    finding (shown with ``--all-tiers``) says so after its code."""
    code = record.code if record.label == "ambiguous" else f"[{record.label}]"
    if record.label == "ambiguous" and record.tier == "broad":
        code = f"{code} (broad tier)"
    return f"{printable(record.path)}:{record.line}:{record.column}: {code} {record.message}"


def printable(path: str) -> str:
    """A path as a terminal shows it safely: control characters (even an escape) spelled out."""
    return "".join(
        repr(char)[1:-1] if unicodedata.category(char) in ("Cc", "Cf") else char for char in path
    )


def json_report(records: Sequence[Record]) -> str:
    return json.dumps([_json_record(record) for record in records], indent=2) + "\n"


def _json_record(record: Record) -> dict[str, Any]:
    return {
        "path": record.path,
        "line": record.line,
        "column": record.column,
        "endLine": record.end_line,
        "endColumn": record.end_column,
        "code": record.code,
        "severity": record.severity,
        "message": record.message,
        "facets": record.facets,
        "label": record.label,
        "tier": record.tier,
    }


def sarif_report(records: Sequence[Record], skipped: Sequence[Skipped]) -> str:
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "specloop",
                "version": __version__,
                "informationUri": documentation_uri(),
                "rules": [
                    {
                        "id": CODE,
                        "name": "AmbiguousTodo",
                        "shortDescription": {"text": "Ambiguous TODO or stub specification"},
                        "fullDescription": {
                            "text": "A TODO comment or stub docstring that leaves what to do, "
                            "its target, its values, its done-criterion or a choice open."
                        },
                        "helpUri": documentation_uri(),
                        "defaultConfiguration": {"level": "note"},
                    }
                ],
            }
        },
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The checked directory"}}},
        "results": [_sarif_result(record) for record in records],
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "message": {"text": f"{item.path} {item.reason}"},
                        "locations": [_location(item.path)],
                    }
                    for item in skipped
                ],
            }
        ],
    }
    report = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(report, indent=2) + "\n"


def _sarif_result(record: Record) -> dict[str, Any]:
    location = _location(record.path)
    location["physicalLocation"]["region"] = {
        "startLine": record.line,
        "startColumn": record.column,
        "endLine": record.end_line,
        "endColumn": record.end_column,
    }
    return {
        "ruleId": record.code,
        "ruleIndex": 0,
        "level": _SARIF_LEVELS[record.severity] if record.label == "ambiguous" else "none",
        "kind": "fail" if record.label == "ambiguous" else "informational",
        "message": {"text": record.message},
        "locations": [location],
        "properties": {"label": record.label, "tier": record.tier, "facets": record.facets},
    }


def _location(path: str) -> dict[str, Any]:
    # SARIF locations are URI references: spaces, '#', '%' and the rest percent-encoded.
    uri = urllib.parse.quote(path, safe="/")
    return {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "SRCROOT"}}}
