"""Docstring specs against the rubric's docstring rules (docs/rubric.md part 3): each facet
before and after the fix, and clear docstrings that must stay clear."""

import pytest

from specloop.analysis.ambiguity import FacetKind, Label, assess, describe
from specloop.analysis.docstrings import read_docstring
from specloop.analysis.documents import DocumentStore
from specloop.analysis.specs import Spec, SpecKind, extract_specs


def stub(signature: str, docstring: str) -> Spec:
    """The docstring spec of a stub with this signature and docstring (body ``...``)."""
    body = "\n".join(f"    {line}" if line else "" for line in docstring.splitlines())
    docstrings = docstring_specs(f'{signature}:\n    """\n{body}\n    """\n    ...\n')
    assert len(docstrings) == 1, docstrings
    return docstrings[0]


def docstring_specs(source: str) -> list[Spec]:
    document = DocumentStore().open("file:///t.py", source)
    specs = extract_specs(document.source, document.tree, document.lines)
    return [spec for spec in specs if spec.kind is SpecKind.DOCSTRING]


def kinds(spec: Spec) -> list[FacetKind]:
    return [facet.kind for facet in assess(spec).facets]


TRUNCATE = "def truncate_number(number: float) -> float"


# --- open choice ---------------------------------------------------------------------


def test_an_open_choice_is_asked_with_the_options_the_text_offers():
    spec = stub(
        TRUNCATE,
        "Return a certain part of a positive floating point number\n"
        "(e.g. the integer part, the decimal part, or another).",
    )
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert assessment.facets[0].kind is FacetKind.CHOICE
    assert assessment.facets[0].question == (
        "Return which part: the integer part, the decimal part, or another?"
    )
    message = describe(assessment, spec)
    assert "(an open choice)" in message
    assert "Return which part: the integer part, the decimal part, or another?" in message


def test_the_same_docstring_with_the_choice_made_is_clear():
    spec = stub(
        TRUNCATE,
        "Return the decimal part of a positive floating point number.\n\n"
        ">>> truncate_number(3.5)\n0.5",
    )
    assert assess(spec).label is Label.CLEAR


@pytest.mark.parametrize(
    "docstring",
    [
        "Return the numbers above some threshold.",
        "Return the date in an appropriate format.",
        "Return the rows sorted in some order.",
        "Return the list of words, split depending on the language.",
        "Return the cleaned text (strip spaces, lower-case, etc.).",
        "Return the substrings that match, with or without overlaps.",
        "Return the files found, following links or not.",
    ],
)
def test_open_choices_are_flagged(docstring):
    spec = stub("def f(values: list[int]) -> list[int]", docstring)
    assert FacetKind.CHOICE in kinds(spec)


def test_a_choice_without_listed_options_asks_for_the_rule():
    spec = stub("def f(values: list[int]) -> list[int]", "Return the numbers above some threshold.")
    question = assess(spec).facets[0].question
    assert "threshold" in question and question.endswith(("?", "implementer."))


# --- no stated output --------------------------------------------------------------


def test_a_summary_that_stops_before_the_result_has_no_stated_output():
    spec = stub(
        "def mean_absolute_deviation(numbers: list[float]) -> float",
        "Given a list of numbers, compute the mean and look at how far each lies from it.",
    )
    assessment = assess(spec)
    assert assessment.label is Label.AMBIGUOUS
    assert assessment.facets[0].kind is FacetKind.OUTPUT
    assert "-> float" in assessment.facets[0].question
    assert "(what it returns)" in describe(assessment, spec)


@pytest.mark.parametrize(
    ("signature", "docstring"),
    [
        # The result is stated in words.
        ("def f(numbers: list[float]) -> float", "Return the mean of the numbers."),
        # A Returns section (Google, numpydoc, reST).
        ("def f(path: str) -> int", "Count the lines.\n\nReturns:\n    The number of lines."),
        ("def f(path: str) -> int", "Count the lines.\n\nReturns\n-------\nint\n    The lines."),
        ("def f(path: str) -> int", "Count the lines.\n\n:returns: the number of lines"),
        # A boolean said as a condition.
        ("def f(n: int) -> bool", "Check whether n is prime."),
        ("def f(n: int) -> bool", "True if n is prime, otherwise False."),
        # The summary names the value.
        ("def shape(self) -> tuple[int, ...]", "The shape of the leading dimensions."),
        ("def f(values: list[float]) -> float", "Compute the median of the values."),
        ("def f(value: int, low: int, high: int) -> int", "Clamp value into [low, high]."),
        ("def f(path: str) -> tuple[str, str]", "Like os.path.splitext, but take off .tar too."),
        # Nothing is returned, or nothing is promised about the return.
        ("def f(items: list[int]) -> None", "Go through the items and log each."),
        ("def f(items)", "Go through the items and log each."),
    ],
)
def test_a_stated_or_absent_output_is_not_asked_for(signature, docstring):
    assert FacetKind.OUTPUT not in kinds(stub(signature, docstring))


