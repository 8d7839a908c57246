"""The ambiguity detector against hand-written cases for every rule of the rubric (DESIGN §6)."""

import pytest

from specloop.analysis.ambiguity import FacetKind, Label, assess, describe
from specloop.analysis.documents import DocumentStore
from specloop.analysis.specs import Spec, extract_specs


def specs_of(source: str) -> list[Spec]:
    document = DocumentStore().open("file:///t.py", source)
    return extract_specs(document.source, document.tree, document.lines)


def only_spec(source: str) -> Spec:
    found = specs_of(source)
    assert len(found) == 1, found
    return found[0]


def comment(text: str, code: str = "    return amount\n") -> Spec:
    return only_spec(f"def charge(amount):\n    # {text}\n{code}")


def facet_kinds(spec: Spec) -> set[FacetKind]:
    return {facet.kind for facet in assess(spec).facets}


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("TODO: handle errors", FacetKind.WHAT),
        ("TODO: handle errors", FacetKind.VALUES),
        ("FIXME: fix this", FacetKind.WHAT),
        ("TODO: clean up", FacetKind.WHAT),
        ("TODO: refactor", FacetKind.WHAT),
        ("TODO: optimize", FacetKind.WHAT),
        ("TODO: make this faster", FacetKind.DONE),
        ("TODO: more robust parsing", FacetKind.DONE),
        ("TODO: do this as discussed", FacetKind.TARGET),
        ("TODO: maybe cache this?", FacetKind.CHOICE),
        ("TODO: add a timeout here?", FacetKind.CHOICE),
        ("TODO: should we retry on failure", FacetKind.CHOICE),
        ("TODO: support edge cases", FacetKind.VALUES),
        ("TODO: headers may be a plain dict here", FacetKind.WHAT),
        ("FIXME: this is slow", FacetKind.WHAT),
        ("TODO: copy", FacetKind.WHAT),
        ("TODO: add more tests", FacetKind.VALUES),
        ("TODO: move this somewhere else", FacetKind.VALUES),
        ("TODO: keep the cache in memory for now", FacetKind.WHAT),
        ("TODO: it would be nice to log the retries", FacetKind.CHOICE),
        ("TODO: why is this called twice", FacetKind.CHOICE),
        ("TODO: support for sessions", FacetKind.WHAT),
        ("TODO: evaluate if this code is needed at all", FacetKind.WHAT),
        ("TODO: we need this to work, but I can't work out how", FacetKind.CHOICE),
    ],
)
def test_ambiguous_specs_name_the_missing_facet(text, facet):
    spec = comment(text)
    assert assess(spec).label is Label.AMBIGUOUS
    assert facet in facet_kinds(spec)


@pytest.mark.parametrize(
    "text",
    [
        "TODO: raise ValueError when amount is negative",
        "TODO(2.0): remove this alias",
        "TODO: Remove this shim when Python 3.8 support is dropped",
        "TODO: use `decimal.Decimal` for amount instead of float",
        "TODO: return None if amount is 0",
        "TODO: rename charge_total() to total()",
        "FIXME: pass timeout=30 to requests.get",
        "TODO: can be fixed by flipping the conditionals",
        "TODO: check whether format='csr' is respected",
        "TODO: don't fall back to fancy indexing here",
        "TODO: actually parse the second production",
        "TODO: once plugins caught up, replace run_build() with run_command('build')",
    ],
)
def test_clear_specs_are_not_flagged(text):
    spec = comment(text)
    assert assess(spec).label is Label.CLEAR, assess(spec)


@pytest.mark.parametrize(
    "text",
    [
        "XXX: order matters, see the loop below",
        "HACK: the C extension needs bytes here",
        "XXX this mirrors the logic in urllib",
    ],
)
def test_xxx_and_hack_without_a_request_are_notes(text):
    assert assess(comment(text)).label is Label.NOTE


