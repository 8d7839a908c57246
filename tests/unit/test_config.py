"""Settings validation: bad keys are named and dropped, everything else is kept."""

from specloop.config import Settings, format_problems, load_settings
from specloop.defaults import Severity


def test_missing_settings_give_the_defaults():
    loaded = load_settings(None)
    assert loaded.settings == Settings()
    assert loaded.problems == ()


def test_camel_case_keys_are_read():
    loaded = load_settings(
        {"apiBase": "http://127.0.0.1:8000/v1", "apiKeyEnv": "MY_KEY", "maxAttempts": 5}
    )
    assert loaded.problems == ()
    assert loaded.settings.api_base == "http://127.0.0.1:8000/v1"
    assert loaded.settings.api_key_env == "MY_KEY"
    assert loaded.settings.max_attempts == 5


def test_a_bad_value_is_named_and_replaced_by_its_default_while_good_values_stay():
    loaded = load_settings({"diagnostics": {"severity": "loud", "enabled": False}, "model": "m"})
    assert [problem.key for problem in loaded.problems] == ["specloop.diagnostics.severity"]
    assert loaded.settings.diagnostics.severity is Severity.INFORMATION
    assert loaded.settings.diagnostics.enabled is False
    assert loaded.settings.model == "m"


def test_unknown_keys_are_reported_as_unknown():
    loaded = load_settings({"modle": "gpt", "diagnostics": {"colour": "red"}})
    reasons = {problem.key: problem.reason for problem in loaded.problems}
    assert reasons == {
        "specloop.modle": "unknown setting",
        "specloop.diagnostics.colour": "unknown setting",
    }


def test_several_problems_are_all_reported_in_one_message():
    loaded = load_settings({"temperature": 9, "maxAttempts": 0, "diagnostics": {"markers": [1]}})
    keys = [problem.key for problem in loaded.problems]
    assert sorted(keys) == [
        "specloop.diagnostics.markers.0",
        "specloop.maxAttempts",
        "specloop.temperature",
    ]
    message = format_problems(loaded.problems)
    for key in keys:
        assert key in message
    assert loaded.settings == Settings()


def test_an_api_key_env_must_be_a_variable_name_not_a_key():
    loaded = load_settings({"apiKeyEnv": "sk-live secret value"})
    assert [problem.key for problem in loaded.problems] == ["specloop.apiKeyEnv"]
    assert loaded.settings.api_key_env is None
    assert "sk-live" not in format_problems(loaded.problems)


def test_settings_that_are_not_an_object_fall_back_to_defaults():
    loaded = load_settings(["not", "an", "object"])
    assert loaded.settings == Settings()
    assert loaded.problems[0].key == "specloop"


def test_empty_lists_from_lua_tables_count_as_empty_objects():
    loaded = load_settings({"diagnostics": [], "stageModels": [], "model": "m"})
    assert loaded.problems == ()
    assert loaded.settings.model == "m"
    assert load_settings([]).problems == ()


def test_an_empty_list_where_a_list_is_expected_stays_a_list():
    loaded = load_settings({"diagnostics": {"markers": []}})
    assert loaded.problems == ()
    assert loaded.settings.diagnostics.markers == ()


def test_the_language_clients_own_keys_are_neither_settings_nor_problems():
    loaded = load_settings({"trace": {"server": "verbose"}, "maxAttempts": 4})
    assert loaded.problems == ()
    assert loaded.settings.max_attempts == 4
