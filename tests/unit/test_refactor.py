"""refactor: replace one definition with LibCST; turn the new module into minimal edits."""

import itertools
import random
from textwrap import dedent

import pytest

from specloop.refactor.codemod import (
    TransformFailure,
    TransformSuccess,
    find_symbol_source,
    replace_symbol,
)
from specloop.refactor.edits import LineEdit, apply_edits, minimal_edits, rebase, unified_diff


def replaced(before, name, candidate, imports=()):
    result = replace_symbol(dedent(before), name, dedent(candidate), imports)
    assert isinstance(result, TransformSuccess), result
    return result.source


def refused(before, name, candidate, imports=()):
    result = replace_symbol(dedent(before), name, dedent(candidate), imports)
    assert isinstance(result, TransformFailure), result
    return result.reason


# --- replacing definitions -----------------------------------------------------------------


def test_replaces_a_function():
    before = """\
        def charge(amount):
            return amount


        def refund(amount):
            return -amount
        """
    candidate = """\
        def charge(amount):
            if amount < 0:
                raise ValueError("amount must not be negative")
            return amount
        """
    assert replaced(before, "charge", candidate) == dedent("""\
        def charge(amount):
            if amount < 0:
                raise ValueError("amount must not be negative")
            return amount


        def refund(amount):
            return -amount
        """)


def test_replaces_an_async_function():
    before = """\
        async def fetch(url):
            ...
        """
    candidate = """\
        async def fetch(url):
            async with session.get(url) as response:
                return await response.text()
        """
    assert replaced(before, "fetch", candidate) == dedent(candidate)


def test_reindents_a_method_and_its_docstring():
    before = """\
        class Account:
            balance = 0

            def charge(self, amount):
                pass

            def refund(self, amount):
                pass
        """
    candidate = '''\
        def charge(self, amount):
            """Take ``amount`` from the balance.

            Raises ValueError when the balance is too low.
            """
            if amount > self.balance:
                raise ValueError("insufficient funds")
            self.balance -= amount
        '''
    assert replaced(before, "Account.charge", candidate) == dedent('''\
        class Account:
            balance = 0

            def charge(self, amount):
                """Take ``amount`` from the balance.

                Raises ValueError when the balance is too low.
                """
                if amount > self.balance:
                    raise ValueError("insufficient funds")
                self.balance -= amount

            def refund(self, amount):
                pass
        ''')


def test_replaces_a_method_of_a_nested_class():
    before = """\
        class Outer:
            class Inner:
                def method(self):
                    return 1

            def method(self):
                return 2
        """
    candidate = """\
        def method(self):
            total = sum(
                range(3),
            )
            return total
        """
    assert replaced(before, "Outer.Inner.method", candidate) == dedent("""\
        class Outer:
            class Inner:
                def method(self):
                    total = sum(
                        range(3),
                    )
                    return total

            def method(self):
                return 2
        """)


def test_accepts_a_candidate_written_at_its_nesting():
    before = """\
        class Account:
            def charge(self):
                pass
        """
    candidate = """\
            def charge(self):
                return 1
        """
    assert replaced(before, "Account.charge", candidate) == dedent("""\
        class Account:
            def charge(self):
                return 1
        """)


DECORATED = """\
    # Comments above a definition belong to the module.
    @app.route("/charge")  # the public endpoint
    @login_required
    def charge(request):
        return None
    """


def test_a_candidate_without_decorators_keeps_the_original_ones():
    candidate = """\
        def charge(request):
            return respond(request)
        """
    assert replaced(DECORATED, "charge", candidate) == dedent("""\
        # Comments above a definition belong to the module.
        @app.route("/charge")  # the public endpoint
        @login_required
        def charge(request):
            return respond(request)
        """)


def test_a_candidate_with_decorators_replaces_them():
    candidate = """\
        @app.post("/charge")
        def charge(request):
            return respond(request)
        """
    assert replaced(DECORATED, "charge", candidate) == dedent("""\
        # Comments above a definition belong to the module.
        @app.post("/charge")
        def charge(request):
            return respond(request)
        """)


def test_replaces_a_class():
    before = """\
        import dataclasses


        class Money:
            pass


        def total(items):
            return sum(items)
        """
    candidate = """\
        @dataclasses.dataclass(frozen=True)
        class Money:
            cents: int

            def __add__(self, other):
                return Money(self.cents + other.cents)
        """
    assert replaced(before, "Money", candidate) == dedent("""\
        import dataclasses


        @dataclasses.dataclass(frozen=True)
        class Money:
            cents: int

            def __add__(self, other):
                return Money(self.cents + other.cents)


        def total(items):
            return sum(items)
        """)


