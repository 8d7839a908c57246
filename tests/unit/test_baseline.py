"""Baseline keys and files: stable under moves and re-ordering, counted for duplicates."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from specloop.baseline import Baseline, baseline_text, key_of, read_baseline
from specloop.check import Record


def record(path: str = "pkg/a.py", line: int = 3, text: str = "handle errors", symbol: str = "f"):
    return Record(
        path=path, line=line, column=5, end_line=line, end_column=30, code="ambiguous-todo",
        severity="information", message="m", label="ambiguous", symbol=symbol, text=text,
    )  # fmt: skip


def test_a_key_ignores_the_line_and_whitespace_and_is_relative_to_the_baseline(tmp_path: Path):
    folder = tmp_path / "project"
    moved = record(path=str(folder / "pkg" / "a.py"), line=40, text="handle   errors\n")
    assert key_of(moved, folder) == ("pkg/a.py", "f", "ambiguous-todo", "handle errors")
    assert key_of(record(path=str(tmp_path / "b.py")), folder)[0] == "../b.py"


def test_the_file_is_sorted_counted_and_the_same_in_any_order(tmp_path: Path):
    records = [
        record(path=str(tmp_path / "z.py")),
        record(path=str(tmp_path / "a.py"), symbol="g"),
        record(path=str(tmp_path / "a.py"), symbol="g", line=9),
    ]
    text = baseline_text(records, tmp_path)
    assert text == baseline_text(list(reversed(records)), tmp_path)
    entries = json.loads(text)["findings"]
    assert [(e["path"], e["count"]) for e in entries] == [("a.py", 2), ("z.py", 1)]


def test_only_findings_beyond_the_baseline_are_new(tmp_path: Path):
    old = [record(path=str(tmp_path / "a.py")), record(path=str(tmp_path / "a.py"), line=8)]
    path = tmp_path / "baseline.json"
    path.write_text(baseline_text(old, tmp_path))
    baseline = read_baseline(path)
    assert isinstance(baseline, Baseline)
    now = [
        replace(old[0], line=20),  # moved: known
        replace(old[1], line=21),  # its duplicate: known
        replace(old[1], line=22),  # a third copy: new
        record(path=str(tmp_path / "a.py"), text="fix it"),  # new text: new
        record(path=str(tmp_path / "a.py"), symbol="other"),  # moved to another function: new
    ]
    assert [r.line for r in baseline.new_only(now)] == [22, 3, 3]


def test_an_unusable_baseline_is_a_sentence(tmp_path: Path):
    missing = read_baseline(tmp_path / "nope.json")
    assert isinstance(missing, str) and "--write-baseline" in missing
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "not valid JSON" in str(read_baseline(broken))
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"version": 1, "findings": [{"path": 1}]}))
    assert "not a specloop baseline" in str(read_baseline(wrong))
