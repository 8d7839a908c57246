"""The workspace index, target resolution and the budgeted context, on a small fake project."""

import time
from pathlib import Path
from typing import Any

import pytest

from specloop.analysis.index import SourceCache, SourceFacts, build_index, is_test_file
from specloop.loop.context import (
    ContextError,
    TargetError,
    build_context,
    estimate_tokens,
    resolve_target,
)
from specloop.loop.models import Context, LoopSpec
from specloop.loop.snapshot import Project, SnapshotError, SourceSnapshot, read_snapshot

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


def snapshot_of(root: Path, name: str) -> SourceSnapshot:
    read = read_snapshot(root, root / name)
    assert isinstance(read, SourceSnapshot), read
    return read


def resolve(project: Path, needle: str, name: str = "pkg/billing.py") -> LoopSpec | TargetError:
    snapshot = snapshot_of(project, name)
    return resolve_target(snapshot, line_of(snapshot.text, needle))


def resolved(project: Path, needle: str, name: str = "pkg/billing.py") -> LoopSpec:
    spec = resolve(project, needle, name)
    assert isinstance(spec, LoopSpec), spec
    return spec


# ---------------------------------------------------------------- resolve_target


def test_a_todo_line_resolves_to_its_method_with_every_spec_of_it(project: Path) -> None:
    spec = resolved(project, "# TODO: handle errors")
    assert (spec.kind, spec.text) == ("comment", "handle errors")
    assert (spec.symbol, spec.symbol_kind) == ("Account.charge", "method")
    assert spec.line == line_of(BILLING, "def charge(")
    assert (spec.first_line, spec.last_line) == (spec.line, line_of(BILLING, "return self.balance"))
    assert spec.path == "pkg/billing.py"
    [item] = spec.items
    assert (item.kind, item.marker, item.line) == ("comment", "TODO", line_of(BILLING, "# TODO: h"))
    assert item.ambiguous and spec.ambiguous


def test_every_line_of_a_function_sees_the_same_spec(project: Path) -> None:
    first = line_of(BILLING, "def charge(")
    last = line_of(BILLING, "return self.balance")
    snapshot = snapshot_of(project, "pkg/billing.py")
    specs = [resolve_target(snapshot, line) for line in range(first, last + 1)]
    assert all(spec == specs[0] for spec in specs), specs
    assert isinstance(specs[0], LoopSpec) and specs[0].text == "handle errors"


def test_a_docstring_and_the_todos_in_the_body_are_all_the_spec(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": RANGE_CHECK})
    snapshot = snapshot_of(tmp_path, "m.py")
    on_def = resolve_target(snapshot, 1)
    on_todo = resolve_target(snapshot, line_of(RANGE_CHECK, "# TODO"))
    assert on_def == on_todo
    assert isinstance(on_def, LoopSpec)
    assert on_def.kind == "comment"
    assert [item.kind for item in on_def.items] == ["docstring", "comment"]
    assert "raise ValueError if low > high" in on_def.text
    assert "Clamp value" in on_def.text
    assert not on_def.ambiguous


RANGE_CHECK = """\
def clamp(value: int, low: int, high: int) -> int:
    \"\"\"Clamp value into [low, high].\"\"\"
    # TODO: raise ValueError if low > high
    ...
"""


def test_a_line_inside_a_function_resolves_to_the_function(project: Path) -> None:
    spec = resolved(project, "return amount * RATE")
    assert (spec.kind, spec.text, spec.items) == ("symbol", "", [])
    assert (spec.symbol, spec.symbol_kind) == ("fee", "function")
    assert spec.line == line_of(BILLING, "def fee(")


def test_a_line_in_a_nested_function_resolves_to_the_innermost(project: Path) -> None:
    spec = resolved(project, "return value.strip()")
    assert (spec.symbol, spec.symbol_kind) == ("Account.parse.clean", "function")


def test_a_class_line_and_a_line_between_methods_resolve_to_the_class(project: Path) -> None:
    assert resolved(project, "class Account:").symbol == "Account"
    between = line_of(BILLING, "def charge(") - 1  # the blank line after __init__
    spec = resolve_target(snapshot_of(project, "pkg/billing.py"), between)
    assert isinstance(spec, LoopSpec)
    assert (spec.symbol, spec.symbol_kind) == ("Account", "class")


def test_a_decorator_line_belongs_to_its_method(project: Path) -> None:
    assert resolved(project, "@staticmethod").symbol == "Account.parse"


def test_a_continued_todo_and_a_trailing_one_are_both_specs_of_their_function(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"m.py": CONTINUED})
    snapshot = snapshot_of(tmp_path, "m.py")
    spec = resolve_target(snapshot, 3)
    assert isinstance(spec, LoopSpec)
    assert (spec.line, spec.symbol) == (1, "f")
    assert [(item.line, item.text) for item in spec.items] == [
        (2, "retry the call when the server says 503"),
        (4, "and log it"),
    ]
    assert resolve_target(snapshot, 4) == spec