@pytest.mark.parametrize(
    "text",
    ["XXX: remove this when the upstream bug is fixed", "HACK: should we copy here?"],
)
def test_xxx_and_hack_that_ask_for_something_are_not_notes(text):
    assert assess(comment(text)).label is not Label.NOTE


def test_a_bare_todo_as_the_body_of_an_empty_test_asks_for_that_test():
    spec = only_spec("class TestCharge:\n    def test_refund(self):\n        pass  # TODO\n")
    assert assess(spec).label is Label.CLEAR


def test_a_bare_todo_on_a_value_leaves_the_value_open():
    spec = only_spec("CONFIG = {\n    'limit': 50,  # TODO\n}\n")
    assert assess(spec).label is Label.AMBIGUOUS
    assert facet_kinds(spec) == {FacetKind.VALUES}


def test_a_bare_todo_alone_leaves_everything_open():
    spec = only_spec("def charge():\n    # TODO\n    return 1\n")
    assert facet_kinds(spec) == {FacetKind.WHAT}


def test_continuation_lines_are_read_with_the_marker_line():
    spec = only_spec(
        "def charge(amount):\n"
        "    # TODO: raise ValueError when amount\n"
        "    # is negative\n"
        "    return amount\n"
    )
    assert spec.text == "raise ValueError when amount is negative"
    assert assess(spec).label is Label.CLEAR


def test_a_marker_repeated_on_every_line_of_one_sentence_reads_as_one_spec():
    spec = only_spec(
        "def charge(amount):\n"
        "    # TODO: This part is hacky. Should be made more robust with\n"
        "    # TODO: respect to symbol names.\n"
        "    return amount\n"
    )
    assert (
        spec.text == "This part is hacky. Should be made more robust with respect to symbol names."
    )


def test_markers_on_lines_that_could_each_stand_alone_stay_apart():
    found = specs_of(
        "def test_build():\n"
        "    # TODO check nothing got re-built\n"
        "    # TODO test that old files are removed\n"
        "    pass\n"
    )
    assert [spec.text for spec in found] == [
        "check nothing got re-built",
        "test that old files are removed",
    ]


@pytest.mark.parametrize(
    "pragma", ["# mypy: disable-error-code=var-annotated", "# type: ignore", "# noqa: E501"]
)
def test_a_pragma_below_ends_the_spec(pragma):
    spec = only_spec(
        f"def charge(amount):\n    # TODO: add type annotations\n    {pragma}\n    pass\n"
    )
    assert spec.text == "add type annotations"


@pytest.mark.parametrize("separator", [":", ",", ";", "!", " -", ""])
def test_the_marker_s_separator_is_not_part_of_the_text(separator):
    spec = only_spec(f"def charge(amount):\n    # TODO{separator} handle refunds\n    pass\n")
    assert spec.text == "handle refunds"


@pytest.mark.parametrize(
    ("marker", "label", "rules"),
    [
        ("TODO", Label.AMBIGUOUS, ("bare-marker",)),
        ("XXX", Label.NOTE, ()),
        ("HACK", Label.NOTE, ()),
    ],
)
def test_a_marker_with_only_punctuation_has_no_words(marker, label, rules):
    assessment = assess(comment(f"{marker}: ?"))
    assert (assessment.label, assessment.rules) == (label, rules)


def test_the_question_for_a_marker_with_no_words_names_that_marker():
    spec = comment("FIXME")
    assert describe(assess(spec), spec).endswith("This FIXME has no words: what is to do?")


COMMENTED_OUT = (
    "class TestMangling:\n"
    "    def f(self):\n"
    "        return 1\n"
    "\n"
    "# FIXME: https://github.com/cython/cython/issues/1382\n"
    "#    def f3(self, __a=42, /, __b=43):\n"
    "#        return (__a, __b)\n"
    "\n"
    "def test_module_function(a, b, /):\n"
    "    return a\n"
)


