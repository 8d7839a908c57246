"""The ambiguity detector: labels a spec ambiguous / clear / note and explains why.

It follows the rubric in docs/rubric.md. Offline, microseconds a spec, and
explainable: every ambiguous label lists its *facets* (what / target / values /
done / choice), the words that triggered each, and the clarifying question
that would resolve it. The spec is read with its code: a bare ``pass  # TODO``
in an empty test asks for that test; a docstring whose doctests pin the
behaviour down is clearer than one without.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import chain

from specloop.analysis import doc_gaps, lexicon
from specloop.analysis.docstrings import DocstringParts, read_docstring
from specloop.analysis.questions import (
    choice_question,
    criterion_question,
    deferral_question,
    left_open_question,
    names_a_thing,
    trigger_criterion_question,
    values_question,
    verb_question,
)
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
    OUTPUT = "output"
    """A docstring that never says what the function returns."""
    EXAMPLES = "examples"
    """Examples that leave a case the text singles out without its result."""


@dataclass(frozen=True, slots=True)
class Facet:
    kind: FacetKind
    trigger: str
    question: str
    rule: str = ""
    """The rule that found it (docs/rubric.md, "Confidence tiers"): its tier is the rule's."""


@dataclass(frozen=True, slots=True)
class Assessment:
    label: Label
    facets: tuple[Facet, ...] = ()
    rules: tuple[str, ...] = ()
    """Every rule that fired, the ones whose facet a more specific one hid included."""


# XXX questions that wonder about how the code is rather than ask what it should do
# (rubric rules 1 and 10, C7): "why …", "can this be …", "when does this happen?",
# "could we have …?", "does this make sense?", "is it safe …?".
_WONDERING = re.compile(
    r"^\W*(?:(?:but|and|so)\s+)?(?:why\b|can\s+(?!we\b|i\b|you\b)|"
    r"when\s+(?:does|do|did|is|are|would|will|can|could)\b|"
    r"could\s+(?:we|this|that|it|there)\s+(?:ever\s+)?(?:have|happen|be)\b|"
    r"does\s+(?:this|that|it)\b|"
    r"is\s+(?:it|this|that)\s+(?:\w+\s+)?(?:safe|right|correct|true|possible|needed|necessary)\b)",
    re.IGNORECASE,
)
_ERROR_WORD = re.compile(r"(?:errors?|exceptions?|failures?)$", re.IGNORECASE)
_TEST_NAME = re.compile(r"^(?:test_|test[A-Z])")
_VALUE_LINE = re.compile(r"[=:]\s*[^=]+,?$")


def assess(spec: Spec) -> Assessment:
    """Label one spec by the rubric and name what is missing."""
    if spec.kind is SpecKind.DOCSTRING:
        return _assess_docstring(spec)
    return _assess_comment(spec)


