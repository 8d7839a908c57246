"""Run records on disk: one JSON file per run under the user cache directory.

Everything written here has been redacted: no API key, token or secret value
from the environment ever reaches a record.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from specloop.loop.llm import redact
from specloop.loop.models import RunRecord

RUNS_DIR_VARIABLE = "SPECLOOP_RUNS_DIR"
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
_MIN_SECRET_LENGTH = 6


def runs_dir() -> Path:
    override = os.environ.get(RUNS_DIR_VARIABLE)
    return Path(override) if override else platformdirs.user_cache_path("specloop") / "runs"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def environment_secrets(extra_names: Iterable[str] = ()) -> list[str]:
    """Values of environment variables that look secret (and of the named ones)."""
    names = {name for name in os.environ if _SECRET_NAME.search(name)} | set(extra_names)
    values = (os.environ.get(name, "") for name in names)
    return [value for value in values if len(value) >= _MIN_SECRET_LENGTH]


def save(record: RunRecord, secret_names: Iterable[str] = ()) -> Path:
    text = record.model_dump_json(indent=2)
    return save_document(record.id, ".json", text, secret_names)


def save_document(run_id: str, suffix: str, text: str, secret_names: Iterable[str] = ()) -> Path:
    """Write a run's record, or a view of it (``.md`` report, ``.diff``), redacted.

    Records hold code and prompts: they are created readable by the user alone.
    """
    directory = runs_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{run_id}{suffix}"
    temporary = path.with_name(f".{path.name}.tmp")
    data = redact(text, environment_secrets(secret_names)).encode("utf-8")
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
