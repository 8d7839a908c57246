"""The VS Code extension's contributed settings mirror the server's Settings model.

package.json declares every `specloop.*` setting VS Code shows and validates; the
server's pydantic model is the one definition of what each means. This test reads both
and fails on any drift: a setting one side lacks, or a different type, default, enum,
bound or pattern. Nested models become dotted settings (`diagnostics.severity`), except
where package.json contributes the whole object (`stageModels`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specloop.config import Settings

PACKAGE = Path(__file__).resolve().parents[2] / "client-vscode" / "package.json"
# Settings of the language client library and of the extension itself, not of the server.
CLIENT_ONLY = {"specloop.trace.server", "specloop.review"}
COMPARED = ("type", "default", "enum", "minimum", "maximum", "exclusiveMinimum", "pattern")


def contributed() -> dict[str, dict[str, Any]]:
    package = json.loads(PACKAGE.read_text(encoding="utf-8"))
    properties: dict[str, dict[str, Any]] = package["contributes"]["configuration"]["properties"]
    return {key: value for key, value in properties.items() if key not in CLIENT_ONLY}


def server_settings() -> dict[str, dict[str, Any]]:
    """Each server setting as the JSON schema VS Code would need, keyed `specloop.<dotted>`."""
    schema = Settings.model_json_schema(by_alias=True)
    definitions = schema["$defs"]
    objects = {key for key, value in contributed().items() if value.get("type") == "object"}
    flat: dict[str, dict[str, Any]] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            key = f"{prefix}{name}"
            reference = spec.get("$ref", "").removeprefix("#/$defs/")
            nested = definitions.get(reference, {})
            if nested.get("type") == "object" and key not in objects:
                walk(nested["properties"], f"{key}.")
            else:
                flat[key] = normalised(spec, nested)

    walk(schema["properties"], "specloop.")
    return flat


def normalised(spec: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """pydantic's schema of one field in the shape package.json uses."""
    merged = {**definition, **{k: v for k, v in spec.items() if k != "$ref"}}
    if "anyOf" in merged:  # `X | None`
        kinds = [option for option in merged.pop("anyOf")]
        merged["type"] = [option["type"] for option in kinds]
        for option in kinds:
            merged.update({k: v for k, v in option.items() if k != "type"})
    if merged.get("type") == "object":
        merged["default"] = {k: v for k, v in merged.get("default", {}).items() if v is not None}
    return {key: merged[key] for key in COMPARED if key in merged}


def test_every_server_setting_is_contributed_and_nothing_else():
    assert sorted(contributed()) == sorted(server_settings())


@pytest.mark.parametrize("key", sorted(server_settings()))
def test_each_setting_has_the_servers_type_default_and_bounds(key: str):
    declared = contributed()[key]
    assert {k: declared[k] for k in COMPARED if k in declared} == server_settings()[key]


@pytest.mark.parametrize("key", sorted(contributed()))
def test_each_setting_is_described(key: str):
    declared = contributed()[key]
    assert len(declared.get("markdownDescription") or declared.get("description") or "") > 20


def test_object_settings_list_the_servers_fields():
    schema = Settings.model_json_schema(by_alias=True)
    declared = contributed()["specloop.stageModels"]
    assert sorted(declared["properties"]) == sorted(schema["$defs"]["StageModels"]["properties"])
    assert declared["additionalProperties"] is False