def test_commented_out_code_below_is_not_part_of_the_spec():
    spec = only_spec(COMMENTED_OUT)
    assert spec.text == "https://github.com/cython/cython/issues/1382"
    assert spec.context.commented_code == (
        "def f3(self, __a=42, /, __b=43):",
        "return (__a, __b)",
    )
    assert "It only points to an issue or a link" in describe(assess(spec), spec)


@pytest.mark.parametrize(
    "line",
    [
        "assert total([1, 2]) == 3",
        "self.assertEqual(total([1, 2]), 3)",
        'check("member", "int b : (true ? 8 : a) = 42"),',
        "expected = {1: 'b__i', 2: '1b'}",
        "if x.is_valid():",
        "raise RuntimeError(msg)",
        "@pytest.mark.xfail",
        ">>> total([1, 2])",
        "else:",
    ],
)
def test_each_form_of_commented_out_code_ends_the_spec(line):
    spec = comment(f"TODO: enable once the parser supports it\n    # {line}")
    assert spec.text == "enable once the parser supports it"


@pytest.mark.parametrize(
    "line",
    [
        "(see gh-1234 for the details)",
        "(or if this does not apply to the newer versions we're using)",
        "if this fails, we should:",
        "for each item in the list:",
        "return None instead of raising.",
    ],
)
def test_prose_that_looks_a_little_like_code_goes_on(line):
    spec = comment(f"TODO: check the value\n    # {line}")
    assert spec.text == f"check the value {line}"


def test_code_that_finishes_the_sentence_above_is_part_of_it():
    spec = comment(
        "TODO: Look at returning an error across all platforms with\n"
        "    # CommandExecutionError(msg, info={'errors': errors})"
    )
    assert spec.text.endswith("with CommandExecutionError(msg, info={'errors': errors})")


def test_a_bare_marker_over_a_commented_out_assertion_asks_that_it_pass():
    spec = comment("FIXME:\n    # assert charge(1) == 1")
    assert spec.text == ""
    assert assess(spec).label is Label.CLEAR


def test_a_fact_over_a_commented_out_assertion_fixes_the_end_state():
    spec = comment(
        "FIXME: As soon as async with uses as_current this will be true as well\n"
        "    # assert get_scheduler() == client.get"
    )
    assert assess(spec).label is Label.CLEAR


def test_the_error_a_commented_out_raise_names_is_the_error_meant():
    text = "XXX: We should always have a key present when this is called, if not it's an error."
    assert "error-words" in assess(comment(text)).rules
    below = comment(
        f"{text}\n    # if not os.path.isfile(path):\n    #     raise RuntimeError(path)"
    )
    assert "error-words" not in assess(below).rules


def test_a_parenthesis_that_asks_is_text_not_a_tag():
    spec = only_spec("def charge(amount):\n    return amount  # TODO (rounded?)\n")
    assert (spec.tag, spec.text) == (None, "(rounded?)")
    tagged = only_spec("def charge(amount):\n    return amount  # TODO(alice): round it\n")
    assert (tagged.tag, tagged.text) == ("alice", "round it")


def test_a_stub_docstring_with_doctests_is_clear():
    spec = only_spec(
        'def double(x):\n    """Handle x.\n\n    >>> double(2)\n    4\n    """\n    ...\n'
    )
    assert assess(spec).label is Label.CLEAR


def test_the_same_vague_stub_docstring_without_doctests_is_ambiguous():
    spec = only_spec('def double(x):\n    """Handle x."""\n    ...\n')
    assert assess(spec).label is Label.AMBIGUOUS
    assert FacetKind.WHAT in facet_kinds(spec)


def test_a_precise_stub_docstring_is_clear():
    spec = only_spec(
        "def parse_amount(text):\n"
        '    """Return the amount in `text` as a Decimal; raise ValueError if it is empty."""\n'
        "    raise NotImplementedError\n"
    )
    assert assess(spec).label is Label.CLEAR


