"""Baselines: today's findings written down, so `specloop check --baseline` reports only new ones.

A finding's key is what survives edits around it: its file (relative to the baseline
file's folder, with ``/``), the dotted name of the function or class around it, its
code, and its text with whitespace collapsed. Line numbers are not part of it, so
findings that move keep matching. Identical keys are counted: with two identical TODOs
in one function baselined, a third is new.

The file is JSON, entries sorted by key, one key per entry, so that it is the same
whatever order files were checked in and a change to it diffs as the findings changed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specloop.check import Record

VERSION = 1
Key = tuple[str, str, str, str]
"""(path, symbol, code, normalised text)."""


def normalised(text: str) -> str:
    return " ".join(text.split())


def key_of(record: Record, folder: Path) -> Key:
    """``record``'s key with its path relative to ``folder`` (the baseline file's)."""
    relative = os.path.relpath(Path(record.path).absolute(), folder.absolute())
    return (Path(relative).as_posix(), record.symbol, record.code, normalised(record.text))


def baseline_text(records: Iterable[Record], folder: Path) -> str:
    """The baseline file for ``records``: sorted, counted, stable."""
    counts = Counter(key_of(record, folder) for record in records)
    entries = [
        {"path": path, "symbol": symbol, "code": code, "text": text, "count": count}
        for (path, symbol, code, text), count in sorted(counts.items())
    ]
    document = {"version": VERSION, "tool": "specloop", "findings": entries}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@dataclass
class Baseline:
    """A baseline file read back: how many findings of each key are still unmatched."""

    folder: Path
    remaining: Counter[Key]

    def is_known(self, record: Record) -> bool:
        """Whether ``record`` is one the baseline holds; each match uses one of its count."""
        key = key_of(record, self.folder)
        if self.remaining[key] > 0:
            self.remaining[key] -= 1
            return True
        return False

    def new_only(self, records: Iterable[Record]) -> Iterator[Record]:
        """The records beyond those the baseline knows, in their order."""
        return (record for record in records if not self.is_known(record))


def read_baseline(path: Path) -> Baseline | str:
    """The baseline at ``path``, or a sentence saying why it cannot be used."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return (
            f"the baseline {path} does not exist; write it first with "
            f"`specloop check --write-baseline {path} PATH...`"
        )
    except OSError as error:
        return f"the baseline {path} cannot be read ({error.strerror or error})"
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return f"the baseline {path} is not valid JSON ({error}); write it again"
    counts = _counts(document)
    if counts is None:
        return (
            f"the baseline {path} is not a specloop baseline (version {VERSION}); "
            "write it again with --write-baseline"
        )
    return Baseline(path.parent, Counter(counts))


def _counts(document: Any) -> dict[Key, int] | None:
    if not isinstance(document, dict) or document.get("version") != VERSION:
        return None
    entries = document.get("findings")
    if not isinstance(entries, list):
        return None
    counts: dict[Key, int] = {}
    for entry in entries:
        fields = ("path", "symbol", "code", "text")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in fields):
            return None
        count = entry.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return None
        key = (entry["path"], entry["symbol"], entry["code"], entry["text"])
        counts[key] = counts.get(key, 0) + count
    return counts
