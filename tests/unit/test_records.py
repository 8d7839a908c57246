"""Run records: saved, listed and loaded from the runs directory, with secrets redacted."""

from pathlib import Path

import pytest

from specloop.loop import records
from specloop.loop.models import Exchange, LoopStatus, RunRecord, Stage
from specloop.secrets import REDACTED, Redactor


@pytest.fixture(autouse=True)
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "runs"
    monkeypatch.setenv(records.RUNS_DIR_VARIABLE, str(directory))
    return directory


def record_with(text: str, run_id: str = "20261124-000000-abcdef") -> RunRecord:
    exchange = Exchange(
        stage=Stage.PLAN,
        attempt=1,
        messages=[{"role": "user", "content": text}],
        response=text,
        duration_s=0.1,
    )
    return RunRecord(id=run_id, status=LoopStatus.VALIDATED, exchanges=[exchange], error=text)


def test_a_saved_record_loads_back_and_is_listed(runs_dir: Path):
    saved = records.save(record_with("hello"))
    assert saved.parent == runs_dir
    loaded = records.load("20261124-000000-abcdef")
    assert loaded is not None and loaded.exchanges[0].response == "hello"
    assert [record.id for record in records.list_records()] == ["20261124-000000-abcdef"]


def test_secret_environment_values_never_reach_the_file(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MY_SERVICE_API_KEY", "hunter2-very-secret")
    monkeypatch.setenv("CUSTOM_NAME", "custom-secret-value")
    text = "key hunter2-very-secret, custom custom-secret-value, sk-abcdefghijklmnop"
    path = records.save(record_with(text), Redactor.for_run(["CUSTOM_NAME"]))
    written = path.read_text()
    assert "hunter2-very-secret" not in written
    assert "custom-secret-value" not in written
    assert "sk-abcdefghijklmnop" not in written
    assert written.count(REDACTED) >= 3


def test_unknown_or_malformed_ids_are_not_found():
    assert records.load("nope") is None
    assert records.load("../etc/passwd") is None


def test_no_runs_lists_nothing():
    assert records.list_records() == []


def test_records_and_their_views_are_private_to_the_user(runs_dir: Path):
    path = records.save(record_with("code"))
    view = records.save_document("20261124-000000-abcdef", ".md", "# report")
    assert path.stat().st_mode & 0o777 == 0o600
    assert view.stat().st_mode & 0o777 == 0o600
    assert runs_dir.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in runs_dir.iterdir()) == [
        "20261124-000000-abcdef.json",
        "20261124-000000-abcdef.md",
    ]


def test_the_outcome_of_a_run_says_what_became_of_a_validated_change():
    from specloop.loop.models import LoopStatus, RunRecord
    from specloop.loop.summary import outcome_text

    record = RunRecord(id="r", status=LoopStatus.VALIDATED)
    assert outcome_text(record) == "validated"
    record.applied = False
    assert outcome_text(record) == "validated, not applied"
    record.applied = True
    assert outcome_text(record) == "validated, applied"
    assert outcome_text(RunRecord(id="r", status=LoopStatus.NEEDS_CLARIFICATION)) == (
        "needs clarification"
    )
