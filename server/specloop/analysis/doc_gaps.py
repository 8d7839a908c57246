"""Docstring rules that read what the text leaves out, whoever wrote it.

The first docstring rules (`ambiguity._assess_docstring`) fit the specs written
here: a docstring with examples was read as pinned down, and a missing output was
asked about only under a return annotation. Specs written by others (issue 23,
item 6) leave gaps those rules do not see. This module finds six, each returned
as a `Gap` that `ambiguity` turns into a facet:

- ``docstring-choice-examples`` — an open choice offered as examples: "a certain
  condition (e.g. closer or farther)", "(for example X, Y or another)", "extra checks,
  such as …";
- ``docstring-choice-beside-examples`` — words that leave the rule to the
  implementer whatever the examples show: "or another", "whichever", "somehow",
  "depending on the context", "an appropriate format";
- ``docstring-either-way`` — opposites joined by "or" where the text should pick
  one: "Return the largest or smallest element";
- ``docstring-vague-quantity`` — a quantity or part named without its size: "some
  elements", "a certain part", "a few", "a portion of";
- ``docstring-stops-mid-sentence`` — a paragraph whose last words cannot end a
  sentence, so the rest of the rule is missing: a word that needs what follows
  ("Return the numbers that are", "once for every", "that the key can"), a modifier
  without its noun ("values of given"), a clause without its verb ("True if all the
  elements"), an open bracket, or a last sentence "Same";
- ``docstring-output-unstated`` — a task-style spec without a return annotation
  ("Given a list of numbers, ...") that never says what it returns and shows no
  example result.

The first five are read even when the docstring has examples: an example
illustrates one case of a rule, it does not choose between the options the text
leaves open. Code spans (backquotes, quoted strings) are blanked first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specloop.analysis import lexicon
from specloop.analysis.docstrings import DocstringParts


@dataclass(frozen=True, slots=True)
class Gap:
    """One thing the text leaves out: its facet kind's value, trigger, question, rule."""

    kind: str
    trigger: str
    question: str
    rule: str


