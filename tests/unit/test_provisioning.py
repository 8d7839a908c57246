"""Settings into what a run needs, with the defaults written once; CLI flags into settings."""

from __future__ import annotations

import pytest

from specloop.config import Settings
from specloop.implement import ImplementOptions, UsageError, settings_from_flags
from specloop.loop import provisioning
from specloop.loop.models import Stage
from specloop.loop.provisioning import ModelProvider


def test_a_configured_model_needs_no_embedded_one():
    settings = Settings(
        model="openai/m",
        api_base="http://127.0.0.1:1/v1",
        api_key_env="MY_KEY",
        temperature=0.7,
        timeout=9,
        stage_models={"generate": "openai/big"},
    )
    config = provisioning.configured_model(settings)
    assert config is not None
    assert (config.model, config.api_base, config.api_key_env) == (
        "openai/m",
        "http://127.0.0.1:1/v1",
        "MY_KEY",
    )
    assert (config.temperature, config.timeout_s) == (0.7, 9)
    assert config.model_for(Stage.GENERATE) == "openai/big"
    assert config.model_for(Stage.PLAN) == "openai/m"
    assert provisioning.secret_names(settings) == ("MY_KEY",)
    assert provisioning.configured_model(Settings()) is None


async def test_the_provider_hands_out_the_configured_model_without_starting_anything():
    async with ModelProvider() as provider:
        config = await provider.config(Settings(model="openai/m"))
        assert config.model == "openai/m"
        assert not provider.embedded_running


def test_budget_and_limits_follow_the_settings():
    settings = Settings(max_attempts=5, check_timeout=12.5)
    assert provisioning.budget(settings).max_attempts == 5
    limits = provisioning.sandbox_limits(settings)
    assert (limits.wall_s, limits.cpu_s) == (12.5, 12)


def test_flags_default_to_the_settings_defaults(monkeypatch: pytest.MonkeyPatch):
    for variable in ("SPECLOOP_MODEL", "SPECLOOP_API_BASE", "SPECLOOP_API_KEY_ENV"):
        monkeypatch.delenv(variable, raising=False)
    assert settings_from_flags(ImplementOptions(target="x.py:1")) == Settings()


def test_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPECLOOP_MODEL", "openai/from-env")
    monkeypatch.setenv("SPECLOOP_API_BASE", "http://env/v1")
    options = ImplementOptions(
        target="x.py:1",
        flags={"model": "openai/flag", "temperature": 0.0, "max_attempts": None},
        stage_models=("plan=openai/planner",),
    )
    settings = settings_from_flags(options)
    assert (settings.model, settings.api_base) == ("openai/flag", "http://env/v1")
    assert settings.temperature == 0.0
    assert settings.max_attempts == Settings().max_attempts
    assert settings.stage_models.plan == "openai/planner"


@pytest.mark.parametrize(
    ("flags", "stage_models", "message"),
    [
        ({"max_attempts": 11}, (), "--max-attempts"),
        ({"temperature": 3.0}, (), "--temperature"),
        ({"api_key_env": "not a name"}, (), "--api-key-env"),
        ({}, ("build=openai/x",), "STAGE=MODEL"),
    ],
)
def test_bad_flags_are_usage_errors_that_name_the_flag(flags, stage_models, message):
    with pytest.raises(UsageError, match=message):
        settings_from_flags(ImplementOptions("x.py:1", flags=flags, stage_models=stage_models))


def test_samples_default_to_three_with_a_model_and_one_embedded():
    assert provisioning.samples(Settings(model="openai/m")) == 3
    assert provisioning.samples(Settings()) == 1
    assert provisioning.samples(Settings(samples=5)) == 5
    assert provisioning.samples(Settings(model="openai/m", samples=1)) == 1


def test_comparison_settings_come_from_the_editor_and_the_command_line():
    from specloop.config import load_settings

    loaded = load_settings({"samples": 4, "maxQuestions": 1, "noAssume": True})
    assert not loaded.problems
    settings = loaded.settings
    assert (settings.samples, settings.max_questions, settings.no_assume) == (4, 1, True)
    assert [problem.key for problem in load_settings({"samples": 0}).problems] == [
        "specloop.samples"
    ]
    flags = {"samples": 2, "max_questions": 0, "no_assume": True}
    from_flags = settings_from_flags(ImplementOptions(target="x.py:1", flags=flags))
    assert (from_flags.samples, from_flags.max_questions, from_flags.no_assume) == (2, 0, True)


def test_a_run_with_the_embedded_model_ends_within_a_minute():
    assert provisioning.budget(Settings()).deadline_s == provisioning.EMBEDDED_DEADLINE_S == 60
    assert provisioning.budget(Settings(model="openai/m")).deadline_s > 60