@pytest.mark.parametrize(
    "docstring",
    [
        "Count the occurrences of every value.",
        "Split the version string on dots.",
        "Convert each component to two hex digits.",
    ],
)
def test_a_description_of_steps_states_no_output(docstring):
    assert FacetKind.OUTPUT in kinds(stub("def f(text: str) -> list[str]", docstring))


# --- values left open --------------------------------------------------------------


@pytest.mark.parametrize(
    "docstring",
    [
        "Return the largest element of the list; handle invalid input.",
        "Return True if n is prime; large numbers may be handled differently.",
        "Return the balance, starting at a given balance (e.g. positive or zero).",
        "Return True if address looks like a valid IPv4 address, otherwise False.",
        "Return the key-value pairs; malformed lines are handled somehow.",
    ],
)
def test_values_left_open_are_flagged(docstring):
    spec = stub("def f(text: str) -> bool", docstring)
    assert FacetKind.VALUES in kinds(spec), assess(spec)


def test_values_whose_outcome_is_stated_are_clear():
    spec = stub(
        "def parse_bool(text: str) -> bool",
        "Return True for 'yes' and False for 'no'; raise ValueError for invalid input.",
    )
    assert assess(spec).label is Label.CLEAR


# --- examples that do not pin the behaviour down ------------------------------------


def test_a_case_the_text_singles_out_and_no_example_shows_is_asked_about():
    spec = stub(
        "def mode(values: list[int]) -> int",
        "Return the value that occurs most often; handles empty lists.\n\n>>> mode([1, 2, 2])\n2",
    )
    assessment = assess(spec)
    assert [facet.kind for facet in assessment.facets] == [FacetKind.EXAMPLES]
    assert "`mode(…)`" in assessment.facets[0].question
    assert "an empty input" in assessment.facets[0].question
    assert "(a case no example shows)" in describe(assessment, spec)


@pytest.mark.parametrize(
    "docstring",
    [
        # An example shows the case.
        "Return the value that occurs most often; handles empty lists.\n\n"
        ">>> mode([1, 2, 2])\n2\n>>> mode([]) is None\nTrue",
        # The text says what happens for it.
        "Return the value that occurs most often; returns None for empty lists.\n\n"
        ">>> mode([1, 2, 2])\n2",
        # The case is mentioned as a rule, not as something to cope with.
        "Return the value that occurs most often; on a tie, the smallest such value.\n\n"
        ">>> mode([1, 2, 2])\n2",
    ],
)
def test_examples_or_text_that_settle_the_case_are_clear(docstring):
    assert assess(stub("def mode(values: list[int]) -> int | None", docstring)).label is (
        Label.CLEAR
    )


# --- clear stays clear -------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "docstring"),
    [
        (
            "def below_zero(operations: list[int]) -> bool",
            "Given deposits (positive) and withdrawals (negative) on an account that starts at\n"
            "zero, return True as soon as the balance falls below zero, otherwise False.\n\n"
            ">>> below_zero([1, 2, -4, 5])\nTrue\n>>> below_zero([1, 2, 3])\nFalse",
        ),
        (
            "def rolling_max(numbers: list[int]) -> list[int]",
            "Return the running maximum: element i of the result is the largest of\n"
            "numbers[0] .. numbers[i].",
        ),
        (
            "def sanitize(name: str) -> str",
            "Return name with each of / \\ : * replaced by '_'; an empty result becomes \"_\".",
        ),
        (
            "def parse_duration(text: str) -> int",
            'Return the number of seconds in a duration written like "1h30m".\n\n'
            "Raises:\n    ValueError: if text is empty or does not match that form.",
        ),
        (
            "def bucket_scores(scores: list[int]) -> dict[str, int]",
            'Return how many scores fall in each band: "low" (0-49), "mid" (50-79) and\n'
            '"high" (80-100). Every band appears in the result, possibly with 0.',
        ),
        (
            "def total_error_count(self) -> int",
            "Return the number of errors across all forms in the formset.",
        ),
    ],
)
def test_clear_docstrings_stay_clear(signature, docstring):
    spec = stub(signature, docstring)
    assert assess(spec).label is Label.CLEAR, assess(spec)


