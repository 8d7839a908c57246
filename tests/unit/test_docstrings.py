"""Answered examples go into the docstring of the target, and nowhere else."""

from __future__ import annotations

import doctest

from specloop.refactor.codemod import TransformFailure
from specloop.refactor.docstrings import add_examples

EXAMPLE = [">>> clamp(1, 5, 0)", "0"]


def test_appended_before_the_closing_quotes_with_a_blank_line():
    source = (
        'def clamp(v, lo, hi):\n    """Limit v.\n\n'
        '    >>> clamp(5, 0, 3)\n    3\n    """\n    return 0\n'
    )
    assert add_examples(source, "clamp", EXAMPLE) == (
        'def clamp(v, lo, hi):\n    """Limit v.\n\n    >>> clamp(5, 0, 3)\n    3\n\n'
        '    >>> clamp(1, 5, 0)\n    0\n    """\n    return 0\n'
    )


def test_a_one_line_docstring_grows_and_a_missing_one_is_added():
    one_line = "def clamp(v, lo, hi):\n    'Limit v.'\n    return 0\n"
    # the docstring keeps its quote character, tripled
    assert add_examples(one_line, "clamp", EXAMPLE) == (
        "def clamp(v, lo, hi):\n    '''Limit v.\n\n"
        "    >>> clamp(1, 5, 0)\n    0\n    '''\n    return 0\n"
    )
    bare = add_examples("def clamp(v, lo, hi):\n    return 0\n", "clamp", EXAMPLE)
    assert isinstance(bare, str)
    assert '"""Examples:\n\n    >>> clamp(1, 5, 0)\n    0\n    """' in bare


def test_methods_are_found_by_qualified_name_and_others_untouched():
    source = "class A:\n    def f(self):\n        'F.'\n\n\ndef f():\n    'Other.'\n"
    changed = add_examples(source, "A.f", [">>> A().f()"])
    assert isinstance(changed, str)
    assert "        '''F.\n\n        >>> A().f()\n        '''" in changed
    assert "'Other.'" in changed
    assert isinstance(add_examples(source, "missing", EXAMPLE), TransformFailure)


def test_the_result_is_a_doctest_that_runs():
    source = 'def double(x):\n    """Twice x."""\n    return 2 * x\n'
    changed = add_examples(source, "double", [">>> double(4)", "8"])
    assert isinstance(changed, str)
    namespace: dict[str, object] = {}
    exec(changed, namespace)
    finder = doctest.DocTestFinder()
    (test,) = finder.find(namespace["double"], "double", globs=namespace)
    assert doctest.DocTestRunner().run(test).attempted == 1
