"""The workspace index, target resolution and the budgeted context, on a small fake project."""

import time
from pathlib import Path

import pytest

from specloop.analysis.index import build_index, is_test_file
from specloop.loop.context import (
    ContextError,
    TargetError,
    build_context,
    estimate_tokens,
    resolve_target,
)
from specloop.loop.models import Context, LoopSpec

BILLING = '''\
"""Billing."""
from decimal import Decimal

from pkg.util import round_money

RATE = Decimal("0.2")

# TODO: decide where the rate should come from


def fee(amount: Decimal) -> Decimal:
    return amount * RATE


class Account:
    """An account."""

    def __init__(self, balance: Decimal) -> None:
        self.balance = balance

    def charge(self, amount: Decimal) -> Decimal:
        """Take ``amount`` plus the fee from the balance."""
        # TODO: handle errors
        total = amount + fee(amount)
        self.balance -= round_money(total)
        print("charged", total)
        return self.balance

    def pay_twice(self, amount: Decimal) -> None:
        self.charge(amount)
        self.charge(amount)

    def refund(self, amount):
        """Give ``amount`` back to the customer."""
        raise NotImplementedError

    @staticmethod
    def parse(
        text: str,
        default: Decimal = Decimal(0),
    ) -> Decimal:
        def clean(value):
            return value.strip()

        return Decimal(clean(text)) if text else default


def checkout(account: Account, amount: Decimal) -> Decimal:
    return account.charge(amount)
'''

UTIL = """\
from decimal import Decimal


# TODO: support other currencies
def round_money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))
"""

TEST_BILLING = """\
from decimal import Decimal

from pkg.billing import Account


def make_account():
    return Account(Decimal("10"))


def test_charge_takes_the_fee():
    account = make_account()
    assert account.charge(Decimal("1")) == Decimal("8.80")


def test_unrelated():
    assert 1 + 1 == 2
"""

FILES = {
    "pkg/__init__.py": "",
    "pkg/billing.py": BILLING,
    "pkg/util.py": UTIL,
    "tests/test_billing.py": TEST_BILLING,
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, FILES)
    return tmp_path


def resolve(project: Path, needle: str, name: str = "pkg/billing.py") -> LoopSpec | TargetError:
    path = project / name
    return resolve_target(path, line_of(path.read_text(), needle))


def resolved(project: Path, needle: str, name: str = "pkg/billing.py") -> LoopSpec:
    spec = resolve(project, needle, name)
    assert isinstance(spec, LoopSpec), spec
    return spec


# ---------------------------------------------------------------- resolve_target


def test_a_todo_line_resolves_to_the_todo_and_its_method(project: Path) -> None:
    spec = resolved(project, "# TODO: handle errors")
    assert (spec.kind, spec.text) == ("comment", "handle errors")
    assert (spec.symbol, spec.symbol_kind) == ("Account.charge", "method")
    assert spec.line == line_of(BILLING, "# TODO: handle errors")
    assert spec.path == str(project / "pkg/billing.py")


def test_a_line_inside_a_function_resolves_to_the_function(project: Path) -> None:
    spec = resolved(project, "return amount * RATE")
    assert (spec.kind, spec.text) == ("symbol", "")
    assert (spec.symbol, spec.symbol_kind) == ("fee", "function")
    assert spec.line == line_of(BILLING, "def fee(")


def test_a_line_in_a_nested_function_resolves_to_the_innermost(project: Path) -> None:
    spec = resolved(project, "return value.strip()")
    assert (spec.symbol, spec.symbol_kind) == ("Account.parse.clean", "function")


def test_a_class_line_and_a_line_between_methods_resolve_to_the_class(project: Path) -> None:
    assert resolved(project, "class Account:").symbol == "Account"
    path = project / "pkg/billing.py"
    between = line_of(BILLING, "def charge(") - 1  # the blank line after __init__
    spec = resolve_target(path, between)
    assert isinstance(spec, LoopSpec)
    assert (spec.symbol, spec.symbol_kind) == ("Account", "class")


def test_a_decorator_line_belongs_to_its_method(project: Path) -> None:
    assert resolved(project, "@staticmethod").symbol == "Account.parse"


