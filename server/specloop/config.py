"""The one Settings model: what a user can configure, with defaults everywhere.

Editors send settings as camelCase JSON (``initializationOptions`` and the
``specloop`` section of ``workspace/configuration``). ``load_settings`` never
fails: a bad or unknown key is reported by its dotted name and dropped, so the
rest of the user's settings and the defaults for the bad keys still apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from specloop.analysis.paths import checked_pattern
from specloop.defaults import (
    DEFAULT_CHECK_TIMEOUT_S,
    DEFAULT_MARKERS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_QUESTIONS,
    DEFAULT_MODEL_TIMEOUT_S,
    DEFAULT_TEMPERATURE,
    SETTINGS_SECTION,
    Severity,
    Tiers,
)

# Keys a language client keeps in the same section for itself (VS Code's
# `specloop.trace.server`, `specloop.review`): not the server's settings, and not mistakes either.
CLIENT_KEYS = frozenset({"trace", "review"})


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class DiagnosticsSettings(_Model):
    enabled: bool = True
    severity: Severity = Severity.INFORMATION
    markers: tuple[str, ...] = DEFAULT_MARKERS
    exclude: tuple[Annotated[str, AfterValidator(checked_pattern)], ...] = ()
    docstrings: bool = Field(default=True, description="Also flag ambiguous stub docstrings.")
    tiers: Tiers = Field(
        default=Tiers.PRECISE,
        description="Confidence tiers reported: `precise` (the default tier) or `all` (adds "
        "the broad tier, one severity step quieter).",
    )


PROJECT_TABLE = "tool.specloop"
PROJECT_KEYS = ("markers", "exclude", "severity", "tiers", "docstrings")
"""The keys of ``[tool.specloop]``: the diagnostics settings a project may set."""


class StageModels(_Model):
    clarify: str | None = None
    plan: str | None = None
    generate: str | None = None


class Settings(_Model):
    diagnostics: DiagnosticsSettings = DiagnosticsSettings()
    model: str | None = None
    api_base: str | None = None
    api_key_env: str | None = Field(
        default=None,
        description="Name of the environment variable that holds the API key, never the key.",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
    )
    temperature: float = Field(
        default=DEFAULT_TEMPERATURE, ge=0.0, le=2.0, description="Sampling temperature."
    )
    stage_models: StageModels = StageModels()
    max_attempts: int = Field(
        default=DEFAULT_MAX_ATTEMPTS,
        ge=1,
        le=10,
        description="Generate/validate attempts before giving up.",
    )
    timeout: float = Field(
        default=DEFAULT_MODEL_TIMEOUT_S,
        gt=0,
        le=3600,
        description="Seconds each model call may take.",
    )
    check_timeout: float = Field(
        default=DEFAULT_CHECK_TIMEOUT_S,
        gt=0,
        le=3600,
        description="Wall-clock seconds each validation check may run.",
    )
    question_timeout: float = Field(
        default=600.0,
        gt=0,
        le=86_400,
        description="Seconds the editor waits for an answer to a question before going on as "
        "if it was dismissed (the stated assumption, or nothing applied), and saying so.",
    )
    review_plan: bool = Field(
        default=False, description="Show the plan and wait for it to be accepted before generating."
    )
    max_document_megabytes: float = Field(
        default=5.0,
        gt=0,
        le=1000,
        description="Larger documents are tracked but not analysed (no diagnostics, symbols "
        "or code actions), so the server stays responsive.",
    )
    allow_unisolated: bool = Field(
        default=False,
        description="Run generated code even where the namespace sandbox is not available "
        "(with Landlock where the kernel has it); every result says which isolation ran.",
    )
    samples: int | None = Field(
        default=None,
        ge=1,
        le=8,
        description="Candidates to generate and compare by behaviour; unset: 3 with a "
        "configured model, 1 with the embedded one.",
    )
    max_questions: int = Field(
        default=DEFAULT_MAX_QUESTIONS,
        ge=0,
        le=10,
        description="Questions about behaviour per run: inputs on which the samples disagree, "
        "and cases to confirm when nothing else checks the code.",
    )
    no_assume: bool = Field(
        default=False,
        description="When samples disagree and nobody answers, stop with needs_clarification "
        "instead of taking the majority behaviour.",
    )
    python: str | None = Field(
        default=None,
        description="The project's Python (an interpreter or a virtual environment) that runs "
        "the checks; unset: VIRTUAL_ENV, .venv or venv in the project, PDM's or Poetry's "
        "environment, else specloop's own.",
    )
    server_command: tuple[str, ...] = Field(
        default=(), description="Read by editor clients to start the server; unused by the server."
    )
    interpreter: str | None = Field(
        default=None,
        description="Read by editor clients: the Python that runs `-m specloop serve`; unused "
        "by the server.",
    )


@dataclass(frozen=True)
class SettingsProblem:
    """One rejected setting: its dotted key (``specloop.diagnostics.severity``) and why."""

    key: str
    reason: str

    def sentence(self) -> str:
        return f"{self.key}: {self.reason}"


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    problems: tuple[SettingsProblem, ...]


def load_settings(raw: object) -> LoadedSettings:
    """Validate raw client settings; drop what is invalid and say which keys were dropped."""
    raw = _empty_lists_as_objects(raw, Settings)
    if raw is None:
        return LoadedSettings(Settings(), ())
    if not isinstance(raw, Mapping):
        problem = SettingsProblem(SETTINGS_SECTION, f"expected an object, got {_kind(raw)}")
        return LoadedSettings(Settings(), (problem,))

    data: dict[str, Any] = {
        key: value for key, value in _deep_copy(raw).items() if key not in CLIENT_KEYS
    }
    settings, problems = _validated(Settings, data, SETTINGS_SECTION)
    return LoadedSettings(settings, problems)


@dataclass(frozen=True)
class LoadedProjectSettings:
    """A ``[tool.specloop]`` table, validated: only the keys it set, and what was dropped."""

    values: dict[str, Any]
    problems: tuple[SettingsProblem, ...]


def load_project_settings(raw: object) -> LoadedProjectSettings:
    """Validate a ``[tool.specloop]`` table with the diagnostics settings' own rules.

    Keys are those of `PROJECT_KEYS`; anything else is named as an unknown key. Like
    `load_settings`, it never fails: bad keys are dropped and named.
    """
    if not isinstance(raw, Mapping):
        problem = SettingsProblem(PROJECT_TABLE, f"expected a table, got {_kind(raw)}")
        return LoadedProjectSettings({}, (problem,))
    data = _deep_copy(raw)
    problems = [
        SettingsProblem(f"{PROJECT_TABLE}.{key}", "unknown key")
        for key in data
        if key not in PROJECT_KEYS
    ]
    data = {key: value for key, value in data.items() if key in PROJECT_KEYS}
    settings, rejected = _validated(DiagnosticsSettings, data, PROJECT_TABLE)
    values = {key: getattr(settings, key) for key in settings.model_fields_set}
    return LoadedProjectSettings(values, (*problems, *rejected))


def merged_diagnostics(
    project: Mapping[str, Any], editor: DiagnosticsSettings
) -> DiagnosticsSettings:
    """The project's values under the editor's: an editor value overrides the project's
    when it differs from specloop's default (editors such as VS Code send every setting,
    defaults included, so a default cannot tell "set" from "left alone"). ``exclude`` is
    not read from the result: each side's patterns are matched against its own folder."""
    defaults = DiagnosticsSettings()
    chosen = dict(project)
    for key in DiagnosticsSettings.model_fields:
        value = getattr(editor, key)
        if value != getattr(defaults, key) or key not in chosen:
            chosen[key] = value
    return DiagnosticsSettings.model_validate(chosen)