_CODE = re.compile(r"`[^`]*`|\"[^\"\n]*\"|'[^'\n]*'")
_FOR_EXAMPLE = r"(?:e\.g\.|eg\.|for example|for instance|such as|like|say)[,:]?\s*"
_CHOICE_EXAMPLES = re.compile(
    # "a certain condition (e.g. closer or farther)", with or without the parentheses.
    r"\b(?:a|an|one|to a|the)\s+(?:certain|given|specific|particular)\s+(?P<noun>\w+)\s*"
    rf"(?:\(|,\s*)?{_FOR_EXAMPLE}(?P<options>[^().;]*?\bor\b[^().;]*)\)?"
    # "(for example X, Y or another)"
    rf"|\({_FOR_EXAMPLE}"
    r"(?P<open>[^()]*?\b(?:or|and/or)\s+(?:another|other|others|something else|so on|more)\b"
    r"[^()]*)\)"
    # "extra checks, such as if they are too old": a class of things given by examples.
    r"|\b(?:extra|additional|other|various|several|some|certain)\s+(?P<things>\w+s)\b,?\s*"
    r"(?:to\s+\w+\s+[^,.;]*?,?\s*)?(?:such as|e\.g\.|for example|like)\s+(?P<some>[^.;]*)",
    re.IGNORECASE,
)
_LEFT_TO_IMPLEMENTER = re.compile(
    r"\b(?:or\s+(?:another|other\s+\w+|something\s+else|some\s+other\s+\w+|vice\s+versa)"
    r"|whichever|somehow|in\s+some\s+(?:way|manner|order|sense|form)"
    r"|depending\s+on\s+(?:the\s+)?(?:\w+\s+)?(?:context|situation|case|needs?|preference)"
    r"|an?\s+(?:appropriate|suitable|reasonable|sensible)\s+\w+"
    r"|(?:as|when|if|where)\s+(?:appropriate|needed|suitable|necessary)\b"
    r"|(?:either|one)\s+of\s+(?:them|the\s+two|several|a\s+few)"
    # "compute the result based on a and b": the value is named, its rule is not.
    r"|(?:the|a|an|some)\s+(?:result|value|output|answer|outcome)\s+"
    r"(?:based\s+on|depending\s+on|derived\s+from))",
    re.IGNORECASE,
)
_PAIRS = (
    "closer farther, closer further, nearer farther, nearer further, larger smaller, "
    "largest smallest, bigger smaller, biggest smallest, higher lower, highest lowest, "
    "longer shorter, longest shortest, greater smaller, greatest smallest, greater less, "
    "more fewer, more less, most least, earlier later, earliest latest, first last, "
    "ascending descending, increasing decreasing, even odd, positive negative, "
    "minimum maximum, min max, uppercase lowercase, upper lower, left right, sum product, "
    "above below, before after, prefix suffix, leading trailing, inclusive exclusive"
)
_OPPOSITE_PAIRS = frozenset(frozenset(pair.split()) for pair in _PAIRS.split(", "))
_OPPOSITES = re.compile(r"\b([a-z]+)\s+or\s+(?:the\s+)?([a-z]+)\b", re.IGNORECASE)
_CONDITION = re.compile(r"\b(?:if|whether|when|unless|where|either|true|false)\b", re.IGNORECASE)
_DESCRIBES_INPUT = re.compile(
    r"\b(?:may|might|can|could)\s+(?:be|contain|include|have)\b|\bno\s+matter\b",
    re.IGNORECASE,
)
_VAGUE_QUANTITY = re.compile(
    r"\b(?:a\s+certain\s+(?:part|portion|number|amount|fraction|subset|share|count|"
    r"percentage|proportion|range|set|length|size)"
    r"|(?:a|some)\s+(?:part|portion|fraction|subset|share)\s+of"
    r"|a\s+few\s+\w+"
    r"|(?:a\s+(?:number|couple|handful|lot)|lots|(?:most|many)(?=\s+of\s+the))\s+of\s+\w+"
    r"|(?:several|certain)\s+(?!of\b|have\b|has\b|are\b|is\b|were\b|can\b|may\b)\w+"
    r"|some\s+(?!of\s+(?:which|whom|these|those|them)\b)(?:of\s+the\s+)?\w+)",
    re.IGNORECASE,
)
# "some" that is not a quantity of the input: "in some cases", "for some reason".
_NOT_A_QUANTITY = re.compile(
    r"\b(?:in|for|at|to|on)\s+(?:some|certain)\s+(?:cases?|reasons?|points?|extent|degree|"
    r"times?|situations?|platforms?|systems?)\b",
    re.IGNORECASE,
)
# Words no sentence ends on: articles, determiners, prepositions, conjunctions,
# auxiliaries and modal verbs, verbs that need their object.
_DANGLING = frozenset(
    re.findall(
        r"\w+",
        """the a an of to in on at by for with from into onto than and or but nor if that
        which whose who whom whether because while when where are were be been being was
        its their our your his her my such whereas although though unless until via per
        between among like return returns compute computes check checks give gives contain
        contains include includes including containing using use uses find finds get gets
        make makes every each all can could may might must should shall would according
        regardless irrespective""",
    )
)
# Words that end a sentence only in a few set phrases: "at will", "at all", "them all".
_ENDS_A_PHRASE = {"will": {"at"}, "all": {"at", "them", "it", "us", "you", "these", "those", "for"}}
# A modifier that needs its noun, after an article, a possessive or a preposition:
# "over values of given", "a function calling its sole". After a noun or a verb it
# ends the clause ("the value given", "as given", "if one is supplied").
_MODIFIERS = frozenset(re.findall(r"\w+", "given sole entire whole respective specified supplied"))
_BEFORE_A_NOUN = frozenset(
    re.findall(
        r"\w+",
        """the a an its their his her our your my this these those each every any all of to
        in on at by for with from into onto over""",
    )
)
# A clause that opens on a subordinator and a determiner and stops at its subject:
# "Returns True if all the elements", "Stop when the user". One word after the
# determiners is a subject without its verb ("when the file exists" has its verb).
_CLAUSE_WITHOUT_VERB = re.compile(
    r"\b(?:if|whether|when|whenever|unless|until|while|once|because|although|though)\s+"
    r"(?:(?:all|any|every|each|both|no|some|the|a|an|its|their|this|these|those)\s+){1,2}"
    r"[\w*]+$",
    re.IGNORECASE,
)
_UNDERLINE = re.compile(r"[-=~]{3,}")
_SECTION = re.compile(
    r"^(?:[A-Z][A-Za-z ]{2,20}:$"
    r"|:(?:param|parameter|arg|argument|key|keyword|type|returns?|rtype|raises?|yields?|"
    r"var|ivar|cvar)\b)"
)
_SENTENCE_END = re.compile(r"[.!?:;)\]\"'`]$")
# A paragraph that ends on an open bracket or a dash was cut: "Return the items (".
# Not a comma: a paragraph before a formula or a list often ends on one. Nor a bracket
# left open earlier in the paragraph: writers leave asides and markup open.
_ENDS_OPEN = re.compile(r"[(\[{\u2013\u2014]$")
# A last sentence of one word that only opens a comparison: "… with f. Same".
_OPENS_A_COMPARISON = frozenset(re.findall(r"\w+", "same similar equivalent analogous identical"))
_NAMES_A_RESULT = lexicon.RESULT_VERBS | frozenset(
    re.findall(r"\w+", "count counts find finds sum sums check checks decide decides tell tells")
)
_TASK_OPENING = re.compile(
    r"^(?:given\b|you\s+(?:are|will\s+be|'re)\s+given\b|for\s+a\s+given\b|"
    r"(?:write|implement|create)\s+a\s+function\b|your\s+task\b|the\s+task\b)",
    re.IGNORECASE,
)