def test_a_continued_todo_resolves_from_any_of_its_lines(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": CONTINUED})
    spec = resolve_target(tmp_path / "m.py", 3)
    assert isinstance(spec, LoopSpec)
    assert (spec.line, spec.symbol, spec.text) == (
        2,
        "f",
        "retry the call when the server says 503",
    )


CONTINUED = """\
def f(client):
    # TODO: retry the call when
    #   the server says 503
    return client.get()  # TODO: and log it
"""


def test_a_trailing_todo_belongs_to_the_line_it_ends(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": CONTINUED})
    spec = resolve_target(tmp_path / "m.py", 4)
    assert isinstance(spec, LoopSpec)
    assert (spec.kind, spec.symbol, spec.text) == ("comment", "f", "and log it")


def test_a_stub_docstring_is_a_spec_of_its_method(project: Path) -> None:
    spec = resolved(project, "Give ``amount`` back")
    assert (spec.kind, spec.symbol) == ("docstring", "Account.refund")
    assert spec.text == "Give ``amount`` back to the customer."


def test_a_todo_directly_above_a_function_belongs_to_it(project: Path) -> None:
    spec = resolved(project, "# TODO: support other currencies", "pkg/util.py")
    assert (spec.kind, spec.symbol, spec.text) == (
        "comment",
        "round_money",
        "support other currencies",
    )


def test_a_module_level_todo_is_refused_with_a_reason(project: Path) -> None:
    error = resolve(project, "# TODO: decide where the rate")
    assert isinstance(error, TargetError)
    assert "module level" in error.reason
    assert "function or class" in error.reason


def test_module_level_code_is_refused_with_a_reason(project: Path) -> None:
    error = resolve(project, "RATE = ")
    assert isinstance(error, TargetError)
    assert "not inside a function or class" in error.reason


def test_a_missing_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    error = resolve_target(tmp_path / "nope.py", 1)
    assert isinstance(error, TargetError)
    assert "does not exist" in error.reason
    assert error.reason.endswith(".")


def test_a_file_that_is_not_utf8_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes("def f():\n    return 'caf\xe9'\n".encode("latin-1"))
    error = resolve_target(path, 2)
    assert isinstance(error, TargetError)
    assert "not UTF-8" in error.reason


@pytest.mark.parametrize("line", [0, -3, 999])
def test_a_line_out_of_range_is_refused_with_a_reason(project: Path, line: int) -> None:
    error = resolve_target(project / "pkg/billing.py", line)
    assert isinstance(error, TargetError)
    count = BILLING.count("\n")
    assert f"has {count} lines" in error.reason


# ---------------------------------------------------------------- the index


def test_the_index_knows_definitions_signatures_and_calls(project: Path) -> None:
    index = build_index(project)
    (charge,) = index.definitions("Account.charge")
    assert charge.signature == "def charge(self, amount: Decimal) -> Decimal:"
    assert charge.calls == ("fee", "round_money", "print")
    assert charge.plain_calls == {"fee", "round_money", "print"}
    assert charge.docstring == "Take ``amount`` plus the fee from the balance."
    (parse,) = index.definitions("parse")
    assert parse.decorators == ("@staticmethod",)
    assert parse.signature == (
        "def parse(\n    text: str,\n    default: Decimal = Decimal(0),\n) -> Decimal:"
    )
    assert parse.calls == ("Decimal", "clean")  # not strip(): that is clean's own call
    assert [d.qualified_name for d in index.definitions("clean")] == ["Account.parse.clean"]
    (account,) = index.definitions("Account")
    assert account.signature == "class Account:"


def test_the_index_finds_callers_and_the_tests_that_mention_a_name(project: Path) -> None:
    index = build_index(project)
    assert {d.qualified_name for d in index.callers("charge")} == {
        "Account.pay_twice",
        "checkout",
        "test_charge_takes_the_fee",
    }
    assert index.test_files_mentioning("charge") == [project / "tests/test_billing.py"]
    assert index.test_files_mentioning("charg") == []


def test_the_index_skips_non_utf8_and_excluded_files(project: Path) -> None:
    (project / "pkg/latin.py").write_bytes(b"x = '\xe9'\n")
    write(project, {"build/gen.py": "def generated():\n    pass\n"})
    index = build_index(project, exclude=["build/"])
    assert project / "pkg/latin.py" in index.skipped
    assert index.definitions("generated") == []
    assert index.module(project / "pkg/util.py") is not None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/helpers.py", True),
        ("pkg/test_x.py", True),
        ("pkg/x_test.py", True),
        ("pkg/testing.py", False),
        ("pkg/contest.py", False),
    ],
)
def test_test_files_are_recognised_by_name_or_folder(path: str, expected: bool) -> None:
    assert is_test_file(path) is expected


def test_an_index_of_hundreds_of_files_builds_quickly(tmp_path: Path) -> None:
    body = BILLING.replace("from pkg.util", "from pkg.util_0")
    files = {f"pkg/module_{n}.py": body.replace("Account", f"Account{n}") for n in range(400)}
    files.update({f"pkg/util_{n}.py": UTIL for n in range(100)})
    write(tmp_path, files)
    started = time.perf_counter()
    index = build_index(tmp_path)
    built = time.perf_counter()
    modules = list(index.modules())
    parsed = time.perf_counter()
    assert len(modules) == 500
    assert len(index.definitions("charge")) == 400
    print(
        f"\nindex of {len(modules)} files: built in {built - started:.3f}s, "
        f"all parsed in {parsed - built:.3f}s"
    )


