"""Run records on disk: one JSON file per run under the user cache directory.

Everything written here goes through the run's `Redactor` first: no API key, token or
secret value (from the environment or the project's secret files) reaches a record.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from specloop.loop.models import RunRecord
from specloop.secrets import Redactor

RUNS_DIR_VARIABLE = "SPECLOOP_RUNS_DIR"


def runs_dir() -> Path:
    override = os.environ.get(RUNS_DIR_VARIABLE)
    return Path(override) if override else platformdirs.user_cache_path("specloop") / "runs"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def save(record: RunRecord, redactor: Redactor | None = None) -> Path:
    text = record.model_dump_json(indent=2)
    return save_document(record.id, ".json", text, redactor)


def save_document(run_id: str, suffix: str, text: str, redactor: Redactor | None = None) -> Path:
    """Write a run's record, or a view of it (``.md`` report, ``.diff``), redacted.

    Records hold code and prompts: they are created readable by the user alone.
    """
    directory = runs_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{run_id}{suffix}"
    temporary = path.with_name(f".{path.name}.tmp")
    data = (redactor or Redactor.for_run()).redact(text).encode("utf-8")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
    return path


def load(run_id: str) -> RunRecord | None:
    path = runs_dir() / f"{run_id}.json"
    if not re.fullmatch(r"[\w\-]+", run_id) or not path.is_file():
        return None
    return RunRecord.model_validate_json(path.read_text(encoding="utf-8"))


def list_records(limit: int = 50) -> list[RunRecord]:
    directory = runs_dir()
    if not directory.is_dir():
        return []
    paths = sorted(directory.glob("*.json"), reverse=True)[:limit]
    records = []
    for path in paths:
        try:
            records.append(RunRecord.model_validate_json(path.read_text(encoding="utf-8")))
        except ValueError:
            continue  # A record from an incompatible version: skip it rather than fail.
    return records
