"""A scripted model that answers by stage: the replies the loop's stages ask for, by schema.

The loop asks for one JSON schema per stage (Clarification, Plan, GeneratedTests,
Candidate). `StageScript` answers each request with a queued reply for its schema, or
the schema's default, so a test scripts "the first Candidate is wrong" rather than a
call order. The task is `discount` in `pricing.py`, with an existing test and spec tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any

from tests.support.scripted_llm import Reply

_CANDIDATE = re.compile(r"This is candidate (\d+);")

MODULE = '''\
def discount(total: int) -> int:
    """Return 10% off totals of 100 or more, rounded down; smaller totals are unchanged.

    >>> discount(200)
    180
    """
    # TODO: raise ValueError when total is negative
    ...
'''
TODO_LINE = 7
AMBIGUOUS_MODULE = MODULE.replace("raise ValueError when total is negative", "handle errors")
EXISTING_TEST = """\
from pricing import discount


def test_small_totals_are_unchanged():
    assert discount(50) == 50
"""
CORRECT = '''\
def discount(total: int) -> int:
    """Return 10% off totals of 100 or more, rounded down; smaller totals are unchanged.

    >>> discount(200)
    180
    """
    if total < 0:
        raise ValueError("total must not be negative")
    if total >= 100:
        return total * 9 // 10
    return total
'''
WRONG = CORRECT.replace("total * 9 // 10", "total")
DOCSTRING_LINE = "    Negative totals raise ValueError."
TWO_HUNKS = CORRECT.replace("unchanged.\n\n", f"unchanged.\n\n{DOCSTRING_LINE}\n\n", 1)
"""The right code and a line added to its docstring: from AMBIGUOUS_MODULE, two hunks."""
LOOPS_FOREVER = CORRECT.replace(
    "    if total < 0:", "    while True:\n        pass\n    if total < 0:"
)
SLOW = CORRECT.replace(
    "    if total < 0:", "    import time\n    time.sleep(60)\n    if total < 0:"
)
DOES_NOT_PARSE = "def discount(total: int) -> int:\n    return (total\n"
PLAN = {
    "steps": ["Reject negative totals with ValueError", "Apply 10% off from 100 up"],
    "touched_symbols": ["discount"],
    "checks": ["negative raises", "200 -> 180", "50 unchanged"],
}
SPEC_TESTS = """\
import pytest

from pricing import discount


def test_negative_totals_are_rejected():
    with pytest.raises(ValueError):
        discount(-1)
"""
QUESTION = {
    "id": "q1",
    "text": "What should happen for a negative total?",
    "options": ["raise ValueError", "return 0"],
    "assumption": "raise ValueError",
}
HIDDEN_TESTS = """\
import pytest

from pricing import discount


def test_hidden():
    assert discount(200) == 180
    assert discount(99) == 99
    assert discount(0) == 0
    with pytest.raises(ValueError):
        discount(-5)
"""


def candidate(code: str) -> Reply:
    return Reply.json({"code": code, "imports": []})


class StageScript:
    """Replies by requested schema: queued replies first, then a default per schema."""

    def __init__(self, **queued: list[Reply]) -> None:
        self.queued = {name: deque(replies) for name, replies in queued.items()}
        self._lock = threading.Lock()
        self._assigned: dict[int, Reply] = {}
        """Candidate number -> its reply (`_candidate`)."""
        self.defaults = {
            "Clarification": Reply.json({"needed": True, "questions": [QUESTION]}),
            "Plan": Reply.json(PLAN),
            "GeneratedTests": Reply.json({"code": SPEC_TESTS}),
            "Candidate": candidate(CORRECT),
        }

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self._lock:  # the scripted server answers requests side by side
            name = schema_name(body)
            if name == "Candidate":
                return self._candidate(body)
            queue = self.queued.get(name)
            if queue:
                return queue.popleft()
            return self.defaults[name]

    def _candidate(self, body: dict[str, Any]) -> Reply:
        """The queued Candidate replies, in the order of the candidates' numbers (named in
        the prompt), as if they had been asked for one after another: samples are asked
        for side by side, so the order their requests arrive in says nothing. A repeated
        request for a candidate (a retry) takes the next reply in the queue."""
        found = _CANDIDATE.search(json.dumps(body.get("messages", [])))
        number = int(found.group(1)) if found else 0
        if number == 0 or number in self._assigned:
            return self._next_candidate()
        for earlier in range(1, number + 1):
            if earlier not in self._assigned:
                self._assigned[earlier] = self._next_candidate()
        return self._assigned[number]

    def _next_candidate(self) -> Reply:
        queue = self.queued.get("Candidate")
        return queue.popleft() if queue else self.defaults["Candidate"]


def schema_name(body: dict[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    return str(response_format.get("json_schema", {}).get("name", ""))


def write_project(root: Path, module: str) -> Path:
    """The task's project in ``root``: pricing.py holding ``module``, and a test of it."""
    (root / "tests").mkdir(parents=True)
    (root / "pricing.py").write_text(module, encoding="utf-8")
    (root / "tests" / "test_pricing.py").write_text(EXISTING_TEST, encoding="utf-8")
    return root


def passes_hidden_tests(judge: Path, text: str) -> subprocess.CompletedProcess[str]:
    """Run the task's hidden tests against ``text`` (pricing.py) in the folder ``judge``."""
    judge.mkdir(exist_ok=True)
    (judge / "pricing.py").write_text(text, encoding="utf-8")
    (judge / "test_hidden.py").write_text(HIDDEN_TESTS, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(judge)],
        capture_output=True,
        text=True,
        cwd=judge,
        timeout=120,
        check=False,
    )