def test_a_subclass_contract_docstring_is_a_note():
    spec = only_spec(
        "class Base:\n"
        "    def run(self):\n"
        '        """Subclasses must implement this to do the work."""\n'
        "        raise NotImplementedError\n"
    )
    assert assess(spec).label is Label.NOTE


def test_abstract_methods_and_overloads_are_not_specs():
    source = (
        "import abc, typing\n"
        "class Base(abc.ABC):\n"
        "    def run(self):\n"
        '        """Do it."""\n'
        "        ...\n"
        "@typing.overload\n"
        "def f(x: int) -> int:\n"
        '    """Int."""\n'
        "    ...\n"
        "class Other:\n"
        "    @abc.abstractmethod\n"
        "    def go(self):\n"
        '        """Go."""\n'
    )
    assert specs_of(source) == []


def test_functions_with_real_bodies_are_not_stub_specs():
    assert specs_of('def f():\n    """Handle it."""\n    return 1\n') == []


def test_the_message_names_the_facet_question_in_one_sentence():
    spec = comment("TODO: handle errors")
    message = describe(assess(spec), spec)
    assert message.startswith('Ambiguous TODO "handle errors": ')
    assert message.count("\n") == 0
    assert "?" in message


def test_the_message_asks_nothing_twice():
    spec = comment("TODO: handle errors")
    assessment = assess(spec)
    assert [facet.kind.value for facet in assessment.facets][:2] == ["values", "what"]
    message = describe(assessment, spec)
    assert "what should happen" in message and "what to do" not in message, message


def test_markers_are_configurable():
    document = DocumentStore().open("file:///t.py", "# TODO: handle errors\n# NOTE2: fix it\n")
    found = extract_specs(document.source, document.tree, document.lines, ["NOTE2"])
    assert [spec.marker for spec in found] == ["NOTE2"]


def test_lowercase_markers_need_a_colon():
    found = specs_of("# todo: handle errors\nx = 1\n# nothing todo here\nx = 2\n")
    assert [spec.text for spec in found] == ["handle errors"]


def test_a_terse_todo_in_an_empty_test_asks_for_that_test():
    source = 'def test_f2py_flags():\n    """Flag --quiet."""\n    # TODO: populate\n    pass\n'
    [spec] = [spec for spec in specs_of(source) if spec.marker == "TODO"]
    assert assess(spec).label is Label.CLEAR


def test_the_same_terse_todo_in_real_code_is_ambiguous():
    spec = only_spec("def build():\n    # TODO: populate\n    return 1\n")
    assert facet_kinds(spec) == {FacetKind.WHAT}


def test_a_question_mark_inside_code_is_not_a_question():
    spec = comment("TODO: enable once the parser supports check('x ? y : z')")
    assert FacetKind.CHOICE not in facet_kinds(spec)


@pytest.mark.parametrize(
    ("clear", "ambiguous"),
    [
        # A defect whose correct behaviour is evident fixes the end state (rubric rule 4).
        ("TODO: without casting we do not round-trip correctly", "TODO: this does not work"),
        ("FIXME: this doesn't preserve the dtype", "FIXME: this doesn't look right"),
        # Code that becomes unnecessary under a named condition.
        ("TODO: special casing unnecessary with 2D arrays", "TODO: special casing"),
        ("TODO(GH#123): this will be unnecessary", "TODO: this is odd"),
        # "Support X" with a concrete X.
        ("TODO: add support for Oracle", "TODO: add support for more databases"),
        ("TODO: support `zstd` here", "TODO: support this"),
    ],
)
def test_todos_whose_change_is_evident_are_clear(clear, ambiguous):
    assert assess(comment(clear)).label is Label.CLEAR, assess(comment(clear))
    assert assess(comment(ambiguous)).label is Label.AMBIGUOUS