def _assess_comment(spec: Spec) -> Assessment:
    text = spec.text.strip()
    if not any(character.isalnum() for character in text):
        return _assess_bare(spec)  # no words: "", "?", "!!!"
    prose = lexicon.prose(text)
    is_request_marker = spec.marker in ("TODO", "FIXME")
    asks = lexicon.asks_for_change(prose) or bool(lexicon.RENAME_WISH.search(text))
    hedged = bool(lexicon.HEDGED_REQUEST.search(prose))
    asked = lexicon.question(prose)
    if asked and _WONDERING.match(asked) and not is_request_marker and not hedged:
        return Assessment(Label.NOTE)
    if not is_request_marker and not (asks or hedged or asked):
        return Assessment(Label.NOTE)
    if lexicon.COVERAGE_REQUEST.match(prose):
        # "no coverage here" asks for tests of the code it sits in (rubric C6).
        return _result(_choice_facets(prose))

    has_trigger = lexicon.has_trigger(prose, spec.tag)
    facets = [*_choice_facets(prose, has_trigger), *_target_facets(prose)]
    if not facets and (aside := lexicon.ASIDE_CHOICE.search(text)):
        facets.append(
            _facet(FacetKind.CHOICE, aside.group(0), "Is this to be done at all?", "aside-choice")
        )
    if lexicon.trigger_only(prose):
        facets.append(
            _facet(FacetKind.WHAT, text, "When that happens, what should change?", "bare-trigger")
        )
    if move := lexicon.move_without_destination(text):
        facets.append(
            _facet(
                FacetKind.WHAT,
                move.group(0),
                "Where to, exactly: which module or class?",
                "move-without-destination",
            )
        )
    evident = (
        lexicon.EVIDENT_DEFECT.search(prose)
        or lexicon.NOT_YET.search(prose)
        # A commented-out assertion under a terse marker ("TODO: wrong"): make it pass.
        or any(map(lexicon.COMMENTED_ASSERTION.search, spec.context.commented_code))
        or (lexicon.COMMENTED_ASSERTION.search(text) and len(_words_before_code(text)) <= 2)
    )
    if not facets and evident:
        # A defect whose correct behaviour is evident fixes the end state (rubric, rule 4).
        return Assessment(Label.CLEAR)
    # In an empty test, the TODO asks for that test (rubric: terse markers read with code).
    asks_for_the_test = _in_empty_test(spec) or _names_a_case_to_test(spec, text, asks)
    if not asks and not has_trigger and not facets and not asks_for_the_test:
        if _code_skips_a_case(spec):
            return Assessment(Label.CLEAR)  # a known defect, worked around below (rule 4)
        question = (
            "It only points to an issue or a link: what should change here? Say it in the comment."
            if lexicon.ONLY_A_REFERENCE.match(text)  # rubric rule 9
            else "It states a fact or names a topic but asks for nothing: what should change?"
        )
        facets.append(_facet(FacetKind.WHAT, _first_words(text), question, "states-a-fact"))
    if not has_trigger and (stopgap := lexicon.STOPGAP.search(prose)):
        facets.append(
            _facet(
                FacetKind.WHAT, stopgap.group(0), "What should replace this, and when?", "stopgap"
            )
        )
    names_code = lexicon.CODE_NAME.search(text) or lexicon.QUOTED_NAME.search(text)
    terse = len(text.split()) <= 2 and not names_code
    if terse and not facets and not asks_for_the_test:
        facets.append(
            _facet(
                FacetKind.WHAT, text, "Too terse to act on: what exactly should be done?", "terse"
            )
        )
    facets.extend(_vagueness_facets(prose, original=text, code_below=spec.context.commented_code))
    return _result(_sharpened(facets, text))


def _sharpened(facets: list[Facet], text: str) -> list[Facet]:
    """Two phrasings that make a flag precise (docs/rubric.md, part 5: sub-rules counted on
    the dev halves before they became rules). Open values named by an indefinite ("some
    cases", "etc") are `indefinite-values`; a flag that asks to find something out ("see
    whether …") adds `indirect-question`, a choice (rule 2: "investigate whether")."""
    if not facets:
        return facets
    if lexicon.INDEFINITE.search(text):
        facets = [
            replace(facet, rule="indefinite-values") if facet.rule == "open-values" else facet
            for facet in facets
        ]
    if indirect := lexicon.INDIRECT_QUESTION.search(text):
        question = f'"{indirect.group(0)} …": once that is known, what should change?'
        facets.append(_facet(FacetKind.CHOICE, indirect.group(0), question, "indirect-question"))
    return facets


def _assess_bare(spec: Spec) -> Assessment:
    """A marker with no words (at most punctuation): read it with its code."""
    if spec.marker in ("XXX", "HACK"):
        return Assessment(Label.NOTE)  # XXX and HACK are notes unless their text asks.
    if _in_empty_test(spec):
        return Assessment(Label.CLEAR)  # `pass  # TODO` in an empty test asks for that test.
    if any(map(lexicon.COMMENTED_ASSERTION.search, spec.context.commented_code)):
        return Assessment(Label.CLEAR)  # a commented-out assertion below: make it pass.
    trailing = spec.context.trailing_code
    if trailing and _VALUE_LINE.search(trailing):
        question = f"What is wrong with `{trailing}`?"
        return _result([_facet(FacetKind.VALUES, trailing, question, "bare-on-a-value")])
    question = f"This {spec.marker or 'TODO'} has no words: what is to do?"
    return _result([_facet(FacetKind.WHAT, spec.marker or "TODO", question, "bare-marker")])


