"""The ambiguity detector: labels a spec ambiguous / clear / note and explains why.

It follows the rubric in DESIGN.md §6. Offline, a few microseconds a spec, and
explainable: every ambiguous label lists its *facets* (what / target / values /
done / choice), the words that triggered each, and the clarifying question
that would resolve it. The spec is read with its code: a bare ``pass  # TODO``
in an empty test asks for that test; a docstring whose doctests pin the
behaviour down is clearer than one without.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from specloop.analysis.specs import Spec, SpecKind


class Label(StrEnum):
    AMBIGUOUS = "ambiguous"
    CLEAR = "clear"
    NOTE = "note"


class FacetKind(StrEnum):
    WHAT = "what"
    TARGET = "target"
    VALUES = "values"
    DONE = "done"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class Facet:
    kind: FacetKind
    trigger: str
    question: str


@dataclass(frozen=True, slots=True)
class Assessment:
    label: Label
    facets: tuple[Facet, ...] = ()


def _words(*phrases: str) -> re.Pattern[str]:
    alternatives = "|".join(sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


# Verbs that name an intent but no criterion: "handle", "fix", "improve", ...
_VAGUE_VERBS = _words(
    r"handle[sd]?",
    r"handling",
    r"fix(?:e[sd])?",
    r"fix(?:ing)? (?:up|this|it)",
    r"improve[sd]?",
    r"clean(?:s|ed)? ?up",
    r"cleanup",
    r"tidy(?: up)?",
    r"support",
    r"refactor(?:ed|ing)?",
    r"optimi[sz]e[sd]?",
    r"rework",
    r"revisit",
    r"rethink",
    r"re-?consider",
    r"deal with",
    r"look (?:into|at)",
    r"investigate",
    r"figure out",
    r"sort out",
    r"enhance",
    r"make (?:this|it) work",
    r"make (?:this|it) (?:nicer|better|faster|cleaner|smarter|more \w+)",
    r"do something",
    r"be smarter",
    r"simplify",
    r"generali[sz]e",
    r"review",
    r"check (?:this|it|that)",
    r"update (?:this|it)",
    r"change (?:this|it)",
    r"needs? work",
    r"test (?:this|it)",
)
# Words that leave the values open: which errors, what limit, what format.
_OPEN_VALUES = _words(
    r"errors?",
    r"exceptions?",
    r"edge cases?",
    r"corner cases?",
    r"other cases",
    r"more cases",
    r"failures?",
    r"invalid (?:input|data|values?)",
    r"bad (?:input|data|values?)",
    r"appropriate(?:ly)?",
    r"some",
    r"certain",
    r"proper(?:ly)?",
    r"the right",
    r"sensible",
    r"reasonable",
    r"etc\.?",
    r"and so on",
    r"whatever",
    r"somehow",
    r"something",
    r"stuff",
    r"things",
    r"more",
)
_DONE_CRITERIA = _words(
    r"faster",
    r"quicker",
    r"better",
    r"nicer",
    r"cleaner",
    r"smarter",
    r"more (?:robust|efficient|general|generic|flexible|readable|pythonic|elegant|reliable)",
    r"robust(?:ly)?",
    r"efficient(?:ly)?",
    r"correctly",
    r"properly",
    r"performance",
    r"perf",
    r"slow",
    r"ugly",
    r"hacky",
    r"cleanly",
    r"elegant(?:ly)?",
)
_OPEN_CHOICE = _words(
    r"maybe",
    r"perhaps",
    r"possibly",
    r"probably",
    r"should (?:we|i|this|it|they)",
    r"could (?:we|i|this|it)",
    r"would it",
    r"do we (?:need|want)",
    r"is (?:this|it|there) (?:needed|necessary|still needed|required|possible|correct|right)",
    r"whether",
    r"not sure",
    r"unsure",
    r"unclear",
    r"consider(?:ing)?",
    r"think about",
    r"decide",
    r"tbd",
    r"or not",
    r"either",
    r"might",
    r"might want",
    r"ideally",
    r"optionally",
    r"if (?:possible|needed|necessary)",
)
_DOCSTRING_CHOICE = _words(r"tbd", r"maybe", r"not sure", r"unsure", r"to be decided")
_UNRESOLVED_TARGET = _words(
    r"as discussed",
    r"discussed",
    r"as agreed",
    r"as mentioned",
    r"see above",
    r"the above",
    r"like before",
    r"the other (?:one|place|thing)",
    r"the thing",
    r"per (?:chat|conversation|meeting|discussion)",
    r"same as (?:there|before)",
)
_DEICTIC = _words(r"this", r"it", r"here", r"that", r"these", r"those", r"them")
# A concrete trigger makes a change clear: a version, a date, "when X is dropped".
_TRIGGER = re.compile(
    r"\b(?:when|once|after|until|in|by|before|for)\b[^.]*?"
    r"(?:\d+(?:\.\d+)+|\b(?:19|20)\d\d\b|\b(?:is|are|gets?|get|has been|have been)\s+"
    r"(?:dropped|removed|released|merged|fixed|deprecated|available|supported|resolved|landed)\b|"
    r"\b(?:drop|support|release)\w*\b)",
    re.IGNORECASE,
)
_VERSION_TAG = re.compile(r"^\s*v?\d+(?:\.\d+)*\s*$|^\s*(?:19|20)\d\d(?:-\d\d){0,2}\s*$")
# Request verbs: a spec that starts with one asks for a change.
_REQUEST_START = re.compile(
    r"^(?:please\s+)?(?:add|remove|delete|drop|use|replace|move|rename|raise|return|make|"
    r"implement|call|pass|check|ensure|convert|write|create|set|get|allow|disallow|switch|"
    r"change|update|merge|split|expose|hide|deprecate|document|test|warn|emit|store|save|"
    r"read|parse|validate|verify|reject|accept|skip|ignore|avoid|catch|wrap|unwrap|"
    r"inline|extract|port|upgrade|downgrade|bump|pin|unpin|register|unregister|enable|"
    r"disable|restore|revert|reuse|share|compute|calculate|filter|clamp|"
    r"normali[sz]e|escape|quote|encode|decode|close|open|free|release|reset|clear|fill|"
    r"populate|send|emit|fetch|load|unload|install|uninstall|include|exclude|insert|append|"
    r"prepend|extend|shorten|lengthen|increase|decrease|reduce|raise|lower|print|show|"
    r"display|render|support|handle|fix|improve|clean|refactor|optimi[sz]e|rework|"
    r"revisit|rethink|reconsider|investigate|figure|sort|look|consider|think|decide|"
    r"simplify|generali[sz]e|review|tidy|get rid|find|need|needs|should|must|have to|"
    r"try|remember|make sure|do|don't|do not|stop|start|keep|turn|put|take|give|let|"
    r"mark|flag|report|trigger|fire|schedule|queue|retry|wait|sleep|time|measure|"
    r"benchmark|track|assert|guard|protect|"
    r"await|spawn|kill|terminate|abort|cancel|refresh|reload|rebuild|recompute|"
    r"reimplement|rewrite|re-?enable|re-?add|un-?comment|uncomment|comment|specify|define|"
    r"declare|annotate|cast|coerce|memoi[sz]e|paginate|"
    r"translate|localize|i18n|migrate|backport|vendor|unvendor|silence|suppress|propagate|"
    r"forward|delegate|monkeypatch|deduplicate|dedupe|collapse|"
    r"expand|unify|consolidate|combine|separate|isolate|factor|fold|unfold|flatten|"
    r"pull|push|lift|hoist|promote|demote|rename|reorder|"
    r"reorganize|restructure|clarify|explain|describe|link|unlink|attach|detach)\b",
    re.IGNORECASE,
)
_MODAL_REQUEST = _words(
    r"should",
    r"must",
    r"needs? to",
    r"has to",
    r"have to",
    r"ought to",
    r"would be (?:nice|good|better|great)",
    r"we want",
    r"want to",
    r"to be (?:done|implemented|fixed|removed|added|replaced)",
)
# A TODO that reads as a statement ("headers may be a plain dict here") asks for nothing.
_STATEMENT = re.compile(
    r"^(?:(?:the|this|that|these|those|it|its|it's|there|we|they|i|our|a|an|currently|"
    r"right now|at the moment|for now|apparently|unfortunately|note|nb)\b|"
    r"[\w.()`'\"-]+(?: [\w.()`'\"-]+)? (?:is|are|was|were|may|might|can|could|will|would|"
    r"does|do|did|doesn't|don't|isn't|aren't|has|have|had|seems?|looks?|appears?|"
    r"matters?|means?|depends?|works?|fails?|breaks?|happens?|returns?|raises?|uses?|"
    r"assumes?|expects?|relies|requires?)\b)",
    re.IGNORECASE,
)
# Concrete anchors: code names, exception types, numbers, literals.
_CODE_NAME = re.compile(
    r"`[^`]+`|\b\w+\(\)|\b[a-z]+_[a-z0-9_]+\b|\b[a-z]+[A-Z]\w*\b|\b[A-Z][a-z]+[A-Z]\w*\b|"
    r"\b\w+\.\w+\b|\b[A-Z][a-zA-Z]*(?:Error|Exception|Warning)\b"
)
_EXCEPTION = re.compile(r"\b[A-Z][a-zA-Z]*(?:Error|Exception|Warning|Exit|Interrupt)\b")
_NUMBER_OR_LITERAL = re.compile(r"\b\d+(?:\.\d+)?\b|'[^']*'|\"[^\"]*\"|\bNone\b|\bTrue\b|\bFalse\b")
_CRITERION = _words(
    r"by (?:\w+ing)",
    r"instead of",
    r"so that",
    r"rather than",
    r"to return",
    r"to raise",
    r"returning",
    r"raising",
    r"raise",
    r"return",
    r"if",
    r"unless",
    r"when",
    r"once",
    r"with",
    r"using",
    r"via",
    r"from",
    r"into",
    r"to",
)
_SUBCLASS_CONTRACT = _words(
    r"subclass(?:es)? (?:must|should|need to|have to)",
    r"must be (?:implemented|overridden|overriden) (?:by|in)",
    r"(?:implemented|overridden) (?:by|in) subclass(?:es)?",
    r"override (?:this|in)",
)
_NOTE_PREFIX = _words(
    r"note",
    r"nb",
    r"see",
    r"this is",
    r"this was",
    r"we (?:do|use|need|have)",
    r"because",
    r"since",
    r"order matters",
    r"workaround",
    r"hack",
    r"intentional(?:ly)?",
)
_TEST_NAME = re.compile(r"^(?:test_|test[A-Z])")

_QUESTIONS = {
    FacetKind.WHAT: "What exactly should change, and how will we know it is done?",
    FacetKind.TARGET: "Which code does this refer to?",
    FacetKind.VALUES: "Which cases or values exactly, and what should happen for each?",
    FacetKind.DONE: "What measurable result counts as done?",
    FacetKind.CHOICE: "Which option should be taken?",
}


def assess(spec: Spec) -> Assessment:
    """Label one spec by the rubric and name what is missing."""
    if spec.kind is SpecKind.DOCSTRING:
        return _assess_docstring(spec)
    return _assess_comment(spec)


def _assess_comment(spec: Spec) -> Assessment:
    text = spec.text.strip()
    is_request_marker = spec.marker in ("TODO", "FIXME")
    if is_request_marker:
        asks = not _STATEMENT.match(text) or bool(_MODAL_REQUEST.search(text))
    else:
        asks = _asks_for_change(text)
        if not asks and "?" not in text:
            return Assessment(Label.NOTE)
    if not text:
        return _assess_bare(spec)

    facets: list[Facet] = []
    facets.extend(_choice_facets(text))
    facets.extend(_target_facets(text, spec))
    if not asks and not _has_trigger(text, spec.tag):
        words = " ".join(text.split()[:6])
        facets.append(
            _facet(
                FacetKind.WHAT,
                words,
                "This states a fact but asks for nothing: what should be done about it?",
            )
        )
    facets.extend(_vagueness_facets(text, spec))
    if (
        facets
        and _has_trigger(text, spec.tag)
        and all(facet.kind is FacetKind.WHAT for facet in facets)
        and _REQUEST_START.match(text)
    ):
        # "Remove this shim when 3.8 is dropped": a concrete trigger settles the rest.
        facets = []
    return _result(facets)


def _assess_bare(spec: Spec) -> Assessment:
    """A marker with no words: read it with its code."""
    name = spec.scope.name or ""
    trailing = spec.context.trailing_code
    if spec.context.scope_is_stub and _TEST_NAME.match(name):
        return Assessment(Label.CLEAR)
    if trailing and re.search(r"[=:]\s*[^=]+,?$", trailing):
        return _result([_facet(FacetKind.VALUES, trailing, f"What is wrong with `{trailing}`?")])
    return _result(
        [_facet(FacetKind.WHAT, spec.marker or "TODO", "This TODO says nothing: what is to do?")]
    )


def _assess_docstring(spec: Spec) -> Assessment:
    text = spec.text.strip()
    if _SUBCLASS_CONTRACT.search(text):
        return Assessment(Label.NOTE)
    if spec.context.has_doctest:
        return Assessment(Label.CLEAR)
    facets: list[Facet] = []
    if "?" in text or (match := _DOCSTRING_CHOICE.search(text)):
        trigger = "?" if "?" in text else match.group(0) if match else ""
        facets.append(_facet(FacetKind.CHOICE, trigger, "Which behaviour is wanted?"))
    facets.extend(_vagueness_facets(text, spec))
    if not facets and len(text.split()) < 3 and not _CODE_NAME.search(text):
        facets.append(_facet(FacetKind.WHAT, text or '""', "What should this function do?"))
    return _result(facets)


def _asks_for_change(text: str) -> bool:
    return bool(_REQUEST_START.match(text) or _MODAL_REQUEST.search(text))


def _choice_facets(text: str) -> list[Facet]:
    facets: list[Facet] = []
    if "?" in text:
        question = text[: text.index("?") + 1].split(".")[-1].strip()
        facets.append(_facet(FacetKind.CHOICE, question, "Should this be done, and how?"))
    elif match := _OPEN_CHOICE.search(text):
        facets.append(
            _facet(FacetKind.CHOICE, match.group(0), "Which option should be taken, and why?")
        )
    return facets


def _target_facets(text: str, spec: Spec) -> list[Facet]:
    if match := _UNRESOLVED_TARGET.search(text):
        return [_facet(FacetKind.TARGET, match.group(0), "What was discussed: which change?")]
    return []


def _vagueness_facets(text: str, spec: Spec) -> list[Facet]:
    facets: list[Facet] = []
    anchored = _is_anchored(text, spec)
    verb = _VAGUE_VERBS.search(text)
    if verb and not anchored:
        question = f'What should "{verb.group(0)}" do here, concretely?'
        deictic = _DEICTIC.search(text[verb.end() : verb.end() + 12])
        if deictic:
            question = f'"{verb.group(0)}" what, and how: what is wrong with this code?'
        facets.append(_facet(FacetKind.WHAT, verb.group(0), question))
    values = _OPEN_VALUES.search(text)
    weak_values = ("more", "some", "certain", "things")
    if (
        values
        and not _EXCEPTION.search(text)
        and not _NUMBER_OR_LITERAL.search(text)
        and not (anchored and values.group(0).lower() in weak_values)
    ):
        question = f"Which {values.group(0).lower()} exactly, and what should happen?"
        facets.append(_facet(FacetKind.VALUES, values.group(0), question))
    done = _DONE_CRITERIA.search(text)
    if done and not re.search(r"\d", text):
        facets.append(_facet(FacetKind.DONE, done.group(0), f'"{done.group(0)}" by what measure?'))
    return facets


def _is_anchored(text: str, spec: Spec) -> bool:
    """The spec names concrete code, values or a criterion."""
    if _EXCEPTION.search(text) or _NUMBER_OR_LITERAL.search(text):
        return True
    names = {match.group(0).strip("`").rstrip("()") for match in _CODE_NAME.finditer(text)}
    if names:
        return True
    known = spec.context.scope_identifiers
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    concrete_words = {word for word in words if len(word) > 3 and word in known}
    return bool(concrete_words) and bool(_CRITERION.search(text))


def _has_trigger(text: str, tag: str | None) -> bool:
    return bool(_TRIGGER.search(text)) or bool(tag and _VERSION_TAG.match(tag))


def _facet(kind: FacetKind, trigger: str, question: str) -> Facet:
    return Facet(kind, trigger.strip(), question)


def _result(facets: list[Facet]) -> Assessment:
    unique: dict[FacetKind, Facet] = {}
    for facet in facets:
        unique.setdefault(facet.kind, facet)
    if unique:
        return Assessment(Label.AMBIGUOUS, tuple(unique.values()))
    return Assessment(Label.CLEAR)


def describe(assessment: Assessment, spec: Spec) -> str:
    """One sentence: the missing facet and the question that would resolve it."""
    if not assessment.facets:
        return f"{assessment.label.value.capitalize()} spec."
    first = assessment.facets[0]
    quoted = _shorten(spec.text) if spec.text else spec.marker or "TODO"
    others = [facet.kind.value for facet in assessment.facets[1:]]
    also = f" (also unclear: {', '.join(others)})" if others else ""
    kind = "TODO" if spec.kind is SpecKind.COMMENT else "docstring"
    return f'Ambiguous {kind} "{quoted}": {first.question}{also}'


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
