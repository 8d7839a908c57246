"""The question a vague word calls for, worded by what kind of word it is.

A template that drops the trigger into "Which … exactly?" reads well only when the
trigger is a noun phrase ("Which edge cases exactly?"). Open values are also named by
determiners ("some parameter", "certain fields"), by words that close a list ("etc",
"and so on"), by pronouns and placeholders ("something", "things"), by adverbs
("somehow", "somewhere") and by adjectives that defer a judgement ("proper", "the
right"). Each kind gets the question a careful reviewer would ask, so the message
never reads "Which some parameter exactly" or "Which etc exactly". Vague verbs and soft
done-criteria are worded the same way: an inquiry ("figure out") is asked what it
should decide, a speed word ("faster") for a target, a taste word ("hacky") for what
done looks like.
"""

from __future__ import annotations

import re

_DETERMINER = re.compile(r"^(?:some|certain|more|additional)\s+(\w+)$", re.IGNORECASE)
# Words a determiner can stand before that are not the thing left open: "some better
# way", "some of them", "certain ourselves".
_NOT_A_NOUN_WORDS = """
    of the a an more other others such same better worse bigger smaller larger new old
    good bad extra further kind sort form it its itself them themselves ourselves
    yourself himself herself one ones way ways time times
"""
_NOT_A_NOUN = frozenset(_NOT_A_NOUN_WORDS.split())
# Words that end a noun phrase rather than continue it.
_STOP_WORDS = """
    of the a an to in on for from with by at as into onto over under about that which who
    where when while if then than so and or but not is are was were be been being has have
    had do does did should must can could will would may might shall we you they it this
    these those there here i he she its their our your my like such cannot can't
"""
_STOP = frozenset(_STOP_WORDS.split())
_LEADING = frozenset({"more", "extra", "additional", "further"})
_LIST_ENDS = frozenset({"etc", "etc.", "and so on", "whatever"})
_PLACEHOLDERS = frozenset({"something", "stuff", "things"})
_JUDGEMENTS = frozenset(
    {"appropriate", "appropriately", "proper", "the right", "sensible", "reasonable"}
)


def names_a_thing(word: str) -> bool:
    """Whether the word after a determiner is the thing left open (not "of", "better")."""
    return word.isalpha() and word.lower() not in _NOT_A_NOUN


def noun_phrase(first: str, following: str = "") -> str | None:
    """The noun phrase a determiner leaves open, where the words show where it ends:
    ``first`` (the word after "some") when the phrase ends there ("some parameter to
    the ..." -> "parameter"), or with the next word when the phrase ends after it ("some
    special cases." -> "special cases"; "some more tests" -> "tests"); None otherwise."""
    words = re.split(r"[.,;:!?()\[\]]", following, maxsplit=1)[0].split()

    def ends_at(index: int) -> bool:
        if index >= len(words):
            return True
        word = words[index].lower()
        return word in _STOP or word.endswith(("ed", "ly")) or word in ("only", "return")

    if names_a_thing(first) and first.lower() not in _LEADING and ends_at(0):
        return first
    if words and words[0].isalpha() and names_a_thing(words[0]) and ends_at(1):
        if first.lower() in _LEADING:
            return words[0]
        if first.isalpha() and first.lower() not in _NOT_A_NOUN:
            return f"{first} {words[0]}"
    return None


# "something like assert_allclose": an example named right after the placeholder.
_AN_EXAMPLE = re.compile(r"\s+(?:like|such as)\s+((?:an?\s+|the\s+)?[^\s,;:!?()]+)")


def values_question(word: str, following: str = "", before: str = "") -> str:
    """The question for a word that leaves values open (`lexicon.OPEN_VALUES`);
    ``following``: the text right after it, where a determiner's noun may be;
    ``before``: the text before it."""
    lowered = " ".join(word.lower().split())
    if lowered.startswith(("error", "exception", "failure")):
        return _errors_question(lowered, before, following)
    if lowered in _LIST_ENDS:
        ending = "etc." if lowered.startswith("etc") else word
        return f'The list ends in "{ending}": what else exactly, and which of it is required?'
    if lowered == "something" and (example := _AN_EXAMPLE.match(following)):
        named = example.group(1).rstrip(".")
        return f'"something like {named}": {named} itself, or what else? Name it.'
    if lowered in _PLACEHOLDERS:
        them = "it" if lowered == "something" else "them"
        return f'What exactly does "{word}" stand for? Name {them}.'
    if lowered in _JUDGEMENTS:
        return f'"{word}" by what rule? Name the value or the behaviour meant.'
    if lowered == "somehow":
        return '"somehow": how exactly? Name the approach.'
    if lowered in ("somewhere", "elsewhere"):
        return f'"{word}": where exactly? Name the module, class or function.'
    if lowered in ("deferred", "for later"):
        return deferral_question(word)
    if determined := _DETERMINER.match(word.strip()):
        return determiner_question(word, determined.group(1), following)
    return f"Which {lowered} exactly, and what should happen for each?"