def _names_a_case_to_test(spec: Spec, text: str, asks: bool) -> bool:
    """A short noun phrase in a test ("TODO: cases with axis kwarg") names what to cover."""
    words = text.rstrip(".").split()
    return (
        bool(_TEST_NAME.match(spec.scope.name or ""))
        and not asks
        and 0 < len(words) <= 4
        and not lexicon.CODE_NAME.search(text)
    )


def _code_skips_a_case(spec: Spec) -> bool:
    """The code right below skips or silences a case (``if …: return``, ``pytest.skip``)."""
    code = spec.context.next_code
    if not code:
        return False
    if lexicon.SKIPS_A_CASE.match(code[0]):
        return True
    return code[0].startswith("if ") and len(code) > 1 and bool(lexicon.SKIPS_A_CASE.match(code[1]))


def _in_empty_test(spec: Spec) -> bool:
    return spec.context.scope_is_stub and bool(_TEST_NAME.match(spec.scope.name or ""))


def _assess_docstring(spec: Spec) -> Assessment:
    """A stub's docstring by docs/rubric.md part 3: interfaces are notes; examples that
    pin the behaviour down leave only the cases they skip; otherwise open choices,
    open values and a missing output are asked about."""
    text = spec.text.strip()
    if (
        lexicon.SUBCLASS_CONTRACT.search(text)
        or lexicon.DOES_NOTHING.match(text)
        or lexicon.A_HOOK.search(text)
        or lexicon.SAYS_NOT_IMPLEMENTED.search(text)
        or spec.context.interface_stub
    ):
        return Assessment(Label.NOTE)
    lines = list(spec.context.docstring_lines or (text,))
    parts = read_docstring(lines)
    gaps = _text_gaps(parts, lines)
    if any(example.output for example in parts.examples):
        return _result([*gaps, *_unpinned_cases(parts, spec.scope.name)])
    prose = lexicon.prose(text)
    facets: list[Facet] = []
    if lexicon.question(prose) or lexicon.DOCSTRING_CHOICE.search(prose):
        facets.append(
            _facet(
                FacetKind.CHOICE,
                _first_words(text),
                "Which behaviour is wanted?",
                "docstring-question",
            )
        )
    facets.extend(_open_choice_facets(parts.prose))
    facets.extend(_open_values_facets(parts.prose))
    facets.extend(_vagueness_facets(prose, error_words=False, original=text, prefix="docstring-"))
    facets.extend(_output_facets(parts, spec.context.return_annotation))
    facets.extend(gaps)
    if unstated := doc_gaps.output_unstated(parts, spec.context.return_annotation):
        facets.append(_from_gap(unstated))
    if not facets and len(text.split()) < 3 and not lexicon.CODE_NAME.search(text):
        question = "What should this function do?"
        facets.append(_facet(FacetKind.WHAT, text or '""', question, "docstring-terse"))
    return _result(facets)


def _text_gaps(parts: DocstringParts, lines: list[str]) -> list[Facet]:
    """What the text leaves open whether or not it has examples (`doc_gaps`)."""
    found = (
        doc_gaps.choice_examples(parts.prose),
        doc_gaps.choice_beside_examples(parts.prose),
        doc_gaps.either_way(parts.prose),
        doc_gaps.vague_quantity(parts.prose),
        doc_gaps.stops_mid_sentence(lines),
    )
    return [_from_gap(gap) for gap in found if gap is not None]


def _from_gap(gap: doc_gaps.Gap) -> Facet:
    return _facet(FacetKind(gap.kind), gap.trigger, gap.question, gap.rule)


