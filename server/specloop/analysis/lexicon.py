"""Word lists and small predicates the ambiguity detector reads specs with.

Kept apart from the rules so the rules read as the rubric does. All patterns
are case-insensitive and match whole words.
"""

from __future__ import annotations

import re


def _words(*phrases: str) -> re.Pattern[str]:
    alternatives = "|".join(sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


# Verbs a TODO starts with when it asks for a change (mined from real TODOs).
_IMPERATIVE_WORDS = """
    adapt add align allow annotate append apply assert attach audit avoid backport batch
    benchmark bump cache call cap catch change check clarify clean cleanup collapse colorize
    combine compare compute confirm consider consolidate convert copy create de-duplicate deal
    decide decompose dedupe deduplicate define delegate delete deprecate detect determine
    disable disallow disentangle dispatch display document drop duplicate emit enable encode
    enforce ensure escape evaluate expand explain expose extend extract factor fetch figure fill
    filter find fix flag flesh flush force forward generalise generalize get give guard handle
    hide hoist ignore implement improve include inherit inline insert install integrate
    investigate isolate keep kill let lift limit link load lock log look lower make mark memoize
    merge migrate mock modify move narrow need needs normalise normalize open optimise optimize
    override parameterize parametrize parse pass patch pin populate port prefer prepend preserve
    prevent print promote propagate protect prove pull push put raise re-add re-enable read readd
    rebuild reconsider redo reduce refactor refine register reimplement reject release reload remove
    rename reorder reorganize replace report require research reset reshape resolve respect
    restore restructure rethink retry return reuse revert review revisit rework rewrite run save
    schedule send separate set share show silence simplify skip sort specify speed split standardize
    start stop store strip support suppress switch sync take test throw tidy tighten tolerate
    track translate treat trigger trim try turn uncomment undo unify unpin unskip update upgrade
    use validate vendor verify warn work wrap write xfail yield
    accept come do eliminate exit import infer offer provide revise supply tag wait
    don't never
"""
IMPERATIVES = frozenset(_IMPERATIVE_WORDS.split())
# Adverbs a request may open with before its verb: "actually parse ...", "just add ...".
_OPENING_ADVERBS = frozenset(
    ("actually", "just", "also", "then", "please", "maybe", "first", "only")
)
# Verbs that name an intent but no criterion: "handle", "fix", "improve", ...
VAGUE_VERBS = _words(
    r"handle",
    r"fix(?: up)?",
    r"improve",
    r"clean ?up",
    r"tidy(?: up)?",
    r"support",
    r"refactor",
    r"optimi[sz]e",
    r"rework",
    r"revisit",
    r"rethink",
    r"reconsider",
    r"deal with",
    r"look (?:into|at)",
    r"investigate",
    # "figure out how to X" asks for X (rubric C5); "figure out why" asks for a cause.
    r"figure out(?! (?:how|a way|the way|way)\b)",
    r"find out",
    r"find the (?:root )?cause",
    r"sort out",
    r"enhance",
    r"adapt",
    r"adjust",
    r"tweak",
    r"tune",
    r"modify",
    r"simplify",
    r"generali[sz]e",
    r"review",
    r"validate",
    r"evaluate",
    r"research",
    r"explore",
    r"work out(?! (?:how|a way|the way|way)\b)",
    r"add support",
    r"do (?:this|it|that|something)",
    r"make (?:this|it) work",
    r"speed up",
    r"flesh out",
)
# What may stand right before a verb used as a verb (not as a noun).
_VERB_POSITION = re.compile(
    r"(?:^|[.;:!]\s+|\s-+\s+|\b(?:should|must|will|would|could|can|to|please|we|let's|"
    r"need|needs|and|then|also|maybe|probably|eventually|properly|better)\s+)$",
    re.IGNORECASE,
)
# Indefinites that leave values open ("some cases", "something", "etc"): open values so
# named are the precise part of `open-values` (docs/rubric.md, part 5).
_INDEFINITES = (
    r"some \w+",
    r"something",
    r"somewhere",
    r"somehow",
    r"stuff",
    r"things",
    r"whatever(?=\s*(?:[.,;:!?)]|$)|\s+else\b)",  # ends a list: not "whatever X does"
    r"(?<!/)etc(?!/)\.?",  # not the /etc/ of a path
    r"and so on",
)
INDEFINITE = _words(*_INDEFINITES)
# Words that leave the values open: which errors, what limit, what format.
OPEN_VALUES = _words(
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
    r"certain \w+",
    r"proper",
    r"the right",
    r"sensible",
    r"reasonable",
    *_INDEFINITES,
    r"more \w+s",
    r"additional \w+s",
    r"elsewhere",
    r"deferred",
    r"for later(?!\s+[a-z])",  # a deferral: not "for later use"
)
_ERRORS = r"(?:errors?|exceptions?|failures?)"
# Errors the text names, or errors it does not ask to handle -- no class of errors is left
# open: a quoted message ('filter "cannot determine type" errors'), a kind ("syntax
# errors", "an off by one error"), a name in code ("_fblas.error"), errors as something
# to emit or report ("treat warnings as errors", "print a warning or error"), a tool's
# message quoted after it ('error: "partial[Any]" has no attribute').
NAMED_ERRORS = re.compile(
    rf"[\"'`]\s+{_ERRORS}\b|\berrors?:\s*[\"'`]|"
    r"\b(?:syntax|parse|parsing|import|type|key|value|index|attribute|lookup|name|runtime|"
    r"internal|os|io|network|connection|timeout|http|permission|validation|decode|decoding|"
    r"encoding|unicode|rounding|numerical|numeric|approximation|truncation|off[- ]by[- ]one|"
    rf"floating[- ]point|compiler|compilation|build|linker)\s+{_ERRORS}\b|"
    r"\w\.(?:errors?|exceptions?)\b|"
    r"\bas\s+errors\b|"
    r"\bwarnings?\s*(?:/|\bor\b|\band\b)\s*errors?\b|\berrors?\s*(?:/|\bor\b|\band\b)\s*warnings?\b",
    re.IGNORECASE,
)
# An unknown cause, not a value to pick: "stored as None for some reason".
UNKNOWN_CAUSE = re.compile(r"\b(?:for|in)\s+(?:some|certain)\s+reasons?\b", re.IGNORECASE)
_QUANTIFIER = re.compile(r"(?:some|certain)\b", re.IGNORECASE)
_SENTENCE_START = re.compile(r"(?:^|[.;:!?]\s+)\W*$")


def open_value(prose_text: str) -> re.Match[str] | None:
    """The first word of `OPEN_VALUES` in the spec that leaves a value open: not "some"
    in "for some reason" (`UNKNOWN_CAUSE`) or "at some point" (a `DEFERRAL`, asked
    when), nor "some" or "certain" opening a sentence,
    where they make a generic subject ("Some backends cache ...") rather than ask."""
    for match in OPEN_VALUES.finditer(prose_text):
        if _QUANTIFIER.match(match.group(0)):
            if _SENTENCE_START.search(prose_text[: match.start()]):
                continue
            around = prose_text[max(0, match.start() - 4) : match.end()]
            if UNKNOWN_CAUSE.search(around) or DEFERRAL.search(around):
                continue
        return match
    return None


# A comment that is only a link or an issue number: "#54485", "See gh-25229", a URL.
_REFERENCE = r"(?:https?://\S+|(?:gh-?|GH\s*|issue\s*#?|bug\s*#?|pr\s*#?|#)\d+)"
ONLY_A_REFERENCE = re.compile(
    rf"^\W*(?:see\s+)?{_REFERENCE}(?:\s*(?:,|and|&)?\s*{_REFERENCE})*[\s.:;)]*$", re.IGNORECASE
)


# A list or a sentence that trails off leaves the rest to the reader, like "etc.".
TRAILING_OFF = re.compile(r"(?<=\w)\.\.\.(?=\s*$)")
# ... after short items in a row: "needs splitting, cleanup, de-duplication..."
_ITEM = r"[\w-]+(?:\s+[\w-]+){0,2}"
LIST_TRAILING_OFF = re.compile(rf"(?:{_ITEM}\s*,\s*)+{_ITEM}\.\.\.\s*$")
# An error word that names the exception already in the code: "add a message to the
# exception", "the exception message" -- not an open class of errors.
THE_EXCEPTION = re.compile(
    r"\b(?:to|in|into|of|on)\s+(?:the\s+|this\s+|that\s+|an?\s+)?(?:errors?|exceptions?)\b|"
    rf"\bwith\s+(?:the|this|that)\s+{_ERRORS}\b|\b(?:this|that|these|those)\s+{_ERRORS}\b|"
    # The error is what happens now, not what should: "sort instead of raising an error".
    rf"\binstead\s+of\s+(?:raising|throwing)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?{_ERRORS}\b|"
    # "error" qualifying another noun: "the error messages", "a better error estimate".
    r"\b(?:errors?|exceptions?)[\s-]+(?:messages?|texts?|strings?|codes?|details?|output|"
    r"approximations?|estimates?|propagation|bounds?|tolerances?|rates?|bars?|terms?|norms?)\b",
    re.IGNORECASE,
)
# A request for tests of the code it sits in: "no coverage here", "coverage" (rubric C6:
# the block to cover is named by where the comment is).
COVERAGE_REQUEST = re.compile(
    r"^\s*(?:(?:no|needs?|missing|add|more)\s+)?(?:test\s+)?coverage\b"
    r"(?:\s+(?:here|for this \w+))?",
    re.IGNORECASE,
)
# A commented-out assertion under the marker: the end state is that it passes (rule 4).
COMMENTED_ASSERTION = re.compile(
    r"(?:^|\s)(?:self\.)?assert(?:_\w+|[A-Z]\w*)\s*\(|"
    r"(?:^|\s)assert\s+[\w.()\[\], ]{1,200}?\s*(?:==|!=|<=|>=|<|>|\bis\b|\bin\b)"
)
# Hedged wording that still asks for something, even under XXX or HACK.
HEDGED_REQUEST = _words(
    r"maybe",
    r"perhaps",
    r"could use",
    r"(?:would|it'd) be (?:nice|good|better|great)",
    r"hmm+",
    r"should (?:we|i)",
    r"ideally",
    r"in the future",
    r"eventually",
)
DONE_CRITERIA = _words(
    r"faster",
    r"quicker",
    r"better",
    r"nicer",
    r"cleaner",
    r"smarter",
    r"more (?:robust|efficient|general|generic|flexible|readable|pythonic|elegant|reliable)",
    r"robust(?:ly)?",
    r"efficient(?:ly)?",
    r"properly",
    r"correctly",
    r"performance",
    r"perf",
    r"slow",
    r"ugly",
    r"hacky",
    r"cleanly",
    r"elegant(?:ly)?",
    r"gracefully",
    r"less (?:verbose|hacky|ugly|complex|complicated|awkward|magic(?:al)?|fragile|brittle|clunky|"
    r"confusing|messy|error-prone)",
    r"makes? sense",
    r"in a (?:better|nicer|saner|smarter) way",
)
# A request to find something out ("see if", "investigate whether", "not sure why"):
# rule 2's indirect question, an open choice.
INDIRECT_QUESTION = re.compile(
    r"\b(?:see|investigate|figure out|find out|work out|decide|not sure|unclear|wonder)"
    r"\s+(?:if|whether|why|what)\b",
    re.IGNORECASE,
)
# The means that makes it so, named right after a soft word: "more efficient by computing
# the pairs in parallel" is a concrete change.
BY_A_MEANS = re.compile(r"(?:\s+\w+){0,3}?\s+by\s+\w+ing\b", re.IGNORECASE)
# A condition the change waits for: "when better support for X is added, replace this".
_CONDITION_CLAUSE = re.compile(
    r"\b(?:when|once|until|unless|as soon as)\b[^,.;:!?]*", re.IGNORECASE
)


# A reason given for the change: "use `if` here, because the waiter maybe triggered".
_REASON_CLAUSE = re.compile(r"\b(?:because|since|due to)\b[^,.;:!?]*", re.IGNORECASE)


def in_reason(prose_text: str, match: re.Match[str]) -> bool:
    """Whether ``match`` sits in the reason a spec gives rather than in its request: a
    hedge there leaves no choice open."""
    return _inside(_REASON_CLAUSE, prose_text, match)


def in_condition(prose_text: str, match: re.Match[str]) -> bool:
    """Whether ``match`` sits in a condition rather than in the request: a soft
    word there leaves the trigger open ("once indexes are handled properly": when is that?)."""
    return _inside(_CONDITION_CLAUSE, prose_text, match)


def _inside(clauses: re.Pattern[str], prose_text: str, match: re.Match[str]) -> bool:
    return any(
        clause.start() < match.start() < clause.end() for clause in clauses.finditer(prose_text)
    )


# "Later" without saying when (rubric rule 3: the time is the open value).
_DEFERRALS = (r"in the future", r"some ?day", r"one day", r"at some point", r"long[- ]term")
DEFERRAL = _words(*_DEFERRALS)
OPEN_CHOICE = _words(
    r"maybe",
    r"perhaps",
    r"possibly",
    r"probably",
    r"likely",
    r"potential(?:ly)?",
    r"should (?:we|i)",
    r"could (?:we|i)",
    r"can (?:we|i)",
    r"would it",
    r"do we (?:need|want)",
    r"(?<!check )(?<!check on )(?<!test )(?<!verify )(?<!assert )(?<!ensure )whether",
    r"not sure",
    r"unsure",
    r"unclear",
    r"not clear",
    r"consider(?:ing)?",
    r"think about",
    r"decide",
    r"tbd",
    r"or not",
    r"or don't",
    r"might",
    r"ideally",
    r"optionally",
    r"(?:if|where|when) (?:possible|needed|necessary|desired|appropriate)",
    r"(?:can't|cannot|don't know|not sure|no idea) (?:work out |figure out )?how",
    r"would be (?:nice|good|better|great|worth)",
    r"it would be",
    r"could (?:use|be)",
    *_DEFERRALS,
    r"aim to",
    r"seems? (?:better|like)",
    r"i think",
    r"i guess",
    r"hmm+",
)
# An alternative offered in an aside, which `prose` blanks: "(Or don't. ...)".
ASIDE_CHOICE = re.compile(r"\(\s*or (?:don't|not)\b", re.IGNORECASE)
DOCSTRING_CHOICE = _words(r"tbd", r"maybe", r"not sure", r"unsure", r"to be decided")
UNRESOLVED_TARGET = _words(
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
# A stop-gap says what is true now, not what it should become.
STOPGAP = _words(
    r"for now",
    r"for the time being",
    r"temporar(?:y|ily)",
    r"atm",
    r"at the moment",
    r"right now",
    r"currently",
    r"for the moment",
)
# A concrete trigger makes a change clear: a version, a date, "when X is dropped"
# (within 150 characters of its "when": a longer reach made long texts quadratic).
_TRIGGER = re.compile(
    r"\b(?:when|once|after|until|by|before|if)\b[^.;]{0,150}?"
    r"(?:\d+(?:\.\d+)+|\b(?:19|20)\d\d\b|"
    r"\b(?:is|are|gets?|has been|have been|can be|becomes?|will be|was)\s+(?:\w+\s+)?"
    r"(?:dropped|removed|released|merged|fixed|deprecated|available|supported|resolved|"
    r"landed|gone|implemented|rid|required|the minimum|installed|enabled|done|"
    r"caught up)\b|chance to catch up|"
    r"\b(?:drop|dropping|support|release|fixed|fix|minimum)\b)",
    re.IGNORECASE,
)
# A version or a deprecation period opening the request: "Python 3.13 replace ...",
# "After deprecation period raise ...".
_LEADING_TRIGGER = re.compile(
    r"^\s*(?:(?:on|for|with|from|in)\s+)?(?:python|py|cpython)\s*(?:[<>=]=?\s*)?\d+(?:\.\d+)+"
    r"(?=\W+\w+\W+\w)|"  # followed by the change: a bare version names no change
    r"\b(?:after|once|when)\s+(?:the\s+)?deprecation(?:\s+period|\s+cycle)?\b",
    re.IGNORECASE,
)
_VERSION_TAG = re.compile(r"^\s*v?\d+(?:\.\d+)*\s*$|^\s*(?:19|20)\d\d(?:-\d\d){0,2}\s*$")
MODAL_REQUEST = _words(
    r"should",
    r"shouldn't",
    r"must",
    r"needs? to",
    r"needs? \w+ing",
    r"has to",
    r"have to",
    r"ought to",
    r"we want",
    r"want to",
    r"to be (?:done|implemented|fixed|removed|added|replaced)",
    r"(?:can|could) be (?:removed|dropped|deleted|simplified|replaced|changed|fixed|moved|"
    r"renamed|converted|turned|made|merged|inlined|reused)",
)
# "Do this properly" and "Where assets are copied" are no questions: "do" asks only with
# a subject after it, "where" only with a verb.
_QUESTION_START = re.compile(
    r"^(?:(?:what|why|how|which|who)\b|"
    r"where\s+(?:is|are|does|do|did|can|could|should|would|shall|will)\b|"
    r"do\s+(?:we|i|you|these|those|they)\b|"
    r"(?:is|are|does|did|can|could|should|would|shall|will|have|has)\s+"
    r"(?:we|i|you|this|that|it|there|the|these|those|they)\b)",
    re.IGNORECASE,
)
# Code names, exception types, numbers, literals: concrete anchors.
CODE_NAME = re.compile(
    r"`[^`]+`|\b\w+\(\)|\b_*[a-z]+_[a-z0-9_]+\b|\b[a-z]+[A-Z]\w*\b|\b[A-Z][a-z]+[A-Z]\w*\b|"
    r"\b\w+\.\w+\b"
)
# A name in quotes ("deprecate 'context'") is as concrete as a code name.
QUOTED_NAME = re.compile(r"(['\"`])[A-Za-z_][\w.]*\1")
EXCEPTION = re.compile(r"\b[A-Z][a-zA-Z]*(?:Error|Exception|Warning|Exit|Interrupt)\b")
LITERAL = re.compile(r"\b\d+(?:\.\d+)?\b|'[^']*'|\"[^\"]*\"|`[^`]*`|\bNone\b|\bTrue\b|\bFalse\b")
# A criterion says how a vague verb is to be carried out.
CRITERION = _words(
    r"by \w+ing",
    r"instead of",
    r"so that",
    r"so (?:this|it|we|they)",
    r"rather than",
    r"to return",
    r"to raise",
    r"returning",
    r"raising",
    r"raise \w+",
    r"return \w+",
    r"such that",
    r"so it",
    r"to use",
    r"to match",
    r"the same way as",
    r"like \w+\(\)",
)
SUBCLASS_CONTRACT = _words(
    r"subclass(?:es)? (?:must|should|need to|have to|may|can)",
    r"must be (?:implemented|overridden|overriden) (?:by|in)",
    r"(?:implemented|overridden|overriden|defined) (?:by|in) (?:a )?subclass(?:es)?",
    r"override (?:this|in)",
)

# A docstring that says its function does nothing describes what it does (rubric C4).
DOES_NOTHING = _words(
    r"(?:this (?:method |function |hook )?)?(?:does|do) nothing",
    r"no-?op",
    r"intentionally (?:empty|blank)",
)
# A hook's docstring, which describes the default others override or says how to use
# it: "The default implementation does nothing.", "The default implementation runs the
# finalizers", "Use this hook to ...", "Any conftest file can implement this hook."
A_HOOK = _words(
    r"(?:the |by )?default(?: implementation| behaviou?r)?,? (?:is to )?(?:does|do) nothing",
    r"(?:does|do) nothing by default",
    r"the default implementation",
    r"(?:use|implement|override) this hook",
)
# ... and so does one that says it is not implemented, or names the NotImplementedError
# it raises ("@raise NotImplementedError: Always.", a Raises section): rubric C4.
SAYS_NOT_IMPLEMENTED = re.compile(
    r"(?:[@:]raises?|\braises):?\s+(?:-+\s+)?NotImplementedError\b"
    r"|\[not implemented\]|\bis not (?:yet )?implemented\b",
    re.IGNORECASE,
)

# A Sphinx role goes with its code (":meth:`run`"): a colon left behind would end a list.
_CODE_SPANS = re.compile(
    r"(?::[\w.-]+){0,3}:?`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"|\([^()]*\)|\bhttps?://\S+"
)


def prose(text: str) -> str:
    """The spec with code spans, literals, parentheticals and URLs blanked out."""
    return _CODE_SPANS.sub(lambda match: " " * len(match.group(0)), text)


def question(prose_text: str) -> str | None:
    """The question a spec asks, if it asks one."""
    for sentence in re.split(r"(?<=[.!?])\s+", prose_text.strip()):
        stripped = sentence.strip()
        if stripped.endswith("?") or "? " in stripped:
            return stripped
    # Code blanked at the start leaves no question word there: "`concat` is the name".
    if not prose_text[:1].isspace() and _QUESTION_START.match(prose_text.strip()):
        first = prose_text.strip().split(".")[0]
        return first if len(first.split()) > 1 else None
    return None


# Two verbs offered as alternatives: "change/deprecate the default".
_ANY_IMPERATIVE = "|".join(sorted(IMPERATIVES, key=len, reverse=True))
# "read/write" names a file mode, not a choice between two verbs.
SLASHED_VERBS = re.compile(
    rf"\b(?!read/write\b)(?:{_ANY_IMPERATIVE})/(?:{_ANY_IMPERATIVE})\b", re.IGNORECASE
)


def asks_for_change(prose_text: str) -> bool:
    """Some clause opens with an imperative, or the spec says something should happen."""
    for clause in re.split(r"[.,;:!]\s|\s-+\s|\s=>\s", prose_text):
        words = re.findall(r"[a-z'-]+", clause.lower())
        while words and words[0] in _OPENING_ADVERBS:
            words = words[1:]
        if words and words[0] in IMPERATIVES:
            return True
    return bool(MODAL_REQUEST.search(prose_text))


# "this will be unnecessary", "special casing unnecessary with 2D EAs": the end state is
# known (the code goes away), and so is the condition, or the tag names it.
_OBSOLETE_WHEN = re.compile(
    r"\b(?:will be|becomes?|is|are)?\s*(?:unnecessary|not needed|obsolete|redundant)\b"
    r"(?:\s+(?:with|once|when|after|in)\b[^.;]+|\s*$|\s*[.;]|(?=\s+[A-Z][a-z]+\s))",
    re.IGNORECASE,
)
# The last alternative: a new sentence on the next comment line, its full stop omitted
# ("this will be unnecessary / Note that ...").


def has_trigger(prose_text: str, tag: str | None) -> bool:
    return (
        bool(_TRIGGER.search(prose_text))
        or bool(_LEADING_TRIGGER.search(prose_text))
        or bool(tag and _VERSION_TAG.match(tag))
        or bool(_OBSOLETE_WHEN.search(prose_text))
    )


# A defect whose fix is evident: the code fails to do a named, checkable thing
# ("we do not round-trip correctly", "doesn't preserve the dtype").
EVIDENT_DEFECT = re.compile(
    r"\b(?:we|it|this|that|they|which)\s+(?:do|does|did)\s*(?:n't|not)\s+"
    r"(?:correctly\s+)?(?:round-?trip|match|preserve|propagate|respect|honou?r|raise|"
    r"roundtrip|retain|keep|return the same)\b|"
    # A dead condition: the evident fix is to drop it.
    r"\b(?:condition|check|test|branch)\s+(?:is|will be)\s+always\s+(?:true|false)\b",
    re.IGNORECASE,
)
# Code that skips or silences a case: a fact stated above it names a known defect whose
# end state is evident, the case working without the skip (rubric rule 4, an xfail that
# should pass). Read on the next code line, or on the line after an ``if`` guard.
SKIPS_A_CASE = re.compile(
    r"^(?:(?:return|continue|pass)$|"
    r"(?:pytest\.)?(?:skip|xfail|importorskip)\(|self\.skipTest\(|"
    r"raise\s+(?:unittest\.)?SkipTest\b|"
    r"@(?:pytest\.mark\.)?(?:skip|xfail|XFAIL|SKIP)|@(?:unittest\.)?(?:skip|expectedFailure)|"
    r"with\s+(?:np\.|numpy\.)?errstate\(.*['\"]ignore['\"]|"
    r"(?:warnings\.)?(?:simplefilter|filterwarnings)\(\s*['\"]ignore['\"])"
)
# A limitation that says what cannot be done *yet* names the end state: doing it
# ("cannot use N itself yet" -> use N).
NOT_YET = re.compile(r"\b(?:can ?not|can't|cannot)\s+(?:[\w`]+\s+){1,4}?yet\b", re.IGNORECASE)
# Moves and splits need a destination (rubric rule 6): "move this to a matrix gallery",
# "separate this part out from X" leave where to open; "move this to sphinx.util" does not.
# Each scan is bounded to a clause's length: a long text is read in linear time.
MOVE_WITHOUT_DESTINATION = re.compile(
    r"\b(?:move|moved)\b[^.;]{0,200}?\b(?:to|into)\s+(?:a|an|some|somewhere)\b|"
    r"\bmove\b[^.;]{0,200}?\bsomewhere\b|"
    r"\b(?:separate|split|factor|pull|break)\b(?:(?!\b(?:into|to)\b)[^.;]){0,200}?\bout\b"
    r"(?![^.;]{0,200}\b(?:into|to)\s+(?!a\b|an\b|some\b)\S)",
    re.IGNORECASE,
)


def move_without_destination(text: str) -> re.Match[str] | None:
    """A move whose destination is not named: "to a helper", not "to an xarray.errors
    module", where a name in code follows the article."""
    move = MOVE_WITHOUT_DESTINATION.search(text)
    if move is None:
        return None
    after_article = move.group(0).lower().endswith((" a", " an"))
    destination = " ".join(text[move.end() :].split()[:4])
    return None if after_article and CODE_NAME.search(destination) else move


# A wish that names the new name: "this would make more sense as 'compile_outdated'".
RENAME_WISH = re.compile(
    r"\b(?:would|should)\s+(?:make more sense|be better|be clearer)\s+(?:as|named|called)\s+"
    r"['\"`]\w",
    re.IGNORECASE,
)
# A trigger and nothing else: "when yield tests are gone." (rubric rule 3: a trigger does
# not name the change); `trigger_only` checks no change follows it.
_TRIGGER_ONLY = re.compile(r"^\s*(?:when|once|after|until)\b[^,;:!?]*[.!]?\s*$", re.IGNORECASE)
# "support X" with a concrete X: a name from code, a proper noun ("support Oracle"), a
# named option ("support align option").
_CONCRETE_OBJECT = re.compile(
    r"^\s*(?:for\s+)?(?:the\s+)?(?:`[^`]+`|[A-Z][\w.+-]*[A-Za-z0-9]|"
    r"\w+\.\w+|\w+_\w+|\w+\(\)|"
    r"[\w-]+\s+(?:option|flag|argument|parameter|kwarg|keyword|attribute|directive|setting)s?\b)"
)


def trigger_only(prose_text: str) -> bool:
    """The spec is a trigger and nothing else ("when yield tests are gone.")."""
    if not _TRIGGER_ONLY.match(prose_text):
        return False
    # Past the trigger word and the word after it ("when yield tests are gone").
    words = re.findall(r"[a-z'-]+", prose_text.lower())[2:]
    return not any(word in IMPERATIVES for word in words)


def concrete_object_follows(text: str, verb_end: int) -> bool:
    return bool(_CONCRETE_OBJECT.match(text[verb_end:]))


def vague_verb(prose_text: str, original: str | None = None) -> str | None:
    """A vague verb used as a verb (at the start, after a modal, 'to', 'we', ...).

    With ``original`` (the text before code spans were blanked), "support X" whose X is
    concrete (a code name, a literal, a proper noun: "support Oracle") is not vague."""
    for match in VAGUE_VERBS.finditer(prose_text):
        if _VERB_POSITION.search(prose_text[: match.start()]):
            word = match.group(0).lower()
            if (
                original is not None
                and word in ("support", "add support")
                and concrete_object_follows(original, match.end())
            ):
                continue
            return match.group(0)
    return None


# Docstring specs (docs/rubric.md, part 3). An open choice: the text offers options or
# leaves a rule to the implementer.
DOC_OPEN_CHOICE = _words(
    r"(?:a|one|to a) certain \w+",
    r"under (?:a certain|certain|some|suitable) \w+",
    r"(?:in|by|to|with|at|for|under|on) some \w+",
    r"some (?:threshold|order|way|form|format|sense|measure|notation|convention|direction|"
    r"precision|amount|structure|definition|number|set|cap|size|depth|rule|limit|value|"
    r"separators?|unit|frequency|range|window)",
    r"an? (?:appropriate|suitable|reasonable|sensible|convenient|proper) \w+",
    r"(?:as|if|where|when|whichever is) (?:appropriate|suitable|needed|intended|convenient)",
    r"appropriately",
    r"sensibly",
    r"suitably",
    r"reasonably",
    r"in a (?:sensible|reasonable|suitable|certain) way",
    r"whichever(?: fits| is \w+)?",
    r"somehow",
    r"or (?:another|others?|similar|so|both|close to it)",
    r"or (?:some|any) other \w+",
    r"with or without",
    r"or not",
    r"depending on(?: the \w+| context| the case)?",
    r"(?<!/)etc(?!/)\.?",  # not the /etc/ of a path
    r"and so on",
    r"and the like",
    r"maybe",
    r"perhaps",
    r"possibly(?! with)",
    r"roughly",
    r"approximately",
    r"about \w+ characters",
    r"(?:is|are) up to you",
    r"the usual \w+",
    r"or (?:one|some) of them",
    r"(?:strictly|counted|included|merged) or not",
    r"some(?:thing)? (?:sensible|reasonable|suitable|else)",
)
# Values left open: an input class or condition named but not pinned down.
DOC_OPEN_VALUES = _words(
    r"invalid (?:input|inputs|data|values?|arguments?)",
    r"bad (?:input|data|values?)",
    r"large (?:numbers|values|inputs|lists|files|responses)",
    r"malformed \w+",
    r"unknown \w+",
    r"unusual \w+",
    r"edge cases?",
    r"corner cases?",
    r"(?:handled|dealt with|treated|handle|resolved) (?:somehow|in some way|differently|"
    r"as appropriate|appropriately|sensibly|in a sensible way)",
    r"handle invalid \w+",
    r"looks? like",
    r"enough",
)
# "a given balance (e.g. positive or zero)": examples of a value instead of the rule.
_GIVEN_EXAMPLES = re.compile(
    r"\ba (?:given|certain|specified) \w+ \((?:e\.g\.|for example|such as)[^)]*\)", re.IGNORECASE
)


def open_values(sentence: str) -> re.Match[str] | None:
    """Values the sentence names without pinning them down, if it does."""
    return DOC_OPEN_VALUES.search(sentence) or _GIVEN_EXAMPLES.search(sentence)


# A sentence that says what happens states an outcome: the values are then pinned down.
STATED_OUTCOME = re.compile(
    r"\b(?:raises?|raising|returns?|returning|gives?|yields?|becomes?|counts? as|is treated as)\b"
    r"[^.;]*(?:\b[A-Z]\w*(?:Error|Exception)\b|\bNone\b|\b\d+|\bempty\b|\bunchanged\b|\"|')",
    re.IGNORECASE,
)
# The output is stated: a return sentence, a yield, "gives", a result named as the value.
STATES_RETURN = _words(
    r"returns?",
    r"returned",
    r"returning",
    r"yields?",
    r"yielded",
    r"yielding",
    r"gives",
    r"produces?",
    r"evaluates? to",
    r"the result is",
)
STATES_TRUTH = _words(r"true", r"false", r"whether", r"if")
# A summary opening with one of these names its result as its object.
_RESULT_VERB_STEMS = (
    "compute calculate get fetch determine estimate generate create construct make convert "
    "format iterate extract load"
    # Transformations whose result is the transformed input: "Clamp value into [low, high]."
    " clamp round normalize normalise truncate escape unescape encode decode quote unquote"
)
RESULT_VERBS = frozenset(
    form for stem in _RESULT_VERB_STEMS.split() for form in (stem, stem + "s", stem + "es")
)
_STEP_OBJECT = re.compile(r"^\s*(?:each|every|it|them|one|step|up)\b", re.IGNORECASE)
# A summary that names the value: "The shape of ...", "Number of ...".
_NOUN_SUMMARY = re.compile(r"^(?:the|a|an|number of)\b", re.IGNORECASE)
_FINITE_VERB = _words(
    r"is", r"are", r"was", r"were", r"has", r"have", r"holds?", r"contains?", r"takes?"
)
# Referring to a known function settles the output: "Like os.path.splitext, but ...".
_LIKE_KNOWN = re.compile(r"^(?:like|same as|equivalent to|alias (?:of|for)|see)\b", re.I)
# A sentence that singles a case out as something to cope with, not as a rule.
COPES_WITH = _words(
    r"handles?",
    r"handling",
    r"supports?",
    r"accepts?",
    r"works? (?:for|with|on)",
    r"careful with",
    r"watch out for",
    r"mind",
    r"(?:is|are) possible",
    r"(?:can|may) (?:occur|happen|be given|appear)",
    r"take (?:care of|into account)",
)
# Cases a text can single out without saying what happens for them.
SPECIAL_CASES = (
    ("empty", re.compile(r"\bempty\b", re.IGNORECASE)),
    ("negative", re.compile(r"\bnegatives?\b", re.IGNORECASE)),
    ("ties", re.compile(r"\bties?\b|\btied\b|\bequally\b", re.IGNORECASE)),
    ("duplicates", re.compile(r"\bduplicates?\b|\brepeated\b", re.IGNORECASE)),
)


def opens_with_result(summary: str) -> bool:
    """The summary names the returned value: "Compute the median ...", "The shape of ..."."""
    text = summary.strip()
    if _LIKE_KNOWN.match(text):
        return True
    words = text.split(None, 1)
    if not words:
        return False
    first = words[0].lower().strip(".,:;")
    rest = words[1] if len(words) > 1 else ""
    if first in RESULT_VERBS:
        return not _STEP_OBJECT.match(rest)
    if _NOUN_SUMMARY.match(text):
        sentence = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
        return not _FINITE_VERB.search(sentence)
    return False
