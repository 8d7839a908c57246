"""may_contain_specs: the parse-free check must never rule out a file that has specs."""

import random
import sysconfig
from pathlib import Path

import pytest

from specloop.analysis.documents import DocumentStore
from specloop.analysis.specs import extract_specs, may_contain_specs


@pytest.mark.parametrize(
    "source",
    [
        'def f():\n    """Doc."""\n    raise NotImplementedError\n',
        'def f():\n    """Doc."""\n    # a comment\n\n    pass\n',
        'def f():\n    """Doc."""; ...\n',
        "x = 1  # TODO: handle errors\n",
        "## todo: lower case\n",
    ],
)
def test_files_with_specs_are_never_ruled_out(source):
    assert may_contain_specs(source.encode())


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    raise NotImplementedError\n",
        "try:\n    x()\nexcept ValueError:\n    pass\n",
        "class C(Protocol):\n    def f(self) -> int: ...\n",
        "# plain comment\nx = 'TODO'\n",
    ],
)
def test_files_that_cannot_hold_specs_are_ruled_out(source):
    assert not may_contain_specs(source.encode())


def test_agrees_with_the_full_analysis_on_real_files():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(path for path in stdlib.glob("**/*.py") if "site-packages" not in path.parts)
    sample = random.Random(11).sample(files, min(400, len(files)))
    ruled_out = 0
    for path in sample:
        source = path.read_bytes()
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if may_contain_specs(source):
            continue
        ruled_out += 1
        document = DocumentStore().open(path.as_uri(), text)
        assert extract_specs(document.source, document.tree, document.lines) == [], path
    assert ruled_out > 100, "the sample should exercise the fast path"