_CODE_IN_TEXT = re.compile(r"`[^`]*`|\"[^\"\n]*\"")
# A sentence ends before a capital, a quote or an example, not after "e.g." or "etc.".
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z\"'`(>])")
_OPTIONS = re.compile(r"\((?:e\.g\.|i\.e\.|for example|such as)?,?\s*([^()]*\bor\b[^()]*)\)")
_OPEN_NOUN = re.compile(r"\b(?:certain|some|appropriate|suitable|sensible|reasonable)\s+(\w+)")
_NOT_NONE = ("None", "NoReturn", "Never", "'None'", '"None"')


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def _open_choice_facets(text: str) -> list[Facet]:
    """An open choice in the text, asked with the options the text offers."""
    for sentence in _sentences(text):
        blanked = _CODE_IN_TEXT.sub(lambda match: " " * len(match.group(0)), sentence)
        match = lexicon.DOC_OPEN_CHOICE.search(blanked)
        if match is None:
            continue
        trigger = match.group(0)
        question = _choice_question(sentence, trigger)
        return [_facet(FacetKind.CHOICE, trigger, question, "docstring-open-choice")]
    return []


def _choice_question(sentence: str, trigger: str) -> str:
    """ "Return which part: the integer part, the decimal part, or another?" where it can."""
    options = _OPTIONS.search(sentence)
    found = _OPEN_NOUN.search(trigger)
    noun = found if found and names_a_thing(found.group(1)) else None
    verb = sentence.split(None, 1)[0].lower() if sentence.split() else ""
    lead = "Return which" if verb in ("return", "returns") else "Which"
    if options:
        choices = [c.strip(" ,.") for c in re.split(r",?\s+or\s+|,\s*", options.group(1))]
        choices = [c for c in choices if c]
        if len(choices) >= 2:
            listed = ", ".join(choices[:-1]) + f", or {choices[-1]}"
            subject = f"{lead} {noun.group(1)}" if noun else f"{lead} one"
            return f"{subject}: {listed}?"
    if noun:
        return f'{lead} {noun.group(1)} exactly? "{trigger}" leaves it to the implementer.'
    return choice_question(trigger)


def _open_values_facets(text: str) -> list[Facet]:
    """Inputs or conditions the text names without saying which, or what happens."""
    for sentence in _sentences(text):
        match = lexicon.open_values(sentence)
        if match is None or lexicon.STATED_OUTCOME.search(sentence):
            continue
        trigger = match.group(0)
        question = left_open_question(trigger)
        return [_facet(FacetKind.VALUES, trigger, question, "docstring-values-left-open")]
    return []


def _output_facets(parts: DocstringParts, annotation: str | None) -> list[Facet]:
    """A function that returns something whose docstring never says what."""
    if annotation is None or annotation.strip() in _NOT_NONE:
        return []
    if "returns" in parts.sections or lexicon.STATES_RETURN.search(parts.prose):
        return []
    if lexicon.opens_with_result(parts.summary):
        return []
    boolean = re.search(r"\b(?:bool|TypeGuard|TypeIs)\b", annotation)
    if boolean and lexicon.STATES_TRUTH.search(parts.prose):
        return []
    question = (
        f"What does it return? The signature says `-> {annotation.strip()}`; "
        "the docstring does not say which value."
    )
    trigger = _first_words(parts.summary) or '""'
    return [_facet(FacetKind.OUTPUT, trigger, question, "docstring-output")]


def _unpinned_cases(parts: DocstringParts, name: str | None) -> list[Facet]:
    """Examples pin the behaviour down, except for a case the text singles out and
    leaves without its result (Information: a question naming the case)."""
    calls = " ".join(example.call for example in parts.examples)
    for case, pattern in lexicon.SPECIAL_CASES:
        for sentence in _sentences(parts.prose):
            mention = pattern.search(sentence)
            if mention is None or not lexicon.COPES_WITH.search(sentence):
                continue
            if lexicon.STATED_OUTCOME.search(sentence) or _example_covers(case, calls):
                break
            call = f"`{name}(…)`" if name else "the function"
            question = (
                f"What should {call} give for {_CASE_NAMES[case]}? The text mentions it, "
                "but no example shows it."
            )
            return [
                _facet(FacetKind.EXAMPLES, mention.group(0), question, "docstring-unpinned-case")
            ]
    return []


