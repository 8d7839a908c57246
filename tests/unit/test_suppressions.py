"""Suppression comments: which findings `# specloop: ignore` and `ignore-file` silence,
and the quick fix's edit lands where the rule reads it."""

from __future__ import annotations

from specloop.analysis.findings import find_specs
from specloop.analysis.parsing import parse
from specloop.analysis.selection import reported
from specloop.analysis.suppressions import file_is_ignored, suppression_point
from specloop.analysis.text import LineIndex
from specloop.refactor.edits import split_lines
from specloop.refactor.suppress import ignore_edit

TODO = "def charge(amount):\n    # TODO: handle errors\n    return amount\n"
STUB = 'def charge(amount):\n    """Handle it somehow."""\n    ...\n'
DECORATED_STUB = (
    "class Billing:\n"
    "    @staticmethod\n"
    "    @cache(\n"
    "        size=3,\n"
    "    )\n"
    "    def charge(amount):\n"
    '        """Handle it somehow."""\n'
    "        ...\n"
)


def shown(text: str, use_tree: bool = True) -> list[str]:
    source = text.encode()
    tree, lines = parse(source), LineIndex.of(source)
    findings = find_specs(source, tree, lines)
    return [
        f.spec.kind.value for f in reported(findings, source, lines, tree if use_tree else None)
    ]


def apply_fix(text: str) -> str:
    source = text.encode()
    tree, lines = parse(source), LineIndex.of(source)
    [finding] = reported(find_specs(source, tree, lines), source, lines, tree)
    edit = ignore_edit(text, suppression_point(finding.spec, source, lines, tree))
    rows = split_lines(text)
    assert edit.start_line == edit.end_line
    row = rows[edit.start_line]
    rows[edit.start_line] = row[: edit.start_column] + edit.new_text + row[edit.end_column :]
    return "".join(rows)


def test_unsuppressed_findings_are_reported():
    assert shown(TODO) == ["comment"]
    assert shown(STUB) == ["docstring"]
    assert shown(DECORATED_STUB) == ["docstring"]


def test_ignore_at_the_end_of_the_todo_line_silences_it():
    assert shown(TODO.replace("errors\n", "errors  # specloop: ignore\n")) == []
    assert shown(TODO.replace("errors\n", "errors #SpecLoop : Ignore \n")) == []


def test_ignore_elsewhere_does_not_silence_a_todo():
    assert shown(TODO.replace("return amount", "return amount  # specloop: ignore")) == ["comment"]
    assert shown("# specloop: ignore\n" + TODO) == ["comment"]
    # Another directive is not this one.
    assert shown(TODO.replace("errors\n", "errors  # specloop: ignore-me\n")) == ["comment"]


def test_a_docstring_is_silenced_above_its_def_or_on_the_def_line():
    assert shown("# specloop: ignore\n" + STUB) == []
    assert shown(STUB.replace("(amount):", "(amount):  # specloop: ignore")) == []
    # Not two lines above, nor below.
    assert shown("# specloop: ignore\n\n" + STUB) == ["docstring"]
    assert shown(STUB + "# specloop: ignore\n") == ["docstring"]


def test_a_decorated_docstring_is_silenced_above_its_decorators_or_its_def():
    above_decorators = DECORATED_STUB.replace(
        "    @staticmethod", "    # specloop: ignore\n    @staticmethod"
    )
    assert shown(above_decorators) == []
    above_def = DECORATED_STUB.replace("    def charge", "    # specloop: ignore\n    def charge")
    assert shown(above_def) == []
    # Without the tree, only the line above the def is known.
    assert shown(above_decorators, use_tree=False) == ["docstring"]


def test_ignore_file_silences_the_whole_file_but_only_as_a_comment_line():
    assert shown("# specloop: ignore-file\n" + TODO + STUB) == []
    assert shown(TODO + "  #  specloop:ignore-file\r\n") == []
    assert file_is_ignored(b"x = 1\n# specloop: ignore-file\n")
    assert not file_is_ignored(b"x = '# specloop: ignore-file'\n")
    assert shown("text = '''\n# nothing\n'''\n" + TODO) == ["comment"]


def test_the_quick_fix_for_a_todo_appends_the_comment_the_rule_reads():
    fixed = apply_fix(TODO.replace("errors\n", "errors   \n"))
    assert fixed == TODO.replace("errors\n", "errors  # specloop: ignore\n")
    assert shown(fixed) == []


def test_the_quick_fix_for_a_docstring_goes_above_the_decorators_indented():
    fixed = apply_fix(DECORATED_STUB)
    assert "class Billing:\n    # specloop: ignore\n    @staticmethod\n" in fixed
    assert shown(fixed) == []


def test_the_quick_fix_keeps_crlf_line_endings():
    text = STUB.replace("\n", "\r\n")
    fixed = apply_fix(text)
    assert fixed.startswith("# specloop: ignore\r\ndef charge")
    assert shown(fixed) == []


def test_docstrings_off_reports_comments_only():
    source = (TODO + STUB.replace("charge", "refund")).encode()
    tree, lines = parse(source), LineIndex.of(source)
    findings = find_specs(source, tree, lines)
    kinds = [f.spec.kind.value for f in reported(findings, source, lines, tree, docstrings=False)]
    assert kinds == ["comment"]