def test_everything_outside_the_target_is_byte_for_byte_identical():
    before = """\
        #!/usr/bin/env python3
        \"\"\"Billing.\"\"\"
        import os   # odd spacing stays



        TAX = {  'vat':0.2 ,
        }  # trailing comment
        class Account :
            # a comment inside the class

            def charge( self ):   # before
                return 0
                # the method's own trailing comment



            def refund(self):
              return   1   # two-space body, kept as is
        # end of file
        """
    candidate = """\
        def charge(self):
            return TAX['vat']
        """
    assert replaced(before, "Account.charge", candidate) == dedent("""\
        #!/usr/bin/env python3
        \"\"\"Billing.\"\"\"
        import os   # odd spacing stays



        TAX = {  'vat':0.2 ,
        }  # trailing comment
        class Account :
            # a comment inside the class

            def charge(self):
                return TAX['vat']



            def refund(self):
              return   1   # two-space body, kept as is
        # end of file
        """)


def test_keeps_crlf_line_endings():
    before = "class A:\r\n    def f(self):\r\n        pass\r\n\r\nx = 1\r\n"
    candidate = 'def f(self):\n    """One.\n\n    Two.\n    """\n    return 1\n'
    result = replace_symbol(before, "A.f", candidate)
    assert result == TransformSuccess(
        'class A:\r\n    def f(self):\r\n        """One.\r\n\r\n        Two.\r\n        """\r\n'
        "        return 1\r\n\r\nx = 1\r\n"
    )


def test_keeps_a_missing_final_newline():
    assert replaced("def f():\n    pass", "f", "def f():\n    return 1\n") == (
        "def f():\n    return 1"
    )


def test_replaces_the_implementation_of_an_overloaded_function():
    before = """\
        @overload
        def parse(x: int) -> int: ...
        @overload
        def parse(x: str) -> str: ...
        def parse(x):
            pass
        """
    assert replaced(before, "parse", "def parse(x):\n    return x\n").endswith(
        "def parse(x: str) -> str: ...\ndef parse(x):\n    return x\n"
    )


# --- refusing candidates -------------------------------------------------------------------


def test_refuses_a_candidate_with_a_different_name():
    reason = refused("def charge():\n    pass\n", "charge", "def bill():\n    return 1\n")
    assert "named `bill`" in reason
    assert "keep the name `charge`" in reason


def test_refuses_a_candidate_of_a_different_kind():
    reason = refused("def charge():\n    pass\n", "charge", "async def charge():\n    pass\n")
    assert "is an async function, but `charge` is a function" in reason
    assert "class" in refused("class A:\n    pass\n", "A", "def A():\n    pass\n")


def test_refuses_two_definitions():
    candidate = """\
        def charge():
            return _helper()

        def _helper():
            return 1
        """
    reason = refused("def charge():\n    pass\n", "charge", candidate)
    assert "defines 2 functions or classes (`charge`, `_helper`)" in reason


def test_refuses_statements_besides_the_definition():
    candidate = "import math\n\ndef charge():\n    return math.pi\n"
    reason = refused("def charge():\n    pass\n", "charge", candidate)
    assert "(`import math`)" in reason
    assert "list imports separately" in reason


def test_refuses_an_empty_candidate():
    assert "empty" in refused("def charge():\n    pass\n", "charge", "# nothing\n")


def test_refuses_unparseable_code_with_its_position():
    candidate = "def charge(amount):\n    total = amount +\n    return total\n"
    reason = refused("def charge():\n    pass\n", "charge", candidate)
    assert reason.startswith("The new definition does not parse: invalid syntax at line 2, column")


def test_refuses_a_missing_target():
    reason = refused("class Account:\n    pass\n", "Account.charge", "def charge(): pass\n")
    assert "find a function or class named `charge` inside `Account`" in reason
    reason = refused("def charge():\n    pass\n", "Ledger.charge", "def charge(): pass\n")
    assert "named `Ledger` at the top level" in reason
    assert "not a symbol name" in refused("x = 1\n", "a..b", "def b(): pass\n")


def test_refuses_an_ambiguous_target():
    before = "def f():\n    pass\n\n\ndef f():\n    pass\n"
    assert "defined 2 times at the top level" in refused(before, "f", "def f(): pass\n")


def test_refuses_a_module_that_does_not_parse():
    reason = refused("def f(:\n    pass\n", "f", "def f(): pass\n")
    assert reason.startswith("The file does not parse (invalid syntax at line 1")