_CASE_NAMES = {
    "empty": "an empty input",
    "negative": "a negative number",
    "ties": "a tie",
    "duplicates": "duplicates",
}
_EMPTY_LITERAL = re.compile(r"\[\]|\(\)|\{\}|''|\"\"|\bset\(\)")
_NEGATIVE_LITERAL = re.compile(r"(?<![\w)\]])-\s*\d")


def _example_covers(case: str, calls: str) -> bool:
    if case == "empty":
        return bool(_EMPTY_LITERAL.search(calls))
    if case == "negative":
        return bool(_NEGATIVE_LITERAL.search(calls))
    return False  # Ties and duplicates cannot be told from the call alone.


def _choice_facets(prose: str, has_trigger: bool = False) -> list[Facet]:
    if question := lexicon.question(prose):
        return [_facet(FacetKind.CHOICE, question, _reply_to_question(question), "question")]
    deferral = None
    for match in chain(lexicon.OPEN_CHOICE.finditer(prose), lexicon.SLASHED_VERBS.finditer(prose)):
        if lexicon.in_reason(prose, match):
            continue
        if lexicon.DEFERRAL.fullmatch(match.group(0)):
            deferral = deferral or match.group(0)
            continue
        question = "Is this decided? Which option should be taken, and when?"
        return [_facet(FacetKind.CHOICE, match.group(0), question, "open-choice")]
    if deferral and not has_trigger:
        # An unnamed deferral on one change leaves its time open, not a choice (rule 3).
        return [_facet(FacetKind.VALUES, deferral, deferral_question(deferral), "open-choice")]
    return []


def _reply_to_question(question: str) -> str:
    """What to ask of a question the spec asks: a wondering one ("why?", "can this
    happen?") is asked what should change once it is answered."""
    if _WONDERING.match(question):
        return "Once this is answered, what should change?"
    return "Is this decided? Should it be done at all, and if so how exactly?"


def _target_facets(prose: str) -> list[Facet]:
    if match := lexicon.UNRESOLVED_TARGET.search(prose):
        question = "Which change, exactly: what was agreed?"
        return [_facet(FacetKind.TARGET, match.group(0), question, "unresolved-target")]
    return []


def _vagueness_facets(
    prose: str,
    error_words: bool = True,
    original: str | None = None,
    prefix: str = "",
    code_below: tuple[str, ...] = (),
) -> list[Facet]:
    """Vague verbs, open values and soft criteria. ``error_words=False`` (docstrings):
    "errors" alone names no open value — a docstring mentions errors to describe them.
    ``original``: the text before code spans were blanked ("support `zstd`" is concrete).
    ``code_below``: commented-out code under the comment; an exception it raises is the
    error the comment means ("if not, it's an error" over "# raise RuntimeError(…)")."""
    facets: list[Facet] = []
    has_criterion = bool(lexicon.CRITERION.search(prose))
    verb = lexicon.vague_verb(prose, original)
    if verb and not has_criterion:
        facets.append(
            _facet(
                FacetKind.WHAT,
                verb,
                verb_question(verb),
                f"{prefix}vague-verb",
            )
        )
    values = lexicon.open_value(prose)
    names_an_error = values is not None and bool(_ERROR_WORD.match(values.group(0)))
    if names_an_error and (
        not error_words
        or lexicon.THE_EXCEPTION.search(prose)
        or lexicon.NAMED_ERRORS.search(original or prose)
        or any(map(lexicon.EXCEPTION.search, code_below))
    ):
        values = None
    if values and not lexicon.EXCEPTION.search(prose) and not lexicon.LITERAL.search(prose):
        word = values.group(0)
        following = (original or prose)[values.end() :]
        question = values_question(word, following, (original or prose)[: values.start()])
        facets.append(_facet(FacetKind.VALUES, word, question, f"{prefix}{_values_rule(word)}"))
    if not values and (trailing := lexicon.TRAILING_OFF.search(prose)):
        question = (
            'The list trails off in "...": what else exactly, and which of it is required?'
            if lexicon.LIST_TRAILING_OFF.search(prose)
            else 'It trails off in "...": what is left unsaid? Say what should change.'
        )
        facets.append(
            _facet(FacetKind.VALUES, trailing.group(0), question, f"{prefix}trailing-off")
        )
    done = lexicon.DONE_CRITERIA.search(prose)
    if done and not re.search(r"\d", prose) and not lexicon.BY_A_MEANS.match(prose, done.end()):
        question = (
            trigger_criterion_question(done.group(0))
            if lexicon.in_condition(prose, done)
            else criterion_question(done.group(0))
        )
        facets.append(_facet(FacetKind.DONE, done.group(0), question, f"{prefix}soft-criterion"))
    return facets