# "raise an error", "raising a ValueError-like exception": the error is to be raised.
_RAISED = re.compile(
    r"\b(?:raise[sd]?|raising|throws?|throwing)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?$", re.I
)
# What to do about errors, said already: "catch ...", "log ...", "sort instead of ...".
_OUTCOME = re.compile(
    r"\b(?:raise|raising|catch|catching|log|logging|warn|ignore|skip|retry|return|instead)\b",
    re.I,
)


def _errors_question(errors: str, before: str, following: str) -> str:
    """Errors to raise are asked their class; errors whose outcome the text names, which
    ones; otherwise which ones and what should happen."""
    if _RAISED.search(before):
        return f"Raise which {errors}: name the class and the message."
    if _OUTCOME.search(before) or _OUTCOME.search(following):
        return f"Which {errors} exactly? Name them."
    return f"Which {errors}, and what should happen: raise, retry, log, or return a default?"


def deferral_question(word: str) -> str:
    """The question for a change put off without a time ("for later", "in the future")."""
    return f'"{word}" until when? Name the trigger: a version, a date or an issue.'


def left_open_question(trigger: str) -> str:
    """The question for a docstring's class of inputs named but not pinned down
    (`lexicon.DOC_OPEN_VALUES`): a test left to judgement ("looks like", "enough") is
    asked for the test; a class of inputs ("invalid input") for its members and outcome."""
    lowered = " ".join(trigger.lower().split())
    if lowered.startswith("look"):
        return f'"{trigger}": by what test? Say exactly when it counts.'
    if lowered == "enough":
        return '"enough": how much is enough? Give the bound.'
    return (
        f'"{trigger}": which values exactly, and what should happen for them '
        "(raise, return a default, or skip)?"
    )


def determiner_question(trigger: str, first: str, following: str = "") -> str:
    """ "Which parameter exactly?" for "some parameter"; the words quoted, with no
    pretence of naming a noun, when the phrase does not show its noun ("some of")."""
    phrase = noun_phrase(first, following)
    if phrase is None:
        quoted = trigger.strip()
        if first.lower() == "of":  # "some of the parsing": the phrase is what it is part of
            clause = re.split(r"[.,;:!?()\[\]]", following, maxsplit=1)[0].split()
            quoted = " ".join([quoted, *clause[:2]])
        return f'"{quoted}": which exactly? Name it, or give the rule that picks it.'
    extra = len(phrase.split()) - (0 if first.lower() in _LEADING else 1)
    quoted = " ".join([trigger.strip(), *following.split()[:extra]]).rstrip(".,;:!?")
    return f'Which {phrase} exactly? "{quoted}" leaves it to the implementer.'


def choice_question(trigger: str) -> str:
    """The question for an open choice with no options and no noun to name."""
    lowered = trigger.lower().strip()
    if lowered in _LIST_ENDS:
        return values_question(trigger)
    if lowered.startswith("depending on"):
        return f'"{trigger}": depending on what, and how? Say the rule, or give an example.'
    if lowered.startswith(("if ", "when ", "where ", "as ")):
        return f'"{trigger}": when exactly? Say the condition.'
    return f'"{trigger}": which behaviour exactly? Say the rule, or give an example.'


_INQUIRIES = frozenset(
    {
        "investigate", "research", "evaluate", "review", "revisit", "explore",
        "figure out", "find out", "look at", "look into", "sort out", "work out",
        "find the cause", "find the root cause",
    }
)  # fmt: skip
_SPEED = re.compile(r"\b(?:fast|faster|quicker|slow|perf|performance|efficien|speed)", re.I)
_TASTE = frozenset({"ugly", "hacky", "less hacky", "nicer", "cleaner", "elegant", "elegantly"})


def verb_question(verb: str) -> str:
    """The question for a vague verb with no criterion (`lexicon.VAGUE_VERBS`)."""
    lowered = " ".join(verb.lower().split())
    if lowered in _INQUIRIES:
        return f'"{verb}" to decide what? Say what the code should do once it is known.'
    if lowered.startswith("do "):
        return f'"{verb}": do what, exactly? Say the change.'
    if lowered.startswith("make "):
        return f'"{verb}": work how? Say the input and the result expected.'
    return f'"{verb}" how? Say what the code should do differently.'


def criterion_question(word: str) -> str:
    """The question for a soft done-criterion (`lexicon.DONE_CRITERIA`)."""
    lowered = " ".join(word.lower().split())
    if _SPEED.search(lowered):
        return f'"{word}" by how much? Give a target: a time, a size or a complexity.'
    if lowered in _TASTE:
        return f'"{word}": what would the clean version do? Say what done looks like.'
    return f'"{word}" by what measure?'


def trigger_criterion_question(word: str) -> str:
    """The question for a soft word in the condition a change waits for: "replace this
    when better support is added"."""
    return (
        f'"{word}" in the condition: when exactly is it met? '
        "Name the trigger: a release, an issue or a test."
    )