# --- reading a docstring -----------------------------------------------------------


def test_the_parts_of_a_docstring_are_read_in_every_layout():
    parts = read_docstring(
        [
            "Count the lines",
            "of a file.",
            "",
            "Parameters",
            "----------",
            "path : str",
            "",
            "Returns",
            "-------",
            "int",
            "",
            "Raises:",
            "    OSError: when unreadable.",
            "",
            ">>> count('a.txt')",
            "3",
            ">>> for x in y:",
            "...     pass",
        ]
    )
    assert parts.summary == "Count the lines of a file."
    assert {"parameters", "returns", "raises"} <= parts.sections
    assert [(e.call, e.output) for e in parts.examples] == [
        ("count('a.txt')", "3"),
        ("for x in y:\npass", ""),
    ]
    assert "3" not in parts.prose.split() and "----------" not in parts.prose


@pytest.mark.parametrize(
    "source",
    [
        '@pytest.fixture\ndef data():\n    """Length-3 array with a known sort order."""\n'
        "    raise NotImplementedError\n",
        'def _root_krylov_doc():\n    """Options: nit, disp and maxiter."""\n    pass\n',
        'def encode_noop(msg):\n    """Do nothing."""\n',
        'def on_idle():\n    """No-op: subclasses of the loop override it."""\n    pass\n',
    ],
)
def test_fixtures_and_documentation_only_stubs_are_notes(source):
    document = DocumentStore().open("file:///t.py", source)
    (spec,) = extract_specs(document.source, document.tree, document.lines)
    assert assess(spec).label is Label.NOTE


def test_the_same_stub_without_the_fixture_decorator_is_judged_on_its_text():
    source = 'def data() -> list[int]:\n    """Length-3 array."""\n    raise NotImplementedError\n'
    document = DocumentStore().open("file:///t.py", source)
    (spec,) = extract_specs(document.source, document.tree, document.lines)
    assert assess(spec).label is not Label.NOTE


@pytest.mark.parametrize(
    "source",
    [
        'def largest(values):\n    """Return the largest of the values."""\n',
        'def largest(values):\n    r"""Return the largest of the values."""\n',
        "def largest(values):\n    '''Return the largest of the values.'''\n",
        'def largest(values):  \n\n    """Return the largest of the values.\n\n'
        '    >>> largest([1, 3])\n    3\n    """\n\n\ndef after():\n    return 1\n',
    ],
    ids=["plain", "raw", "single quotes", "examples, then more code"],
)
def test_a_function_whose_body_is_its_docstring_is_a_stub_spec(source):
    (spec,) = docstring_specs(source)
    assert spec.text.startswith("Return the largest of the values.")
    assert spec.context.scope_is_stub


@pytest.mark.parametrize(
    "source",
    [
        'class Sized(Protocol):\n    def size(self) -> int:\n        """The number of items."""\n',
        "class Protocol(asyncio.BaseProtocol):\n    def eof_received(self):\n"
        '        """Called when the other end calls write_eof()."""\n',
        '@hookspec(firstresult=True)\ndef pytest_collect(path):\n    """Collect path."""\n',
        '@overload\ndef parse(text: str) -> int:\n    """Parse text."""\n',
        'def largest(values):\n    """Return the largest."""\n    return max(values)\n',
        'def largest(values):\n    x = """Return the largest."""\n',
    ],
    ids=["protocol", "a hook's default", "hookspec", "overload", "implemented", "not a docstring"],
)
def test_a_docstring_only_body_that_declares_rather_than_asks_is_no_spec(source):
    assert docstring_specs(source) == []


STUB = 'def and_(*clauses){mark}:\n    """Produce a conjunction of some expressions."""\n    ...\n'