CONTINUED = """\
def f(client):
    # TODO: retry the call when
    #   the server says 503
    return client.get()  # TODO: and log it
"""


def test_a_stub_docstring_is_a_spec_of_its_method(project: Path) -> None:
    spec = resolved(project, "Give ``amount`` back")
    assert (spec.kind, spec.symbol) == ("docstring", "Account.refund")
    assert spec.text == "Give ``amount`` back to the customer."


def test_a_todo_directly_above_a_function_belongs_to_it(project: Path) -> None:
    for needle in ("# TODO: support other currencies", "def round_money", "return value"):
        spec = resolved(project, needle, "pkg/util.py")
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


def test_the_snapshot_not_the_disk_is_what_resolves(project: Path) -> None:
    snapshot = SourceSnapshot(
        "pkg/billing.py", "def unsaved():\n    # TODO: handle errors\n    pass\n"
    )
    spec = resolve_target(snapshot, 2)
    assert isinstance(spec, LoopSpec)
    assert spec.symbol == "unsaved"


def test_a_missing_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    error = read_snapshot(tmp_path, tmp_path / "nope.py")
    assert isinstance(error, SnapshotError)
    assert "does not exist" in error.reason
    assert error.reason.endswith(".")


def test_a_file_that_is_not_utf8_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes("def f():\n    return 'caf\xe9'\n".encode("latin-1"))
    error = read_snapshot(tmp_path, path)
    assert isinstance(error, SnapshotError)
    assert "not UTF-8" in error.reason