# --- imports -------------------------------------------------------------------------------


def test_adds_imports_after_the_last_import_once():
    before = """\
        \"\"\"Billing.\"\"\"

        import os
        from decimal import Decimal

        RATE = 1


        def charge(amount):
            pass
        """
    candidate = """\
        def charge(amount):
            return Decimal(amount).quantize(ROUND_HALF_UP) * math.pi
        """
    imports = [
        "import math",
        "from decimal import Decimal, ROUND_HALF_UP",
        "import os",
        "import math",
    ]
    assert replaced(before, "charge", candidate, imports) == dedent("""\
        \"\"\"Billing.\"\"\"

        import os
        from decimal import Decimal
        import math
        from decimal import ROUND_HALF_UP

        RATE = 1


        def charge(amount):
            return Decimal(amount).quantize(ROUND_HALF_UP) * math.pi
        """)


def test_adds_imports_after_the_module_docstring():
    before = '"""Billing."""\n\n\ndef charge():\n    pass\n'
    result = replaced(before, "charge", "def charge():\n    return x\n", ["from . import x"])
    assert result == '"""Billing."""\n\nfrom . import x\n\n\ndef charge():\n    return x\n'


def test_adds_imports_after_future_imports():
    before = "from __future__ import annotations\n\ndef charge():\n    pass\n"
    result = replaced(before, "charge", "def charge():\n    return 1\n", ["import math"])
    assert result == (
        "from __future__ import annotations\nimport math\n\ndef charge():\n    return 1\n"
    )


def test_adds_a_future_import_before_the_other_imports():
    before = '"""Doc."""\nimport os\n\n\ndef f():\n    pass\n'
    imports = ["import math", "from __future__ import annotations"]
    result = replaced(before, "f", "def f():\n    return 1\n", imports)
    assert result == (
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\nimport math\n\n\n'
        "def f():\n    return 1\n"
    )


def test_adds_imports_below_the_file_header_but_above_a_definitions_comment():
    before = """\
        #!/usr/bin/env python3
        # Copyright the authors.

        # Charges money.
        def charge():
            pass
        """
    assert replaced(before, "charge", "def charge():\n    return 1\n", ["import math"]) == dedent(
        """\
        #!/usr/bin/env python3
        # Copyright the authors.

        import math


        # Charges money.
        def charge():
            return 1
        """
    )


def test_existing_imports_anywhere_at_module_level_count():
    before = """\
        try:
            import ujson as json
        except ImportError:
            import json
        import os.path


        def f():
            import math
        """
    imports = ["import json", "import os", "import os.path", "import math", "import os.path.x"]
    result = replaced(before, "f", "def f():\n    pass\n", imports)
    assert "import os.path\nimport math\nimport os.path.x\n" in result


@pytest.mark.parametrize(
    "entry",
    [
        "os.system('rm -rf /')",
        "import os; os.system('x')",
        "import os\nimport sys",
        "def f(): pass",
        "import (",
        "",
    ],
)
def test_refuses_anything_but_one_import_statement(entry):
    reason = refused("def f():\n    pass\n", "f", "def f():\n    return 1\n", [entry])
    assert "is not a single import statement" in reason


def test_refuses_a_star_import():
    reason = refused("def f():\n    pass\n", "f", "def f(): pass\n", ["from os import *"])
    assert "import the names the code uses explicitly" in reason


def test_drops_comments_that_ride_along_with_an_import():
    result = replaced("def f():\n    pass\n", "f", "def f(): pass\n", ["import os  # note;"])
    assert result == "import os\n\n\ndef f(): pass\n"


# --- find_symbol_source --------------------------------------------------------------------

NESTED = '''\
import os


class Account:
    # about charge
    @property
    def charge(self):
        """Charge.

        Details.
        """
        return """
  raw string kept exactly
"""


def top():
    pass
'''


def test_find_symbol_source_dedents_the_definition():
    assert find_symbol_source(NESTED, "Account.charge") == dedent('''\
        @property
        def charge(self):
            """Charge.

            Details.
            """
            return """
          raw string kept exactly
        """
        ''')
    assert find_symbol_source(NESTED, "Account.missing") is None
    assert find_symbol_source("def (:", "f") is None


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("name", ["Account.charge", "Account", "top"])
def test_found_source_put_back_changes_nothing(name, newline):
    module = NESTED.replace("\n", newline)
    code = find_symbol_source(module, name)
    assert replace_symbol(module, name, code) == TransformSuccess(module)