def _blank_code(text: str) -> str:
    return _CODE.sub(lambda match: " " * len(match.group(0)), text)


def choice_examples(prose: str) -> Gap | None:
    """An open choice offered as examples: "a certain condition (e.g. closer or farther)"."""
    match = _CHOICE_EXAMPLES.search(_blank_code(prose))
    if match is None:
        return None
    noun = match.group("noun") or match.group("things")
    options = match.group("options") or match.group("open") or match.group("some") or ""
    choices = [c.strip(" ,.") for c in re.split(r",?\s+(?:and/)?or\s+|,\s*", options)]
    listed = ", ".join(c for c in choices if c)
    subject = f"Which {noun}" if noun else "Which one"
    question = (
        f"{subject} exactly? The text offers examples ({listed}) instead of the rule; "
        "say which one applies."
    )
    return Gap("choice", match.group(0), question, "docstring-choice-examples")


def choice_beside_examples(prose: str) -> Gap | None:
    """Words that leave the rule to the implementer whatever the examples show:
    "or another", "whichever", "somehow", "depending on …", "an appropriate format"."""
    match = _LEFT_TO_IMPLEMENTER.search(_blank_code(prose))
    if match is None:
        return None
    trigger = match.group(0)
    question = f'"{trigger}" leaves the rule to the implementer: which behaviour exactly?'
    return Gap("choice", trigger, question, "docstring-choice-beside-examples")


def either_way(prose: str) -> Gap | None:
    """Opposites joined by "or" where the text should pick one: "Return the largest or
    smallest element", "count the closer or farther pairs". A condition ("True if the
    list is increasing or decreasing") or a description of the input ("may be positive
    or negative") is a disjunction, not a choice."""
    for sentence in re.split(r"(?<=[.;!?])\s+", _blank_code(prose)):
        match = _OPPOSITES.search(sentence)
        if match is None or _CONDITION.search(sentence[: match.start()]):
            continue
        if _DESCRIBES_INPUT.search(sentence):
            continue
        first, second = match.group(1), match.group(2)
        if frozenset((first.lower(), second.lower())) not in _OPPOSITE_PAIRS:
            continue
        question = f'"{match.group(0)}": which one, {first} or {second}? The text names both.'
        return Gap("choice", match.group(0), question, "docstring-either-way")
    return None