_M = TypeVar("_M", bound=BaseModel)


def _validated(
    model: type[_M], data: dict[str, Any], prefix: str
) -> tuple[_M, tuple[SettingsProblem, ...]]:
    problems: list[SettingsProblem] = []
    # Each pass removes every key pydantic rejected; nested objects can surface
    # new errors only once their bad children are gone, so a few passes suffice.
    for _ in range(8):
        try:
            return model.model_validate(data), tuple(problems)
        except ValidationError as error:
            for detail in error.errors():
                location = tuple(str(part) for part in detail["loc"])
                problems.append(SettingsProblem(_dotted(location, prefix), _reason(detail)))
                _remove(data, location)
    return model(), tuple(problems)


def format_problems(problems: tuple[SettingsProblem, ...]) -> str:
    """One message for the user naming every rejected key."""
    listed = "; ".join(problem.sentence() for problem in problems)
    return f"specloop ignored invalid settings and used the defaults for them: {listed}."


def _empty_lists_as_objects(value: object, model: type[BaseModel]) -> object:
    """Lua cannot tell {} from []: read an empty list where an object is expected as {}."""
    if value == []:
        return {}
    if not isinstance(value, Mapping):
        return value
    fields = {info.alias or name: info.annotation for name, info in model.model_fields.items()}
    fixed: dict[str, Any] = {}
    for key, item in value.items():
        annotation = fields.get(str(key))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            item = _empty_lists_as_objects(item, annotation)
        fixed[str(key)] = item
    return fixed


def _reason(detail: Mapping[str, Any]) -> str:
    if detail["type"] == "extra_forbidden":
        return "unknown setting"
    message = str(detail["msg"])
    return message[0].lower() + message[1:]


def _dotted(location: tuple[str, ...], prefix: str = SETTINGS_SECTION) -> str:
    # Indices of list items stay in the key ("markers.2") so a user can find the entry.
    return ".".join((prefix, *location))


def _remove(data: dict[str, Any], location: tuple[str, ...]) -> None:
    """Delete the value at ``location``; a bad list item removes its whole list."""
    node: Any = data
    for depth, part in enumerate(location):
        if isinstance(node, dict) and part in node:
            if depth == len(location) - 1 or not isinstance(node[part], dict):
                del node[part]
                return
            node = node[part]
        else:
            return


def _deep_copy(value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(key): _deep_copy(item) if isinstance(item, Mapping) else item
        for key, item in value.items()
    }


def _kind(value: object) -> str:
    return type(value).__name__
