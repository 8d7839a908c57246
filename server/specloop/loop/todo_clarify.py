"""Clarify one ambiguous TODO without a model: the detector's facets become questions.

The detector (`analysis/ambiguity.py`) says which facet a TODO leaves open; this module
turns the first open facet into a question with concrete options, applies the answer
to a `Draft` of the comment, and asks again about whatever is still open (at most
`MAX_QUESTIONS`). The finished draft is written back as the new comment text — or the
comment is removed, or kept as a note that asks for nothing.

Concrete options come from the rubric and the code, never from guesses about intent:
- an open choice ("maybe cache this?"): do it, drop it, or keep it as a note;
- open error handling ("handle errors"): what to raise for the target's own
  parameters (negative numbers, empty strings and collections, None), or let errors
  propagate;
- anything else (what limit, faster by how much): only the author can say, so the
  options are to keep it as a note or delete it, and the question tells the user what
  to write. With a model configured, the loop's clarify stage adds its own questions.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from specloop.analysis.ambiguity import Facet, FacetKind, Label, assess
from specloop.analysis.specs import Spec, SpecKind
from specloop.analysis.text import decode, encode
from specloop.loop.models import Question

MAX_QUESTIONS = 3
NOTE_MARKER = "NOTE"
LINE_WIDTH = 88

DO_IT = "Yes: do it"
DROP_IT = "No: delete this TODO"
KEEP_AS_NOTE = "Keep it as a note that asks for no change"
PROPAGATE = "Let errors propagate to the caller"
OWN_WORDS = "write it into the TODO"
"""In a question only the user can answer: an editor that can ask for text offers to."""

_HEDGES = re.compile(
    r"\b(?:maybe|perhaps|possibly|probably|ideally|eventually|in the future|i think|i guess|"
    r"should we|should i|would be (?:nice|good|better|great) to|could use|hmm+)\b[,:]?\s*",
    re.IGNORECASE,
)
_NUMERIC_TYPES = {"int", "float", "Decimal", "complex", "Fraction", "number", "Number"}
_NUMERIC_NAMES = re.compile(
    r"(?:^|_)(?:amount|count|total|price|cost|size|limit|quantity|qty|number|num|n|rate|age|"
    r"index|timeout|seconds|minutes|days|balance|percent|ratio|weight|length|width|height)$"
)
_TEXT_TYPES = {"str", "bytes"}
_COLLECTION_TYPES = re.compile(r"^(?:list|tuple|set|dict|frozenset|Sequence|Iterable|Mapping)\b")
_ERROR_WORDS = ("error", "exception", "failure")


@dataclass(frozen=True)
class Parameter:
    name: str
    annotation: str | None
    default_none: bool


@dataclass(frozen=True)
class Draft:
    """The comment as the answers have shaped it so far."""

    spec: Spec
    """The TODO as it is in the file; its text and marker change, its place does not."""
    text: str
    marker: str
    deleted: bool = False
    decisions: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: Spec) -> Draft:
        return cls(spec, spec.text, spec.marker or "TODO")

    @property
    def asks_for_change(self) -> bool:
        return not self.deleted and self.marker != NOTE_MARKER

    def open_facets(self) -> tuple[Facet, ...]:
        """What the detector still finds open in the draft (nothing once it is clear)."""
        if not self.asks_for_change:
            return ()
        assessment = assess(dataclasses.replace(self.spec, text=self.text, marker=self.marker))
        return assessment.facets if assessment.label is Label.AMBIGUOUS else ()

    def comment(self, indent_column: int, newline: str = "\n") -> str | None:
        """The new comment, continuation lines at ``indent_column``; None when deleted."""
        if self.deleted:
            return None
        tag = f"({self.spec.tag})" if self.spec.tag and self.marker != NOTE_MARKER else ""
        head = f"# {self.marker}{tag}: "
        width = max(LINE_WIDTH - indent_column, 40)
        lines = textwrap.wrap(
            self.text,
            width=width,
            initial_indent=head,
            subsequent_indent="#   ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [head.rstrip()]
        return (newline + " " * indent_column).join(lines)


def takes_own_words(question: Question) -> bool:
    """Whether an answer in the user's own words fits (it becomes part of the TODO)."""
    return OWN_WORDS in question.text


def is_clarifiable(spec: Spec) -> bool:
    """A TODO-style comment the detector finds ambiguous."""
    return spec.kind is SpecKind.COMMENT and assess(spec).label is Label.AMBIGUOUS


