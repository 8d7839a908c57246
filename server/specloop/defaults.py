"""Product defaults and the names settings are made of: written once, importable at no cost.

The CLI's parser, the language server's start and the analysis read these without
loading pydantic and the settings model (`specloop.config`, about 80 ms), so
``initialize`` and ``specloop --help`` never wait for it.
"""

from __future__ import annotations

from enum import StrEnum

SETTINGS_SECTION = "specloop"
"""The editors' settings section (``specloop.*``) and ``[tool.specloop]``'s last part."""
SOURCE = "specloop"
"""The ``source`` of every diagnostic specloop publishes."""

DEFAULT_MARKERS = ("TODO", "FIXME", "XXX", "HACK")
DEFAULT_TEMPERATURE = 0.2
DEFAULT_MODEL_TIMEOUT_S = 120.0
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_MAX_QUESTIONS = 3
DEFAULT_CHECK_TIMEOUT_S = 30.0
"""Wall-clock seconds of each check; its CPU seconds are limited to the same number."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"


class Tiers(StrEnum):
    """Which confidence tiers of findings are reported (`specloop.analysis.tiers`)."""

    PRECISE = "precise"
    ALL = "all"