@pytest.mark.parametrize(
    ("clear", "ambiguous"),
    [
        # A limitation that is only "not yet" names its end state (rubric rule 4, C5).
        (
            "TODO: cannot use N itself yet; factorial overflows on N+1",
            "TODO: not implemented yet",
        ),
        # Moves and splits need a destination (rule 6).
        ("TODO: move this to sphinx.util", "TODO: move this to a matrix gallery"),
        (
            "TODO: split this out into `helpers.py`",
            "TODO: separate this part out from Preparer when the v1 resolver is removed",
        ),
        # A trigger names when, not what (rule 3).
        ("TODO: remove this when yield tests are gone", "FIXME when yield tests are gone."),
        # A wish that names the new name asks for that rename.
        (
            "TODO: this would make more sense as 'compile_outdated_catalogs'",
            "TODO: this would make more sense as something else",
        ),
    ],
)
def test_dev_half_rules_second_round(clear, ambiguous):
    assert assess(comment(clear)).label is Label.CLEAR, assess(comment(clear))
    assert assess(comment(ambiguous)).label is Label.AMBIGUOUS, assess(comment(ambiguous))


def test_an_obsolete_note_followed_by_a_new_sentence_on_the_next_line_is_clear():
    text = (
        "TODO(GH#38240) this will be unnecessary\n"
        "    # Note that a try/except would work for ints, not bools."
    )
    assert assess(comment(text)).label is Label.CLEAR
    other = "TODO: this is odd\n    # Note that a try/except would work for ints, not bools."
    assert assess(comment(other)).label is Label.AMBIGUOUS


@pytest.mark.parametrize(
    ("clear", "ambiguous"),
    [
        # An error word that names the exception in the code is not an open class (rule 5).
        ("FIXME: add the offending value to the exception message", "FIXME: handle exceptions"),
        # A commented-out assertion under a terse marker: make it pass (rule 4).
        ("TODO: wrong\n    # assert total([1, 2]) == 3", "TODO: wrong"),
        # A version or a deprecation period opening the request is its trigger (rule 3).
        ("TODO: Python 3.13 replace this with `bytes(text, 'utf-8')`", "TODO: Python 3.13"),
        (
            "TODO: after the deprecation period raise TypeError instead of warning",
            "TODO: after the deprecation period",
        ),
        # "support X" with X a named option (rule 5); a code name with a leading underscore.
        ("TODO: support align option", "TODO: support alignment"),
        ("TODO: use _parse_tail", "TODO: use it"),
        # Alternatives offered in an aside or as slashed verbs are open choices (rule 2).
        ("TODO: get this to work on Windows", "TODO: get this to work on Windows (or don't)"),
        ("TODO: deprecate the default", "TODO: change/deprecate the default"),
    ],
)
def test_dev_half_rules_third_round(clear, ambiguous):
    assert assess(comment(clear)).label is Label.CLEAR, assess(comment(clear))
    assert assess(comment(ambiguous)).label is Label.AMBIGUOUS, assess(comment(ambiguous))


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("FIXME: find out what raises the warning here", FacetKind.WHAT),
        ("TODO: we need to fail gracefully instead", FacetKind.DONE),
        ("TODO: make this less verbose", FacetKind.DONE),
        ("TODO: needs splitting, de-duplication, parametrization...", FacetKind.VALUES),
    ],
)
def test_dev_half_open_words_third_round(text, facet):
    assert facet in facet_kinds(comment(text)), assess(comment(text))


def test_a_bare_xxx_is_a_note_where_a_bare_todo_asks():
    assert assess(only_spec("limit = 50  # XXX\n")).label is Label.NOTE
    assert assess(only_spec("limit = 50  # TODO\n")).label is Label.AMBIGUOUS


@pytest.mark.parametrize(
    ("note", "asking"),
    [
        ("XXX: why do we copy the list here?", "XXX: should we copy the list here?"),
        ("XXX can skip the copy when the input is contiguous?", "XXX can we skip the copy?"),
    ],
)
def test_an_xxx_that_wonders_is_a_note(note, asking):
    assert assess(comment(note)).label is Label.NOTE, assess(comment(note))
    assert assess(comment(asking)).label is Label.AMBIGUOUS, assess(comment(asking))