@pytest.mark.parametrize(
    "source",
    [
        STUB.format(mark="  # type: ignore[empty-body]"),
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        + "\n".join(f"    {line}" for line in STUB.format(mark="").splitlines()),
        "import typing\nclass Clause:\n    if typing.TYPE_CHECKING:\n"
        '        def compiler(self) -> int:\n            """Return a compiler."""\n'
        "            ...\n",
        STUB.format(mark="")
        + "\nif not TYPE_CHECKING:\n    def and_(*clauses):\n        return 1\n",
        STUB.format(mark="") + "\ntry:\n    pass\nexcept ImportError:\n"
        "    def and_(*clauses):\n        return 1\n",
        "class Clause:\n"
        + "\n".join(f"    {line}" for line in STUB.format(mark="").splitlines())
        + "\n    def and_(self, *clauses):\n        return 1\n",
    ],
    ids=[
        "type: ignore[empty-body]",
        "if TYPE_CHECKING",
        "method under typing.TYPE_CHECKING",
        "defined again under if not TYPE_CHECKING",
        "defined again in an except clause",
        "method defined again",
    ],
)
def test_a_stub_written_for_type_checkers_is_no_spec(source):
    assert docstring_specs(source) == []


@pytest.mark.parametrize(
    "source",
    [
        STUB.format(mark=""),
        STUB.format(mark="") + "\ndef or_(*clauses):\n    return 1\n",
        "if TYPE_CHECKING:\n    pass\nelse:\n"
        + "\n".join(f"    {line}" for line in STUB.format(mark="").splitlines()),
        "def and_(*clauses):\n    return 1\n\n" + STUB.format(mark=""),
        "class Box:\n    @property\n    def size(self) -> int:\n"
        '        """The number of some items."""\n        ...\n'
        "    @size.setter\n    def size(self, value: int) -> None:\n        self._size = value\n",
    ],
    ids=["alone", "another name below", "else of TYPE_CHECKING", "defined above", "property"],
)
def test_the_same_stub_with_nothing_else_to_run_is_a_spec(source):
    (spec,) = docstring_specs(source)
    assert assess(spec).label is Label.AMBIGUOUS


@pytest.mark.parametrize(
    "docstring",
    [
        "pyOpenSSL is not available.\n\n@param a: The argument.\n\n"
        "@raise NotImplementedError: Always.",
        "Frobnicate some values.\n\nRaises\n------\nNotImplementedError\n    Always.",
        "Frobnicate some values.\n\n:raises NotImplementedError: on every call.",
        "[Not implemented] Frobnicate some values.",
    ],
)
def test_a_stub_that_says_it_is_not_implemented_is_a_note(docstring):
    assert assess(stub("def frob(values) -> int", docstring)).label is Label.NOTE


def test_a_hook_whose_default_does_nothing_is_a_note_and_a_case_that_does_nothing_is_not():
    hook = stub(
        "def cleanup(self) -> None",
        "Free some resources.\n\nThe default implementation does nothing.",
    )
    assert assess(hook).label is Label.NOTE
    case = stub("def frob(values) -> int", "Frobnicate some values. If empty, this does nothing.")
    assert assess(case).label is Label.AMBIGUOUS


@pytest.mark.parametrize(
    "docstring",
    [
        "Called to perform the teardown phase.\n\nThe default implementation runs the "
        "finalizers; just enough of them.",
        "Called whenever an assertion passes.\n\nUse this hook to do some processing.",
        "Called at the end.\n\nAny conftest file can implement this hook.",
    ],
)
def test_a_hook_specification_is_a_note(docstring):
    assert assess(stub("def pytest_hook(item) -> None", docstring)).label is Label.NOTE


def test_a_sphinx_role_is_read_with_its_code():
    spec = stub(
        "def add_target(self, name: str) -> None",
        "Add an entry to the index for *name*.\n\n*name* is whatever :meth:`handle` returned.",
    )
    assert "docstring-open-values" not in assess(spec).rules
    listed = stub("def load(path: str) -> bytes", "Load a png, jpeg, whatever.")
    assert "docstring-open-values" in assess(listed).rules


def test_a_spec_that_asks_for_a_not_implemented_error_is_still_read():
    text = "Return some code; raise NotImplementedError for others."
    spec = stub("def frob(mode: str) -> int", text)
    assert assess(spec).label is Label.AMBIGUOUS


def test_a_test_left_to_judgement_is_asked_for_the_test():
    spec = stub("def is_date(text: str) -> bool", "True if the text looks like a date.")
    (facet,) = assess(spec).facets
    assert facet.question == '"looks like": by what test? Say exactly when it counts.'
