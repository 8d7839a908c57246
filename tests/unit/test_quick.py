"""Diagnostics before the full parse agree with the full analysis, on real files."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

from specloop.analysis.findings import ambiguous, find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.quick import quick_findings
from specloop.analysis.specs import SpecKind
from specloop.analysis.text import LineIndex


def comparable(findings):
    return [
        (f.spec.start, f.spec.end, f.message, f.facets_data())
        for f in ambiguous(findings)
        if f.spec.kind is SpecKind.COMMENT
    ]


def test_a_method_s_todo_is_read_with_its_method_only():
    source = (
        b"class A:\n"
        b"    x = 1\n"
        b"\n"
        b"    @property\n"
        b"    def total(self):\n"
        b"        # TODO: handle errors\n"
        b"        return self.x\n"
        b"\n"
        b"    def other(self):\n"
        b"        return 2\n"
        b"# TODO: maybe cache this?\n"
        b"CACHE = {}\r\n"
    )
    lines = LineIndex.of(source)
    quick = quick_findings(source, lines)
    full = find_specs(source, parse(source), lines)
    assert comparable(quick) == comparable(full)
    assert [source[f.spec.start : f.spec.end] for f in quick] == [
        b"# TODO: handle errors",
        b"# TODO: maybe cache this?",
    ]


def test_a_marker_repeated_on_each_line_of_a_sentence_is_one_finding_here_too():
    source = (
        b"# TODO: this should be made more robust with\n"
        b"# TODO: respect to names and faster.\n"
        b"X = 1\n"
    )
    lines = LineIndex.of(source)
    quick = quick_findings(source, lines)
    assert comparable(quick) == comparable(find_specs(source, parse(source), lines))
    assert len(quick) == 1


def test_agrees_with_the_full_analysis_on_real_files():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(path for path in stdlib.glob("**/*.py") if "site-packages" not in path.parts)
    checked = mismatched = 0
    for path in random.Random(5).sample(files, min(600, len(files))):
        source = path.read_bytes()
        if b"TODO" not in source and b"FIXME" not in source and b"XXX" not in source:
            continue
        lines = LineIndex.of(source)
        full = comparable(find_specs(source, parse(source), lines))
        if not full:
            continue
        checked += 1
        quick = comparable(quick_findings(source, lines))
        mismatched += quick != full
    assert checked > 20, "the sample should hold files with ambiguous TODOs"
    # The full analysis corrects what the quick one misreads; it should be rare.
    assert mismatched == 0, f"{mismatched} of {checked} files differ"
