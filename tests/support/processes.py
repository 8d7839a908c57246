"""Processes as /proc shows them: a server's descendants, processes naming a marker, memory."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

MODEL_CLIENT = b"specloop.loop.model_worker"


def processes_under(pid: int, with_model_client: bool = False) -> list[int]:
    """Every descendant of ``pid`` (children, their children, ...); without specloop's
    model client process (`loop/model_worker.py`, which lives as long as specloop does)
    unless ``with_model_client``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    if with_model_client:
        return found
    clients = set(processes_with(MODEL_CLIENT))
    return [child for child in found if child not in clients]


def processes_with(needle: bytes) -> list[int]:
    """Processes whose command line contains ``needle``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if needle in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
    return found


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """``field`` (VmRSS now, VmHWM at its peak) of ``pid`` in MB; 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(rf"^{field}:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0