def test_an_xxx_that_opens_with_an_imperative_asks():
    assert assess(comment("XXX send an error response here")).label is not Label.NOTE


def test_a_coverage_todo_asks_for_tests_of_its_block():
    assert assess(comment("TODO: no coverage here")).label is Label.CLEAR
    assert assess(comment("TODO: coverage")).label is Label.CLEAR
    assert assess(comment("TODO: no coverage here, maybe drop the branch?")).label is (
        Label.AMBIGUOUS
    )


def test_a_short_topic_in_a_test_names_the_case_to_cover():
    in_test = "def test_max():\n    # TODO: cases with axis kwarg\n    assert max([1]) == 1\n"
    assert assess(only_spec(in_test)).label is Label.CLEAR
    assert assess(comment("TODO: cases with axis kwarg")).label is Label.AMBIGUOUS
    verb = "def test_max():\n    # TODO: re-add 0\n    assert max([1]) == 1\n"
    assert assess(only_spec(verb)).label is Label.AMBIGUOUS


@pytest.mark.parametrize(
    "code",
    [
        "    if dtype == 'e':\n        return\n    return amount\n",
        "    if solver in (minres, tfqmr):\n        pytest.skip('no atol')\n    return amount\n",
        "    with np.errstate(all='ignore'):\n        return amount\n",
    ],
)
def test_a_fact_above_code_that_skips_its_case_names_a_known_defect(code):
    fact = "FIXME: NaN raises an invalid-value exception on 32-bit MSVC"
    assert assess(comment(fact, code)).label is Label.CLEAR, assess(comment(fact, code))
    assert assess(comment(fact)).label is Label.AMBIGUOUS
    asked = "TODO: should NaN raise here?"
    assert assess(comment(asked, code)).label is Label.AMBIGUOUS


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # A purpose clause is a criterion for a vague verb before or inside it.
        ("TODO: fix template loader caching so this isn't necessary.", Label.CLEAR),
        ("TODO: fix template loader caching", Label.AMBIGUOUS),
        ("TODO: apply the sig to the TypeInfo so we can handle swapped types", Label.CLEAR),
        # "work out how to X" asks for X; "work out why" asks for a cause (rubric C5).
        ("TODO: work out how to put this on the base class", Label.CLEAR),
        ("TODO: work out why this fails on the base class", Label.AMBIGUOUS),
        ("TODO: figure out a way to type this as a subclass", Label.CLEAR),
        # A quoted name is as concrete as a code name.
        ('TODO: deprecate "context"', Label.CLEAR),
        ("TODO: deprecate context", Label.AMBIGUOUS),
        # A dead condition: the evident fix is to drop it (rule 4).
        ("FIXME: compat patches this in, so this condition is always true", Label.CLEAR),
        ("FIXME: compat patches this in", Label.AMBIGUOUS),
        # An XXX asking how the code is, not what it should do, wonders (rules 1 and 10).
        ("XXX: When does this happen??", Label.NOTE),
        ("XXX: but could we have a regular branch?", Label.NOTE),
        ("XXX does this method make any sense?", Label.NOTE),
        ("XXX: Is it completely safe to assume static?", Label.NOTE),
        ("XXX: when should this warn?", Label.AMBIGUOUS),
        ("XXX: could we skip the branch?", Label.AMBIGUOUS),
        # "read/write" is a file mode, not two verbs to choose from.
        ("XXX: we want the copy installed read/write", Label.CLEAR),
        ("TODO: copy/move the file", Label.AMBIGUOUS),
    ],
)
def test_dev_half_rules_fourth_round(text, label):
    assert assess(comment(text)).label is label, assess(comment(text))


def rules_of(text: str) -> tuple[str, ...]:
    return assess(comment(f"TODO: {text}")).rules