def _values_rule(word: str) -> str:
    if _ERROR_WORD.match(word):
        return "error-words"
    return "open-values"


def _words_before_code(text: str) -> list[str]:
    """The words of a comment up to where commented-out code starts."""
    words = []
    for word in text.split():
        if re.search(r"[()=\[\].]", word) or word in ("assert", "self"):
            break
        words.append(word)
    return words


def _first_words(text: str, count: int = 6) -> str:
    return " ".join(text.split()[:count])


def _facet(kind: FacetKind, trigger: str, question: str, rule: str) -> Facet:
    return Facet(kind, trigger.strip(), question, rule)


# The most specific question goes first in the message.
_PRIORITY = (
    FacetKind.CHOICE,
    FacetKind.TARGET,
    FacetKind.VALUES,
    FacetKind.OUTPUT,
    FacetKind.DONE,
    FacetKind.WHAT,
    FacetKind.EXAMPLES,
)
_FACET_NAMES = {
    FacetKind.WHAT: "what to do",
    FacetKind.TARGET: "what it applies to",
    FacetKind.VALUES: "which values or cases",
    FacetKind.DONE: "what done means",
    FacetKind.CHOICE: "an open choice",
    FacetKind.OUTPUT: "what it returns",
    FacetKind.EXAMPLES: "a case no example shows",
}


def _result(facets: list[Facet]) -> Assessment:
    unique: dict[FacetKind, Facet] = {}
    for facet in facets:
        unique.setdefault(facet.kind, facet)
    if unique:
        ordered = sorted(unique.values(), key=lambda facet: _PRIORITY.index(facet.kind))
        rules = tuple(dict.fromkeys(facet.rule for facet in facets))
        return Assessment(Label.AMBIGUOUS, tuple(ordered), rules)
    return Assessment(Label.CLEAR)


def _asked_already(kind: FacetKind, question: str) -> bool:
    """Whether ``question`` already asks for the facet (``Which errors, and what should
    happen: …?`` asks what to do): a reviewer does not ask twice."""
    lowered = question.lower()
    return kind is FacetKind.WHAT and any(
        asked in lowered for asked in ("what should happen", "what to do", "what should change")
    )


def describe(assessment: Assessment, spec: Spec) -> str:
    """One sentence: the missing facet and the question that would resolve it."""
    quoted = _shorten(spec.text) if spec.text else spec.marker or "TODO"
    kind = (spec.marker or "TODO") if spec.kind is SpecKind.COMMENT else "docstring"
    if not assessment.facets:
        return f'{assessment.label.value.capitalize()} {kind} "{quoted}".'
    first = assessment.facets[0]
    others = [
        _FACET_NAMES[facet.kind]
        for facet in assessment.facets[1:]
        if not _asked_already(facet.kind, first.question)
    ]
    also = f" Also unclear: {', '.join(others)}." if others else ""
    if spec.kind is SpecKind.DOCSTRING:
        # A docstring's message names the facet: the text is long, the gap is specific.
        facet = _FACET_NAMES[first.kind]
        return f'Ambiguous docstring "{quoted}" ({facet}): {first.question}{also}'
    return f'Ambiguous {kind} "{quoted}": {first.question}{also}'


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
