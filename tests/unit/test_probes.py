"""Probe inputs: the spec's examples, edge values of the hints, hypothesis, fixed by a seed."""

from __future__ import annotations

import ast
import doctest

from specloop.loop.probes import (
    TypeHint,
    alike,
    edge_values,
    examples_text,
    near,
    probe_inputs,
    spec_examples,
    stated_inputs,
    written_results,
)

CLAMP = "def clamp(value: int, low: int, high: int) -> int:\n    ...\n"
DOC = "Limit value to low..high; at most 100.\n\n>>> clamp(5, 0, 3)\n3\n"


def test_examples_come_first_then_edges_then_generated_inputs():
    probes = probe_inputs(CLAMP, DOC, seed=7)
    assert probes.inputs[0] == ["5", "0", "3"] and probes.origins[0] == "example"
    assert ["5", "0", "3"] not in probes.inputs[1:], "no input twice"
    assert probes.origins.index("generated") > probes.origins.index("edge")
    assert ["0", "0", "3"] in probes.inputs and ["-1", "0", "3"] in probes.inputs
    assert ["101", "0", "3"] in probes.inputs, "a boundary the spec names, plus one"
    assert all(len(arguments) == 3 for arguments in probes.inputs)
    for arguments in probes.inputs:
        for argument in arguments:
            ast.literal_eval(argument)


def test_the_same_seed_gives_the_same_inputs_and_another_seed_others():
    first, again = probe_inputs(CLAMP, DOC, seed=7), probe_inputs(CLAMP, DOC, seed=7)
    other = probe_inputs(CLAMP, DOC, seed=8)
    assert first.inputs == again.inputs
    generated = [
        i for i, origin in zip(first.inputs, first.origins, strict=True) if origin == "generated"
    ]
    assert generated and generated != [
        i for i, origin in zip(other.inputs, other.origins, strict=True) if origin == "generated"
    ]


def test_hints_drive_the_values():
    probes = probe_inputs(
        "def f(words: list[str], limit: Optional[float] = None) -> int: ...", None
    )
    assert probes.parameters == ("words",), "parameters with defaults keep them"
    assert ["[]"] in probes.inputs and ["['a']"] in probes.inputs
    assert all(isinstance(ast.literal_eval(i[0]), list) for i in probes.inputs)
    strings = probe_inputs("def g(text: 'str', n: int | None): ...", None)
    assert ["''", "None"] in strings.inputs or any(i[1] == "None" for i in strings.inputs)
    assert edge_values(TypeHint("tuple", (TypeHint("int"), TypeHint("str"))))[0] == (0, "")


def test_unhinted_parameters_take_the_types_of_the_examples():
    probes = probe_inputs("def shout(s):\n    ...\n", ">>> shout('hey')\n'HEY'\n")
    assert all(isinstance(ast.literal_eval(i[0]), str) for i in probes.inputs)


def test_what_cannot_be_probed_says_why():
    assert probe_inputs("def m(self, x: int): ...", None).skipped == "it is a method"
    assert probe_inputs("def v(*xs): ...", None).skipped == "it takes *args or **kwargs"
    assert probe_inputs("class C: ...", None).skipped


def test_examples_with_non_literal_arguments_are_skipped():
    doc = ">>> f(x)\n>>> f([1, 2])\n>>> g(3)\n>>> print(f(4))\n"
    assert spec_examples(doc, "f", 1) == [([1, 2],), (4,)]


def test_inputs_the_text_states_by_parameter_name_are_examples():
    doc = (
        "For lst = [3, 1] the output should be 4.\n"
        "    Input: arr = [111, 21], k = 1\n"
        "x == 3 is no input\n"
    )
    assert stated_inputs(doc, ["lst"]) == [([3, 1],)]
    assert stated_inputs(doc, ["arr", "k"]) == [([111, 21], 1)]
    assert stated_inputs("Input: [4,2,3]\nInput: [] or more\n", ["nodes"]) == [([4, 2, 3],)]
    probes = probe_inputs("def pluck(arr):\n    ...\n", "Example:\n    Input: [4,2,3]\n")
    assert probes.inputs[0] == ["[4, 2, 3]"] and probes.origins[0] == "example"
    assert all(isinstance(ast.literal_eval(i[0]), list) for i in probes.inputs)


def test_numbers_inside_strings_and_runs_of_a_character_are_varied():
    assert {"02-11-2000", "04-11-2000", "01-11-2000", "03-11-2001"} <= set(near("03-11-2000"))
    assert {"Example  3", "a  b"} <= set(near("Example   3")) | set(near("a b"))


def test_alike_parameters_also_take_values_of_the_same_size_that_differ():
    probes = probe_inputs("def longer(a: list[str], b: list[str]): ...", None)
    assert ["['a']", "['a']"] in probes.inputs and ["['a']", "['b']"] in probes.inputs
    assert alike({"k": ["az", 9]}) == {"k": ["ba", 10]}


def test_an_empty_example_does_not_decide_the_type_of_the_items():
    doc = "f([], []) ➞ []\nf(['hi'], ['a']) ➞ ['a']\n"
    probes = probe_inputs("def f(xs, ys):\n    ...\n", doc)
    edges = [i for i, o in zip(probes.inputs, probes.origins, strict=True) if o == "edge"]
    assert ["['a']", "['b']"] in edges


WRITTEN = """Tell whether it flies.

    Examples:
    will_it_fly([1, 2], 5) ➞ False
    will_it_fly([3], 5) == True.
    For example: will_it_fly([1], 1) = True, will_it_fly([9], 1) returns False
    will_it_fly(q, 3) returns True
    will_it_fly([2], 1) returns False if the weights are too high
    will_it_fly([4], 4) -> 4.
    will_it_fly([5], 5) should return 2.5.
    >>> will_it_fly([7], 7)
    True
"""


def test_calls_written_with_their_result_become_doctest_lines():
    assert written_results(WRITTEN, "will_it_fly") == [
        ">>> will_it_fly([1, 2], 5)\nFalse",
        ">>> will_it_fly([3], 5)\nTrue",
        ">>> will_it_fly([1], 1)\nTrue",
        ">>> will_it_fly([9], 1)\nFalse",
        ">>> will_it_fly([4], 4)\n4",  # the full stop is the sentence's, not a float's
        ">>> will_it_fly([5], 5)\n2.5",
    ]  # not: a variable argument, a result with a condition after it, the >>> example


def test_the_examples_text_holds_the_doctests_the_written_results_and_the_stated_cases():
    text = examples_text(WRITTEN, "will_it_fly", [">>> will_it_fly([8], 8)\nTrue"])
    assert text is not None
    parsed = doctest.DocTestParser().get_examples(text)
    assert [example.source.strip() for example in parsed][:2] == [
        "will_it_fly([7], 7)",
        "will_it_fly([1, 2], 5)",
    ]
    assert parsed[-1].source.strip() == "will_it_fly([8], 8)"
    assert examples_text("Return the total.", "total") is None
    assert examples_text("Like total(3) but cheaper.", "total") is None  # no stated result
