"""Probe inputs: the spec's examples, edge values of the hints, hypothesis, fixed by a seed."""

from __future__ import annotations

import ast

from specloop.loop.probes import TypeHint, edge_values, probe_inputs, spec_examples

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