def test_a_file_outside_the_project_is_refused_and_crlf_survives_reading(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    outside = tmp_path / "outside.py"
    outside.write_bytes(b"def f():\r\n    pass\r\n")
    error = read_snapshot(tmp_path / "inside", outside)
    assert isinstance(error, SnapshotError) and "outside the project" in error.reason
    snapshot = read_snapshot(tmp_path, outside)
    assert isinstance(snapshot, SourceSnapshot)
    assert snapshot.text == "def f():\r\n    pass\r\n"
    assert snapshot.path == "outside.py"


@pytest.mark.parametrize("line", [0, -3, 999])
def test_a_line_out_of_range_is_refused_with_a_reason(project: Path, line: int) -> None:
    error = resolve_target(snapshot_of(project, "pkg/billing.py"), line)
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
    test_files = [path for path in index.paths if index.is_test_file(path)]
    assert index.mentioning("charge", test_files) == [project / "tests/test_billing.py"]
    assert index.mentioning("charg", test_files) == []


@pytest.mark.parametrize(
    "statement",
    [
        "from pkg.billing import Account",
        "from pkg import (\n    util,\n    billing,\n)",
        "from pkg import util, \\\n    billing",
        "from pkg import billing",
        "import pkg.billing as b",
    ],
    ids=["from", "parenthesized", "backslash", "package", "import as"],
)
def test_an_import_is_found_however_it_is_written(tmp_path: Path, statement: str) -> None:
    write(tmp_path, {**FILES, "tests/test_billing.py": f"{statement}\n\ndef test_x():\n    pass\n"})
    index = build_index(tmp_path)
    found = index.files_importing(tmp_path / "pkg/billing.py", ["Account"])
    assert [path for path in found if index.is_test_file(path)] == [
        tmp_path / "tests/test_billing.py"
    ]


def test_a_file_that_names_the_module_outside_its_imports_does_not_import_it(
    tmp_path: Path,
) -> None:
    # Words in strings, comments and calls are not imports, nor is a call in parentheses.
    text = (
        '"""billing and Account, from the docs."""\nimport os  # billing\n'
        "print(billing, Account)\nfrom os import (path)\nbilling = Account = None\n"
    )
    write(tmp_path, {**FILES, "tests/test_billing.py": text})
    index = build_index(tmp_path)
    found = index.files_importing(tmp_path / "pkg/billing.py", ["Account"])
    assert [path for path in found if index.is_test_file(path)] == []


def test_callers_elsewhere_are_those_in_modules_that_import_the_target(project: Path) -> None:
    write(
        project,
        {
            "pkg/shop.py": "from pkg.billing import checkout\n\ndef buy(a, n):\n"
            "    return checkout(a, n)\n",
            "pkg/other.py": "def unrelated(cart):\n    return cart.checkout(1)\n",
        },
    )
    snapshot = snapshot_of(project, "pkg/billing.py")
    spec = resolved(project, "def checkout")
    context = build_context(Project(project, {}), spec, snapshot)
    assert context.callers == ["# buy in pkg/shop.py\ndef buy(a, n):"]


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


def context_of(
    project: Path, spec: LoopSpec, buffers: dict[str, str] | None = None, **options: Any
) -> Context:
    """The context as a run builds it: the spec's file from its snapshot, the rest from disk."""
    snapshot = snapshot_of(project, spec.path)
    return build_context(Project(project, buffers or {}), spec, snapshot, **options)


def test_the_context_holds_the_target_and_what_surrounds_it(project: Path) -> None:
    context = context_of(project, charge_spec(project))
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
    context = context_of(project, charge_spec(project), token_budget=budget)
    assert context.token_estimate == included_tokens(context)
    assert context.token_estimate <= budget


def test_a_tight_budget_drops_the_lowest_priorities_first_and_says_so(project: Path) -> None:
    full = context_of(project, charge_spec(project))
    budget = full.token_estimate - 20  # the callers (lowest priority) no longer all fit
    context = context_of(project, charge_spec(project), token_budget=budget)
    assert context.token_estimate <= budget
    assert context.target_source == full.target_source
    assert context.tests == full.tests
    assert len(context.callers) < len(full.callers)
    assert f"callers: {len(full.callers) - len(context.callers)} of 2 left out (budget)" in (
        context.omitted
    )


def test_a_tiny_budget_truncates_the_target_source_and_keeps_the_signature(project: Path) -> None:
    context = context_of(project, charge_spec(project), token_budget=40)
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
    context = context_of(project, spec)
    assert context.target_source.startswith('class Account:\n    """An account."""')
    # Only make_account names Account: it is no test, and callers in test files are left out.
    assert context.tests == []
    assert context.callers == []


def test_names_defined_too_often_elsewhere_are_left_out_as_ambiguous(project: Path) -> None:
    models = "\n".join(f"class M{n}:\n    def save(self):\n        pass\n" for n in range(4))
    write(project, {"pkg/models.py": models, "pkg/store.py": STORE})
    spec = resolved(project, "obj.save()", "pkg/store.py")
    context = context_of(project, spec)
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
        context_of(project, spec)


def test_a_prebuilt_index_is_used(project: Path) -> None:
    index = build_index(project)
    context = context_of(project, charge_spec(project), index=index)
    assert context.module_path == "pkg/billing.py"
    assert context.callees


def test_unsaved_buffers_not_the_disk_are_what_the_context_reads(project: Path) -> None:
    unsaved_test = TEST_BILLING.replace("test_charge_takes_the_fee", "test_charge_unsaved")
    unsaved_util = UTIL.replace("def round_money(value", "def round_money(unsaved_value")
    context = context_of(
        project,
        charge_spec(project),
        {"tests/test_billing.py": unsaved_test, "pkg/util.py": unsaved_util},
    )
    assert [test.name for test in context.tests] == ["test_charge_unsaved"]
    assert any("unsaved_value" in callee for callee in context.callees)


def test_every_test_file_of_the_module_is_a_regression_check(project: Path) -> None:
    write(
        project,
        {"tests/test_other.py": "from pkg.billing import fee\n\n\ndef test_fee():\n    pass\n"},
    )
    context = context_of(project, charge_spec(project))
    assert sorted(context.regression_tests) == ["tests/test_billing.py", "tests/test_other.py"]
    assert [test.name for test in context.tests] == ["test_charge_takes_the_fee"]


def test_sources_read_before_are_kept_until_their_file_changes(tmp_path: Path) -> None:
    cache = SourceCache(limit=1_000)
    path = tmp_path / "pricing.py"
    path.write_bytes(b"RATE = 1\n")
    first = cache.read(path)
    assert first == b"RATE = 1\n"
    assert cache.read(path) is first  # kept: not read again
    path.write_bytes(b"RATE = 22\n")  # another size: another stamp
    assert cache.read(path) == b"RATE = 22\n"
    path.write_bytes(b"\xff\xfe not UTF-8")
    assert cache.read(path) is None
    assert cache.read(tmp_path / "missing.py") is None


def test_sources_over_the_cache_limit_are_read_each_time(tmp_path: Path) -> None:
    cache = SourceCache(limit=10)
    path = tmp_path / "big.py"
    path.write_bytes(b"x = 'more than ten bytes'\n")
    first = cache.read(path)
    assert first == path.read_bytes()
    assert cache.read(path) is not first


def test_source_facts_are_the_names_defined_and_the_words_of_imports() -> None:
    facts = SourceFacts(
        b"from pkg \\\n    import (\n    util,\n    billing)\nimport os.path as p\n"
        b'label = "import this"\nclass Account:\n    def charge(self): pass\nundefined = 1\n'
    )
    assert facts.defined == {b"Account", b"charge"}
    assert {b"pkg", b"util", b"billing", b"os", b"path", b"p"} <= facts.imported
    assert not {b"this", b"label", b"Account"} & facts.imported


def test_facts_are_kept_with_their_source_until_the_file_changes(tmp_path: Path) -> None:
    cache = SourceCache(limit=1_000)
    path = tmp_path / "pricing.py"
    path.write_bytes(b"import rates\n")
    source = cache.read(path)
    assert source is not None
    facts = cache.facts(path, source)
    assert cache.facts(path, source) is facts
    path.write_bytes(b"import billing\n")
    changed = cache.read(path)
    assert changed is not None
    assert b"billing" in cache.facts(path, changed).imported
    buffer = b"import unsaved\n"  # an editor's buffer is scanned, never taken for the file
    assert b"unsaved" in cache.facts(path, buffer).imported
    assert b"billing" in cache.facts(path, changed).imported
