"""Specs with their assessment: the one pipeline behind diagnostics and `specloop check`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tree_sitter import Tree

from specloop.analysis.ambiguity import Assessment, Label, assess, describe
from specloop.analysis.specs import Spec, SpecKind, extract_specs
from specloop.analysis.text import LineIndex
from specloop.analysis.tiers import Tier, tier_of
from specloop.defaults import DEFAULT_MARKERS

CODE = "ambiguous-todo"
DOCUMENT = "docs/diagnostics.md"
"""What the rule means; a wheel carries it in the package, as ``specloop/docs/diagnostics.md``."""
ANCHOR = "ambiguous-todo-diagnostics"


@dataclass(frozen=True, slots=True)
class Finding:
    spec: Spec
    assessment: Assessment
    message: str
    tier: Tier = Tier.PRECISE
    """How far the flag can be trusted (`specloop.analysis.tiers`)."""

    @property
    def label(self) -> Label:
        return self.assessment.label

    def data(self) -> dict[str, object]:
        """What a diagnostic carries for clients: label, tier and facets."""
        return {"label": self.label.value, "tier": self.tier.value, "facets": self.facets_data()}

    def facets_data(self) -> list[dict[str, str]]:
        return [
            {"kind": facet.kind.value, "trigger": facet.trigger, "question": facet.question}
            for facet in self.assessment.facets
        ]


def find_specs(
    source: bytes,
    tree: Tree,
    lines: LineIndex,
    markers: Iterable[str] = DEFAULT_MARKERS,
    limit: int | None = None,
    path: str | None = None,
) -> list[Finding]:
    """Every spec of a module with its label and tier (``limit``: see `extract_specs`;
    ``path``: the module's file, relative to its project where known, for `tier_of`).

    A type stub file (``.pyi``) has only its comments read: every function there has a
    placeholder body by design, so its docstrings document and ask for nothing."""
    findings = []
    type_stubs = path is not None and path.endswith(".pyi")
    for spec in extract_specs(source, tree, lines, markers, limit):
        if type_stubs and spec.kind is SpecKind.DOCSTRING:
            continue
        assessment = assess(spec)
        tier = tier_of(assessment, spec, path)
        findings.append(Finding(spec, assessment, describe(assessment, spec), tier))
    return findings


def ambiguous(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.label is Label.AMBIGUOUS]


@cache
def documentation_uri() -> str:
    """Where the rule is explained: docs/diagnostics.md, in the installed package (a wheel
    carries it) or in the checkout specloop runs from."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / DOCUMENT, package.parent.parent / DOCUMENT):
        if candidate.is_file():
            return f"{candidate.as_uri()}#{ANCHOR}"
    return f"https://pypi.org/project/specloop/#{ANCHOR}"