@pytest.mark.parametrize(
    "text",
    [
        "Improve the error messages",
        "make the exception text clearer",
        'we should not filter "cannot determine type" errors here.',
        "clean up and reimplement, specifically for syntax errors",
        "log import errors and move along",
        "sort instead of raising an error",
        "remove this failure once writes are supported",
        'mypy reports error: "partial[Any]" has no attribute "__name__"; fix the stub',
        "find the root cause of this off by one error.",
        "narrow down to _fblas.error",
        "Add option to treat warnings as errors",
        "check that it is a str, and if not, print a warning or error here.",
        "add a warning to the output with the failure",
        "use a better error estimate",
    ],
)
def test_errors_named_by_their_message_or_kind_leave_no_class_of_errors_open(text):
    assert "error-words" not in rules_of(text)


def test_errors_left_open_are_asked_about():
    facets = assess(comment("TODO: handle errors")).facets
    (facet,) = [facet for facet in facets if facet.rule == "error-words"]
    assert facet.question.startswith("Which errors, and what should happen")


@pytest.mark.parametrize(
    ("vague", "not_vague"),
    [
        ("support csv, json, whatever", "fall back to whatever the plain path does"),
        ("leave this for later", "cache this value for later re-use"),
        ("add some tests", "stored twice for some reason; add a test"),
        ("handle some cases of overflow", "Some callers pass nothing. Handle that."),
        ("fix some callers", "we want to remove this at some point, ideally"),
        ("support csv, json, etc", "read /etc/hosts too"),
    ],
)
def test_a_vague_word_leaves_a_value_open_only_where_it_is_asked_for(vague, not_vague):
    values_rules = {"open-values", "indefinite-values"}
    assert values_rules & set(rules_of(vague))
    assert not values_rules & set(rules_of(not_vague))


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("handle some cases of overflow", "indefinite-values"),
        ("support csv, json, etc", "indefinite-values"),
        ("do something here", "indefinite-values"),
        ("use a proper conditional statement here", "open-values"),
    ],
)
def test_open_values_named_by_an_indefinite_are_a_rule_of_their_own(text, rule):
    # The precise part of open-values (docs/rubric.md, part 5): "some X", "etc", ...
    assert rule in rules_of(text)
    assert {"open-values", "indefinite-values"} - {rule} & set(rules_of(text)) == set()


@pytest.mark.parametrize(
    "text",
    [
        "find out if the cache helps and clean it up",
        "investigate whether the cache is still needed",
        "not sure why this is slow; fix the cache",
    ],
)
def test_a_flag_that_asks_to_find_something_out_is_an_indirect_question(text):
    assessment = assess(comment(f"TODO: {text}"))
    assert assessment.label is Label.AMBIGUOUS
    assert "indirect-question" in assessment.rules


def test_an_indirect_question_is_asked_what_should_change_once_it_is_known():
    question = question_of("TODO: figure out why this leaks memory", "indirect-question")
    assert question == '"figure out why …": once that is known, what should change?'
    spec = comment("TODO: figure out why this leaks memory")
    assert "Also unclear: what to do" not in describe(assess(spec), spec)


def test_an_indirect_question_alone_flags_nothing():
    # A sub-rule of the flags: it sharpens a flag, it never makes one.
    assert assess(comment("TODO: remove the cache; see issue 12 for why")).rules == ()


def question_of(text: str, rule: str) -> str:
    (facet,) = [facet for facet in assess(comment(text)).facets if facet.rule == rule]
    return facet.question


def test_an_unnamed_deferral_is_asked_when_and_a_named_trigger_settles_it():
    question = question_of("TODO: replace with safe_version in the future", "open-choice")
    assert (
        question == '"in the future" until when? Name the trigger: a version, a date or an issue.'
    )
    assert assess(comment("TODO: remove this in the future once 3.9 is dropped")).label is (
        Label.CLEAR
    )
    offered = question_of("TODO: maybe cache this in the future", "open-choice")
    assert offered == "Is this decided? Which option should be taken, and when?"