# --- edits ---------------------------------------------------------------------------------


def test_minimal_edits_of_a_body_change_touch_only_the_body():
    before = dedent("""\
        import os


        class Account:
            def charge(self, amount):
                return amount

            def refund(self):
                pass
        """)
    candidate = "def charge(self, amount):\n    self.total += amount\n    return self.total\n"
    after = replaced(before, "Account.charge", candidate)
    assert minimal_edits(before, after) == [
        LineEdit(5, 0, 6, 0, "        self.total += amount\n        return self.total\n")
    ]


def test_minimal_edits_of_equal_texts_are_empty():
    assert minimal_edits("a\nb\n", "a\nb\n") == []
    assert minimal_edits("", "") == []


def test_edits_at_the_end_of_a_file_without_a_final_newline():
    assert minimal_edits("a\nb", "a\nc") == [LineEdit(1, 0, 1, 1, "c")]
    assert minimal_edits("a\n", "a\nb") == [LineEdit(1, 0, 1, 0, "b")]
    assert minimal_edits("", "x\n") == [LineEdit(0, 0, 0, 0, "x\n")]
    assert minimal_edits("😀", "") == [LineEdit(0, 0, 0, 1, "")]


LINES = ["def f():\n", "    return 1\n", "x = '😀'\r\n", "\r\n", "\n", "# 🐍 𓂀\n", "pass\n", "y"]


def random_text(rng):
    text = "".join(rng.choice(LINES) for _ in range(rng.randrange(0, 8)))
    return rng.choice([text, text.rstrip("\n"), text.replace("\n", "\r\n").replace("\r\r", "\r")])


def mutate(rng, text):
    chars = list(text)
    for _ in range(rng.randrange(0, 5)):
        position = rng.randrange(0, len(chars) + 1)
        action = rng.choice(["insert", "delete", "line"])
        if action == "insert":
            chars[position:position] = rng.choice(["z", "\n", "\r\n", "😀", "    "])
        elif action == "delete":
            del chars[position : position + rng.randrange(1, 4)]
        else:
            chars[position:position] = rng.choice(LINES)
    return "".join(chars)


def test_minimal_edits_round_trip_on_random_changes():
    rng = random.Random(20240601)
    for _ in range(2_000):
        old = random_text(rng)
        new = mutate(rng, old) if rng.random() < 0.9 else random_text(rng)
        edits = minimal_edits(old, new)
        assert apply_edits(old, edits) == new, (old, new, edits)
        spans = [(e.start_line, e.start_column, e.end_line, e.end_column) for e in edits]
        assert spans == sorted(spans)
        assert all(a[2:] < b[:2] for a, b in itertools.pairwise(spans))
        assert (old == new) == (edits == [])


def test_unified_diff():
    old = "a\nb\nc\nd\ne\nf\ng\nh\n"
    new = "a\nb\nc\nd\nE\nf\ng\nh\n"
    assert unified_diff(old, new, "pkg/mod.py") == (
        "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
    )
    assert unified_diff(old, old, "pkg/mod.py") == ""


def test_unified_diff_marks_a_missing_final_newline():
    assert unified_diff("a\n", "a\nb", "m.py") == (
        "--- a/m.py\n+++ b/m.py\n@@ -1 +1,2 @@\n a\n+b\n\\ No newline at end of file\n"
    )


# ---------------------------------------------------------------- rebase

REBASE_BASE = "import os\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"
REBASE_NEW = "import os\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 3\n"
G_LINES = (7, 8)


def rebased_text(current: str) -> str | None:
    edits = rebase(REBASE_BASE, current, minimal_edits(REBASE_BASE, REBASE_NEW), G_LINES)
    return None if edits is None else apply_edits(current, edits)


def test_rebase_without_typing_keeps_the_edits():
    assert rebased_text(REBASE_BASE) == REBASE_NEW


def test_rebase_moves_the_edits_below_lines_typed_above():
    typed = REBASE_BASE.replace("import os\n", "import os\nimport sys\n\nX = 1\n")
    assert rebased_text(typed) == REBASE_NEW.replace(
        "import os\n", "import os\nimport sys\n\nX = 1\n"
    )


def test_rebase_keeps_typing_below_and_right_above_the_target():
    below = REBASE_BASE + "\n\ndef h():\n    pass\n"
    assert rebased_text(below) == REBASE_NEW + "\n\ndef h():\n    pass\n"
    above = REBASE_BASE.replace("def g():", "# a note\ndef g():")
    assert rebased_text(above) == REBASE_NEW.replace("def g():", "# a note\ndef g():")
    deleted_elsewhere = REBASE_BASE.replace("def f():\n    return 1\n", "")
    assert rebased_text(deleted_elsewhere) == REBASE_NEW.replace("def f():\n    return 1\n", "")


