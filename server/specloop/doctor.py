"""What an editor's health check needs to know, as one JSON-ready report (`specloop doctor`).

The settings are judged by the server's own validation (`config.load_settings`), the
isolation by the sandbox's own probe, and the model by the same rule the runs use: the
configured one, else the embedded one if it is installed. Every problem comes with the
fix, as a sentence.
"""

from __future__ import annotations

import json
from typing import Any

from specloop import __version__
from specloop.config import load_settings
from specloop.loop.local_model import INSTALL_HINT, local_model_available
from specloop.validate.sandbox import ENABLE_NAMESPACES, detect_isolation, refusal


def report(raw_settings: object) -> dict[str, Any]:
    """The health of specloop with ``raw_settings`` (the editor's settings object)."""
    loaded = load_settings(raw_settings)
    settings = loaded.settings
    isolation = detect_isolation()
    refused = refusal(isolation, settings.allow_unisolated)  # the runs' own rule
    model: dict[str, Any]
    if settings.model:
        model = {"ok": True, "configured": settings.model, "apiBase": settings.api_base}
    elif local_model_available():
        model = {
            "ok": True,
            "configured": None,
            "embedded": True,
            "note": "No model is configured: runs use the embedded model (SmolLM2-135M), "
            "which shows the loop end to end but is too small for real work; set `model` "
            "(and `apiBase`, `apiKeyEnv`) for that.",
        }
    else:
        model = {"ok": False, "configured": None, "embedded": False, "fix": INSTALL_HINT}
    return {
        "version": __version__,
        "settings": {
            "ok": not loaded.problems,
            "problems": [problem.sentence() for problem in loaded.problems],
        },
        "isolation": {
            "ok": refused is None,
            "level": isolation.level.value,
            "description": isolation.describe(),
            "fix": None if refused is None else ENABLE_NAMESPACES,
        },
        "model": model,
    }


def report_json(settings_json: str) -> str:
    """`report` for settings given as JSON text; invalid JSON is a settings problem."""
    try:
        raw: object = json.loads(settings_json) if settings_json.strip() else {}
    except json.JSONDecodeError as error:
        found = report({})
        found["settings"] = {"ok": False, "problems": [f"the settings are not JSON: {error}"]}
        return json.dumps(found)
    return json.dumps(report(raw))
