from decimal import Decimal

from billing import charge, refund


def test_charge_reduces_the_balance():
    account = {"balance": Decimal(10)}
    assert charge(account, Decimal(3)) == Decimal(7)


def test_refund_increases_the_balance():
    account = {"balance": Decimal(10)}
    assert refund(account, Decimal(3)) == Decimal(13)