@pytest.mark.parametrize(
    "typed",
    [
        REBASE_BASE.replace("def g():", "def g(x):"),  # the def line of the target
        REBASE_BASE.replace("    return 2\n", "    y = 0\n    return 2\n"),  # inside it
        REBASE_BASE.replace("    return 2\n", "    return 4\n"),  # the very line edited
    ],
)
def test_rebase_refuses_when_the_user_typed_inside_the_target(typed: str):
    assert rebased_text(typed) is None


def test_rebase_refuses_typing_on_an_edited_line_outside_the_target():
    base = "import os\n\n\ndef g():\n    return 2\n"
    new = "import math\nimport os\n\n\ndef g():\n    return math.e\n"
    edits = minimal_edits(base, new)
    assert rebase(base, base.replace("import os", "import os  # noqa"), edits, (3, 4)) is None
    # Lines typed where an import is added: which goes first is unclear, so refuse.
    assert rebase(base, "# header\n" + base, edits, (3, 4)) is None
    typed = base.replace("import os\n", "import os\nimport sys\n")
    moved = rebase(base, typed, edits, (3, 4))
    assert moved is not None
    assert apply_edits(typed, moved) == new.replace("import os\n", "import os\nimport sys\n")


def test_rebase_keeps_lines_typed_in_place_of_the_line_right_above_an_edit_together():
    base = "# header\n\nimport os\n\n\ndef g():\n    return 2\n"
    new = "# header\n\nimport math\nimport os\n\n\ndef g():\n    return math.e\n"
    edits = minimal_edits(base, new)
    typed = base.replace("# header\n\n", "# header\n# typed one\n# typed two\n")
    moved = rebase(base, typed, edits, (5, 6))
    assert moved is not None
    assert apply_edits(typed, moved) == new.replace(
        "# header\n\n", "# header\n# typed one\n# typed two\n"
    )


# ---------------------------------------------------------------- no foreign effects

SHARED = """\
import os


def other():
    return len([1, 2])


def target(x):
    return x
"""


@pytest.mark.parametrize(
    ("candidate", "imports", "reason"),
    [
        (
            "def target(x):\n    return getpid()\n",
            ["from os import getpid as len"],
            "builtin `len`",
        ),
        ("def target(x):\n    return 1\n", ["from math import pi as other"], "rebind `other`"),
        (
            "@(lambda f: globals().update(other=print) or f)\ndef target(x):\n    return x\n",
            [],
            "calls `globals`",
        ),
        ("def target(x, _=(other := 3)):\n    return x\n", [], "`:=`"),
        ("def target(x, _=setattr(os, 'sep', '!')):\n    return x\n", [], "calls `setattr`"),
        ("@os.__dict__.get('x')\ndef target(x):\n    return x\n", [], "reaches `.__dict__`"),
        ("def target(x):\n    global other\n    other = None\n    return x\n", [], "global other"),
        ("def target(x):\n    exec('other = 1')\n    return x\n", [], "`exec()`"),
    ],
)
def test_a_candidate_that_reaches_other_names_is_refused(candidate, imports, reason):
    result = replace_symbol(SHARED, "target", candidate, imports)
    assert isinstance(result, TransformFailure), result
    assert reason in result.reason


@pytest.mark.parametrize(
    ("candidate", "imports"),
    [
        ("def target(x):\n    return math.floor(x)\n", ["import math"]),
        ("def target(x):\n    return os.sep + str(x)\n", ["import os"]),
        (
            "@functools.lru_cache(maxsize=None)\ndef target(x, y=Decimal(0)):\n    return x\n",
            ["import functools", "from decimal import Decimal"],
        ),
        ("def target(x, y=None, *, z=(1, 2)):\n    return [len(x), globals_seen(y)]\n", []),
    ],
)
def test_a_candidate_that_keeps_to_itself_is_accepted(candidate, imports):
    result = replace_symbol(SHARED, "target", candidate, imports)
    assert isinstance(result, TransformSuccess), result


def test_what_the_original_already_did_is_allowed_again():
    source = SHARED.replace(
        "def target(x):\n    return x", "def target(x):\n    global CACHE\n    return x"
    )
    candidate = "def target(x):\n    global CACHE\n    CACHE = x\n    return x\n"
    assert isinstance(replace_symbol(source, "target", candidate), TransformSuccess)
