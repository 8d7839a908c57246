"""Which findings a front end reports: the labels and confidence tiers asked for,
docstrings on or off, and what suppression comments leave.

`specloop check` and the language server both call `reported`, so the same settings and
the same ``# specloop: ignore`` comments give the same findings in a terminal and in an
editor.
"""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Tree

from specloop.analysis.ambiguity import Label
from specloop.analysis.findings import Finding
from specloop.analysis.specs import SpecKind
from specloop.analysis.suppressions import unsuppressed
from specloop.analysis.text import LineIndex
from specloop.analysis.tiers import reports
from specloop.defaults import Tiers


def reported(
    findings: Iterable[Finding],
    source: bytes,
    lines: LineIndex,
    tree: Tree | None = None,
    *,
    docstrings: bool = True,
    all_labels: bool = False,
    tiers: Tiers = Tiers.PRECISE,
) -> list[Finding]:
    """The findings to show: ambiguous ones of the confidence tiers asked for (every
    spec, whatever its label and tier, with ``all_labels``), stub docstrings only with
    ``docstrings``, none that a suppression comment silences."""
    wanted = [
        finding
        for finding in findings
        if (all_labels or (finding.label is Label.AMBIGUOUS and reports(finding.tier, tiers)))
        and (docstrings or finding.spec.kind is not SpecKind.DOCSTRING)
    ]
    return unsuppressed(wanted, source, lines, tree)