def next_question(draft: Draft, parameters: Sequence[Parameter]) -> Question | None:
    """A question about the first facet the draft leaves open; None once nothing is open."""
    facets = draft.open_facets()
    if not facets:
        return None
    facet = facets[0]
    if facet.kind is FacetKind.CHOICE:
        options = [DO_IT, DROP_IT, KEEP_AS_NOTE]
        text = f'"{draft.text}" — is this decided? Should it be done?'
    elif facet.kind is FacetKind.VALUES and facet.trigger.lower().startswith(_ERROR_WORDS):
        options = [*error_options(parameters)[:3], PROPAGATE]
        if len(options) < 2:
            options.append(KEEP_AS_NOTE)
        text = f"{facet.question} (TODO: {draft.text})"
    else:
        options = [KEEP_AS_NOTE, DROP_IT]
        text = (
            f"{facet.question} Only you can say: {OWN_WORDS} "
            f'("{draft.text}"), or choose what to do with it.'
        )
    return Question(
        id=f"{facet.kind.value}-{len(draft.decisions) + 1}",
        text=text,
        options=options,
        assumption=options[0],
    )


def answer(draft: Draft, question: Question, choice: str) -> Draft:
    """The draft after the user chose ``choice`` for ``question``."""
    decided = dataclasses.replace(draft, decisions=(*draft.decisions, f"{question.id}: {choice}"))
    if choice == DROP_IT:
        return dataclasses.replace(decided, deleted=True)
    if choice == KEEP_AS_NOTE:
        return dataclasses.replace(decided, marker=NOTE_MARKER)
    if choice == DO_IT:
        return dataclasses.replace(decided, text=_without_hedges(draft.text))
    if takes_own_words(question) and choice not in question.options:
        # The user's own words say what to do: they become the TODO, in its place.
        return dataclasses.replace(decided, text=choice.strip().rstrip(".") + ".")
    if choice == PROPAGATE:
        return dataclasses.replace(
            decided, marker=NOTE_MARKER, text=f"{draft.text}: errors propagate to the caller."
        )
    return dataclasses.replace(decided, text=f"{draft.text.rstrip('.')}: {choice}.")


def rewritten(source: bytes, draft: Draft) -> bytes:
    """``source`` with the draft in place of its TODO, or without the TODO when it was deleted.

    Only the comment's own bytes change: the code before a trailing comment, the
    indentation and the file's line endings stay as they were.
    """
    spec = draft.spec
    # tree-sitter's comment ends before "\n" but after the "\r" of a CRLF line.
    end = spec.end - 1 if source[spec.end - 1 : spec.end] == b"\r" else spec.end
    line_start = source.rfind(b"\n", 0, spec.start) + 1
    line_end = source.find(b"\n", end)
    newline = "\r\n" if line_end > 0 and source[line_end - 1 : line_end] == b"\r" else "\n"
    comment = draft.comment(len(decode(source[line_start : spec.start])), newline)
    if comment is not None:
        return source[: spec.start] + encode(comment) + source[end:]
    if spec.context.trailing_code:
        return source[: spec.start].rstrip(b" \t") + source[end:]
    # A comment alone on its lines goes with its lines.
    end = len(source) if line_end < 0 else line_end + 1
    return source[:line_start] + source[end:]


def error_options(parameters: Sequence[Parameter]) -> list[str]:
    """Concrete error behaviours for the target's parameters: what to raise, and when."""
    options = []
    for parameter in parameters:
        condition = _invalid_condition(parameter)
        if condition is not None:
            options.append(f"raise ValueError when `{parameter.name}` {condition}")
    return options


def parameters_of(signature: str) -> list[Parameter]:
    """The parameters of a ``def`` header (without ``self``/``cls``); [] if it does not parse."""
    try:
        tree = ast.parse(f"{signature.strip()}\n    pass\n")
    except SyntaxError:
        return []
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    defaults += list(arguments.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
    ]
    return [
        Parameter(
            name=argument.arg,
            annotation=ast.unparse(argument.annotation) if argument.annotation else None,
            default_none=isinstance(default, ast.Constant) and default.value is None,
        )
        for argument, default in pairs
        if argument.arg not in ("self", "cls")
    ]


def _invalid_condition(parameter: Parameter) -> str | None:
    annotation = (parameter.annotation or "").replace("typing.", "")
    optional = parameter.default_none or "None" in annotation or "Optional" in annotation
    if optional:
        return "is None"
    base = re.sub(r"\[.*", "", annotation)
    if base in _NUMERIC_TYPES or (not annotation and _NUMERIC_NAMES.search(parameter.name)):
        return "is negative"
    if base in _TEXT_TYPES:
        return "is empty"
    if _COLLECTION_TYPES.match(annotation):
        return "is empty"
    return None


def _without_hedges(text: str) -> str:
    cleaned = _HEDGES.sub("", text).strip().rstrip("?").strip()
    return cleaned[:1].lower() + cleaned[1:] if cleaned else text