def vague_quantity(prose: str) -> Gap | None:
    """A quantity or part named without its size: "some elements", "a certain part"."""
    blanked = _blank_code(prose)
    for sentence in re.split(r"(?<=[.;!?])\s+", blanked):
        for match in _VAGUE_QUANTITY.finditer(sentence):
            if not sentence[: match.start()].strip():
                continue  # a generic subject: "Some backends cache ...", "Several hooks ..."
            around = sentence[max(0, match.start() - 4) : match.end()]
            if _NOT_A_QUANTITY.search(around):
                continue
            trigger = match.group(0)
            question = (
                f'"{trigger}": how many or which part exactly? '
                "Give the number, the bound or the rule that picks them."
            )
            return Gap("values", trigger, question, "docstring-vague-quantity")
    return None


def stops_mid_sentence(lines: list[str]) -> Gap | None:
    """A prose paragraph whose last word cannot end a sentence."""
    for paragraph in _paragraphs(lines):
        text = paragraph.rstrip()
        if not text or _SENTENCE_END.search(text):
            continue  # a full stop, or a code span at the end ("… to `extract_dir`")
        if _stops_short(text):
            tail = " ".join(paragraph.split()[-5:])
            question = (
                f'The description stops mid-sentence ("…{tail}"): what is the rest of the rule?'
            )
            return Gap("values", tail, question, "docstring-stops-mid-sentence")
    return None


def _stops_short(text: str) -> bool:
    """The paragraph's last words cannot end a sentence: a word that needs what follows
    ("… longer than"), a modifier without its noun ("… of given") or a clause without
    its verb ("… if all the elements")."""
    if _ENDS_OPEN.search(text):
        return True
    words = text.split()
    last = words[-1]
    if len(words) > 1 and words[-2].endswith(".") and last.lower() in _OPENS_A_COMPARISON:
        return True
    before = words[-2].lower() if len(words) > 1 else ""
    if last.lower() in _DANGLING and not last.isupper():  # "matrix A", "… MUST" (RFC)
        return before not in _ENDS_A_PHRASE.get(last.lower(), set())
    if last.lower() in _MODIFIERS and before in _BEFORE_A_NOUN:
        return True
    return _CLAUSE_WITHOUT_VERB.search(text) is not None


def _paragraphs(lines: list[str]) -> list[str]:
    """The description's paragraphs: runs of lines ended by a blank line, an example or
    the end, up to the first section (a parameter's note may end on "rotate it by")."""
    paragraphs: list[str] = []
    current: list[str] = []
    stripped = [raw.strip() for raw in lines]
    for index, line in enumerate(stripped):
        following = stripped[index + 1] if index + 1 < len(stripped) else ""
        if _UNDERLINE.fullmatch(following) or _SECTION.match(line):
            break  # numpydoc, Google or reST sections: parameters, returns, notes
        if not line or line.startswith((">>>", "...")) or _UNDERLINE.fullmatch(line):
            if current:
                paragraphs.append(" ".join(current))
            current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def output_unstated(parts: DocstringParts, annotation: str | None) -> Gap | None:
    """A task-style spec without an annotation that never says what it returns."""
    if annotation is not None or any(example.output for example in parts.examples):
        return None
    if not _TASK_OPENING.match(parts.summary):
        return None
    if "returns" in parts.sections or lexicon.STATES_RETURN.search(parts.prose):
        return None
    if any(word.lower() in _NAMES_A_RESULT for word in re.findall(r"\w+", parts.summary)):
        return None  # "Given blocks, count the occupied ones": the count is the result
    question = "What does it return? The text describes the input but never says which value."
    trigger = " ".join(parts.summary.split()[:6])
    return Gap("output", trigger, question, "docstring-output-unstated")