def test_a_question_that_wonders_is_asked_what_should_change_once_answered():
    assert question_of("TODO: why?", "question") == "Once this is answered, what should change?"
    assert question_of("TODO: Can this happen?", "question").startswith("Once this is answered")
    assert question_of("TODO: should we cache this?", "question").startswith("Is this decided?")


def test_only_a_list_is_asked_what_else_when_it_trails_off():
    listed = question_of("TODO: needs splitting, cleanup, de-duplication...", "trailing-off")
    assert listed.startswith('The list trails off in "...": what else exactly')
    sentence = question_of("FIXME: shouldn't need this...", "trailing-off")
    assert sentence == 'It trails off in "...": what is left unsaid? Say what should change.'


def test_a_soft_word_in_the_condition_is_asked_for_the_trigger():
    waiting = question_of("TODO: change this once indexes are handled properly", "soft-criterion")
    assert waiting.startswith('"properly" in the condition: when exactly is it met?')
    assert question_of("TODO: make this faster", "soft-criterion").startswith(
        '"faster" by how much?'
    )


@pytest.mark.parametrize("text", ["#54485", "See gh-25229", "https://github.com/o/r/issues/9"])
def test_a_bare_link_is_asked_for_the_change_it_stands_for(text):
    assert question_of(f"TODO: {text}", "states-a-fact").startswith(
        "It only points to an issue or a link: what should change here?"
    )


@pytest.mark.parametrize(
    "text",
    [
        "only warn once",
        "eliminate zeros",
        "supply the reason",
        "Do this timedelta properly",
        "do the finite filtering on this",
    ],
)
def test_requests_opening_with_these_verbs_ask_for_something(text):
    assert "states-a-fact" not in rules_of(text)
    assert "question" not in rules_of(text)


def test_finding_a_cause_is_asked_what_it_decides():
    question = question_of("TODO: find the root cause of this crash", "vague-verb")
    assert question.startswith('"find the root cause" to decide what?')


def test_a_placeholder_with_an_example_is_asked_whether_the_example_is_it():
    question = question_of("TODO: use something like assert_allclose here", "indefinite-values")
    assert question == (
        '"something like assert_allclose": assert_allclose itself, or what else? Name it.'
    )
    assert question_of("TODO: do something here", "indefinite-values") == (
        'What exactly does "something" stand for? Name it.'
    )


@pytest.mark.parametrize(
    ("unnamed", "named"),
    [
        ("move this to a helper", "move this to an xarray.errors module"),
        ("split this part out from RequirementPreparer", "move this into a new `utils` module"),
    ],
)
def test_a_move_is_asked_where_to_unless_a_name_follows(unnamed, named):
    assert "move-without-destination" in rules_of(unnamed)
    assert "move-without-destination" not in rules_of(named)


def test_code_at_the_start_leaves_no_question_word_there():
    assert "question" not in rules_of("`concat` is the compliant name; use it here")
    assert "question" in rules_of("is the cache still needed here")


@pytest.mark.parametrize(
    ("text", "question"),
    [
        (
            "raise an error when the list is empty",
            "Raise which error: name the class and the message.",
        ),
        ("catch exceptions here and log them", "Which exceptions exactly? Name them."),
        (
            "handle errors",
            "Which errors, and what should happen: raise, retry, log, or return a default?",
        ),
    ],
)
def test_errors_are_asked_what_the_text_leaves_open_about_them(text, question):
    assert question_of(f"TODO: {text}", "error-words") == question


def test_a_hedge_in_the_reason_given_leaves_no_choice_open():
    assert "open-choice" not in rules_of(
        "use `if` here, not `while`, because the waiter maybe fired"
    )
    assert "open-choice" in rules_of("maybe use `if` here, because the waiter fires once")


def test_a_soft_word_with_its_means_named_asks_no_measure():
    assert "soft-criterion" not in rules_of("make this faster by caching the parsed rows")
    assert "soft-criterion" in rules_of("make this faster")
