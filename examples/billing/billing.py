"""A tiny billing module with the kinds of specs specloop reads."""

from decimal import Decimal


def charge(account: dict[str, Decimal], amount: Decimal) -> Decimal:
    """Take ``amount`` from the account's balance and return the new balance."""
    # TODO: handle errors
    account["balance"] -= amount
    return account["balance"]


def refund(account: dict[str, Decimal], amount: Decimal) -> Decimal:
    # TODO: raise ValueError when amount is negative
    account["balance"] += amount
    return account["balance"]


def monthly_fee(plan: str) -> Decimal:
    """Return the monthly fee of ``plan``: "free" costs 0, "pro" costs 12.50.

    >>> monthly_fee("pro")
    Decimal('12.50')
    """
    raise NotImplementedError


def apply_discount(total: Decimal) -> Decimal:
    # TODO: maybe cache this?
    # XXX: order matters, see the loop below
    for threshold in (Decimal(100), Decimal(50)):
        if total >= threshold:
            return total * Decimal("0.9")
    return total