# ---------------------------------------------------------------- build_context


def charge_spec(project: Path) -> LoopSpec:
    return resolved(project, "# TODO: handle errors")


def test_the_context_holds_the_target_and_what_surrounds_it(project: Path) -> None:
    context = build_context(project, charge_spec(project))
    assert context.module_path == "pkg/billing.py"
    assert context.target_source.startswith("def charge(self, amount: Decimal) -> Decimal:\n")
    assert "    # TODO: handle errors" in context.target_source
    assert context.signature == "def charge(self, amount: Decimal) -> Decimal:"
    assert context.docstring == "Take ``amount`` plus the fee from the balance."
    assert context.imports == ["from decimal import Decimal", "from pkg.util import round_money"]
    assert context.callees == [
        "# fee in pkg/billing.py\ndef fee(amount: Decimal) -> Decimal:",
        "# round_money in pkg/util.py\ndef round_money(value: Decimal) -> Decimal:",
    ]
    assert context.callers == [
        "# Account.pay_twice in pkg/billing.py\ndef pay_twice(self, amount: Decimal) -> None:",
        "# checkout in pkg/billing.py\ndef checkout(account: Account, amount: Decimal) -> Decimal:",
    ]
    (test,) = context.tests
    assert (test.path, test.name) == ("tests/test_billing.py", "test_charge_takes_the_fee")
    assert test.source.startswith("def test_charge_takes_the_fee():")
    assert "make_account():" not in test.source and "test_unrelated" not in test.source
    assert context.omitted == []
    assert context.token_estimate > 0


def included_tokens(context: Context) -> int:
    texts = [context.signature, context.target_source, context.docstring or ""]
    texts += context.imports + context.callees + context.callers
    texts += [f"{t.path}\n{t.name}\n{t.source}" for t in context.tests]
    return sum(estimate_tokens(text) for text in texts)


@pytest.mark.parametrize("budget", [3000, 200, 40])
def test_the_token_estimate_counts_what_was_included(project: Path, budget: int) -> None:
    context = build_context(project, charge_spec(project), token_budget=budget)
    assert context.token_estimate == included_tokens(context)
    assert context.token_estimate <= budget


def test_a_tight_budget_drops_the_lowest_priorities_first_and_says_so(project: Path) -> None:
    full = build_context(project, charge_spec(project))
    budget = full.token_estimate - 20  # the callers (lowest priority) no longer all fit
    context = build_context(project, charge_spec(project), token_budget=budget)
    assert context.token_estimate <= budget
    assert context.target_source == full.target_source
    assert context.tests == full.tests
    assert len(context.callers) < len(full.callers)
    assert f"callers: {len(full.callers) - len(context.callers)} of 2 left out (budget)" in (
        context.omitted
    )


def test_a_tiny_budget_truncates_the_target_source_and_keeps_the_signature(project: Path) -> None:
    context = build_context(project, charge_spec(project), token_budget=40)
    assert context.signature == "def charge(self, amount: Decimal) -> Decimal:"
    assert context.target_source.startswith("def charge(")
    assert "more lines left out" in context.target_source
    assert context.token_estimate <= 40
    notes = " | ".join(context.omitted)
    assert "target source:" in notes and "lines left out (budget)" in notes
    for part in ("imports", "tests", "callees", "callers"):
        assert f"{part}: " in notes
    assert context.callers == [] and context.tests == []


def test_a_class_target_leaves_out_test_helpers(project: Path) -> None:
    spec = resolved(project, "class Account:")
    context = build_context(project, spec)
    assert context.target_source.startswith('class Account:\n    """An account."""')
    # Only make_account names Account: it is no test, and callers in test files are left out.
    assert context.tests == []
    assert context.callers == []


def test_names_defined_too_often_elsewhere_are_left_out_as_ambiguous(project: Path) -> None:
    models = "\n".join(f"class M{n}:\n    def save(self):\n        pass\n" for n in range(4))
    write(project, {"pkg/models.py": models, "pkg/store.py": STORE})
    spec = resolved(project, "obj.save()", "pkg/store.py")
    context = build_context(project, spec)
    assert context.callees == []
    assert any("ambiguous" in note and "save" in note for note in context.omitted)


STORE = """\
def persist(obj):
    obj.save()
    len(obj)
"""


def test_a_target_that_no_longer_exists_raises_a_context_error(project: Path) -> None:
    spec = charge_spec(project).model_copy(update={"symbol": "Account.gone"})
    with pytest.raises(ContextError, match="no longer defined"):
        build_context(project, spec)


def test_a_relative_spec_path_is_read_from_the_root(project: Path) -> None:
    spec = charge_spec(project).model_copy(update={"path": "pkg/billing.py"})
    index = build_index(project)
    context = build_context(project, spec, index)
    assert context.module_path == "pkg/billing.py"
    assert context.callees
