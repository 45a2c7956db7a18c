"""The split rule and partial refunds, for any amount, rate, minimum fee and currency.

Pure properties (no database): ``Money.split_by_bps`` as the capture uses it,
``payments.policy.refund_split`` on an unsaved Transaction through any sequence of
refunds, and ``percent_of`` for every cancellation tier. The expected values are
computed here from the definitions with exact fractions, not with the code under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from marketplace.catalog.cancellation import PRESETS
from marketplace.core.money import BASIS_POINTS, Money
from marketplace.payments.models import Transaction, TransactionStatus
from marketplace.payments.policy import percent_of, refund_split

MAX_AMOUNT = 10_000_000

# Zero-decimal (JPY, KRW), two-decimal (USD, EUR) and three-decimal (KWD) currencies: the
# rule works in minor units, so a yen is split exactly as a cent is.
currencies = st.sampled_from(["JPY", "KRW", "USD", "EUR", "KWD"])
amounts = st.integers(min_value=0, max_value=MAX_AMOUNT)
rates = st.integers(min_value=0, max_value=BASIS_POINTS)
# A minimum fee anywhere from none to far above any amount (the cap then applies).
minimum_fees = st.one_of(
    st.just(0), st.integers(min_value=0, max_value=2_000), st.integers(min_value=0, max_value=2 * MAX_AMOUNT)
)
TIER_PERCENTS = sorted({percent for preset in PRESETS.values() for _, percent in preset["refund_tiers"]})


def round_half_up(value: Fraction) -> int:
    """The nearest integer, a tie going up (the value is never negative here)."""
    return math.floor(value + Fraction(1, 2))


def expected_fee(amount: int, bps: int, minimum_fee: int) -> int:
    """The fee by its definition: the rate's share rounded half up, at least the minimum, at most the amount."""
    share = round_half_up(Fraction(amount * bps, BASIS_POINTS))
    return min(amount, max(share, minimum_fee))


def captured(*, amount: int, bps: int, minimum_fee: int, currency: str) -> Transaction:
    """An unsaved payment as the capture leaves it: split once, nothing refunded."""
    fee, payout = Money(amount, currency).split_by_bps(bps, minimum_fee)
    return Transaction(
        currency=currency,
        amount_minor=amount,
        commission_bps=bps,
        minimum_fee_minor=minimum_fee,
        platform_fee_minor=fee.minor,
        vendor_payout_minor=payout.minor,
        refunded_minor=0,
        status=TransactionStatus.HELD,
    )


# --- The split at capture -----------------------------------------------------------------------


@given(amount=amounts, bps=rates, minimum_fee=minimum_fees, currency=currencies)
@example(amount=0, bps=1500, minimum_fee=500, currency="USD")  # nothing paid: no fee, whatever the minimum
@example(amount=333, bps=1500, minimum_fee=0, currency="USD")  # 49.95 -> 50
@example(amount=10, bps=500, minimum_fee=0, currency="JPY")  # exactly half a yen rounds up
@example(amount=299, bps=1500, minimum_fee=300, currency="USD")  # the minimum is above the price: all of it
@example(amount=10_000_000, bps=10_000, minimum_fee=0, currency="JPY")
def test_the_split_adds_up_and_follows_the_rule(amount, bps, minimum_fee, currency):
    fee, payout = Money(amount, currency).split_by_bps(bps, minimum_fee)

    assert (fee.currency, payout.currency) == (currency, currency)
    assert fee.minor + payout.minor == amount
    assert 0 <= fee.minor <= amount
    assert 0 <= payout.minor <= amount
    assert fee.minor >= min(minimum_fee, amount)
    assert fee.minor == expected_fee(amount, bps, minimum_fee)


@given(amount=amounts, bps=rates, currency=currencies)
def test_without_a_minimum_the_fee_is_the_share_rounded_half_up(amount, bps, currency):
    fee, _ = Money(amount, currency).split_by_bps(bps, 0)

    exact = Fraction(amount * bps, BASIS_POINTS)
    assert abs(fee.minor - exact) <= Fraction(1, 2)
    if exact - math.floor(exact) == Fraction(1, 2):
        assert fee.minor > exact  # a tie goes up


@given(amount=st.integers(min_value=1, max_value=MAX_AMOUNT), bps=rates, minimum_fee=minimum_fees)
def test_the_minimum_applies_only_when_the_share_is_smaller_and_never_takes_more_than_the_amount(
    amount, bps, minimum_fee
):
    fee, _ = Money(amount, "USD").split_by_bps(bps, minimum_fee)
    share = round_half_up(Fraction(amount * bps, BASIS_POINTS))

    if minimum_fee >= amount:
        assert fee.minor == amount  # the cap
    elif share < minimum_fee:
        assert fee.minor == minimum_fee  # the minimum
    else:
        assert fee.minor == share  # the rate


@given(amount=amounts, bps=rates, minimum_fee=minimum_fees, more=st.integers(min_value=0, max_value=MAX_AMOUNT))
def test_a_larger_amount_never_gives_a_smaller_fee_or_a_smaller_payout(amount, bps, minimum_fee, more):
    # What makes every partial refund take back a non-negative part of the fee and of the payout.
    small_fee, small_payout = Money(amount, "USD").split_by_bps(bps, minimum_fee)
    large_fee, large_payout = Money(amount + more, "USD").split_by_bps(bps, minimum_fee)

    assert small_fee.minor <= large_fee.minor
    assert small_payout.minor <= large_payout.minor


@pytest.mark.parametrize(
    ("amount", "bps", "minimum_fee", "message"),
    [
        (-1, 1500, 0, "negative"),
        (100, -1, 0, "basis points"),
        (100, 10_001, 0, "basis points"),
        (100, 0, -1, "minimum"),
    ],
)
def test_the_split_refuses_what_has_no_meaning(amount, bps, minimum_fee, message):
    with pytest.raises(ValueError, match=message):
        Money(amount, "USD").split_by_bps(bps, minimum_fee)


# --- Partial refunds ---------------------------------------------------------------------------


@st.composite
def payments_and_refunds(draw):
    """A captured payment and a sequence of refunds, each at most what is left when it is made."""
    currency = draw(currencies)
    amount = draw(amounts)
    payment = captured(amount=amount, bps=draw(rates), minimum_fee=draw(minimum_fees), currency=currency)
    left = amount
    refunds = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if left == 0:
            break
        refund = draw(st.one_of(st.integers(min_value=1, max_value=left), st.just(left), st.just(1)))
        refunds.append(refund)
        left -= refund
    return payment, refunds


def apply_refund(payment: Transaction, refund: Money):
    """What ``payments.services.escrow_refund`` does to the payment's parts."""
    split = refund_split(payment, refund)
    payment.platform_fee_minor = split.platform_fee.minor
    payment.vendor_payout_minor = split.vendor_payout.minor
    payment.refunded_minor += refund.minor
    return split


@given(case=payments_and_refunds())
@example(case=(captured(amount=30000, bps=1500, minimum_fee=0, currency="USD"), [10000, 333, 19667]))
@example(case=(captured(amount=999, bps=1500, minimum_fee=200, currency="JPY"), [1, 997, 1]))
def test_every_partial_refund_keeps_the_parts_adding_up(case):
    payment, refunds = case
    amount, currency = payment.amount_minor, payment.currency

    for refund_minor in refunds:
        fee_before, payout_before = payment.platform_fee_minor, payment.vendor_payout_minor
        split = apply_refund(payment, Money(refund_minor, currency))

        assert split.refund == Money(refund_minor, currency)
        assert split.fee_returned.minor >= 0
        assert split.payout_returned.minor >= 0
        assert split.fee_returned.minor + split.payout_returned.minor == refund_minor
        assert (split.fee_returned.minor, split.payout_returned.minor) == (
            fee_before - payment.platform_fee_minor,
            payout_before - payment.vendor_payout_minor,
        )
        assert payment.platform_fee_minor + payment.vendor_payout_minor + payment.refunded_minor == amount
        assert payment.platform_fee_minor >= 0
        assert payment.vendor_payout_minor >= 0
        # What is kept is split again by the capture's own rule.
        kept = amount - payment.refunded_minor
        assert payment.platform_fee_minor == expected_fee(kept, payment.commission_bps, payment.minimum_fee_minor)
    if sum(refunds) == amount:
        assert (payment.platform_fee_minor, payment.vendor_payout_minor) == (0, 0)


@given(amount=amounts, bps=rates, minimum_fee=minimum_fees, currency=currencies)
def test_refunding_everything_at_once_returns_the_whole_fee_and_payout(amount, bps, minimum_fee, currency):
    payment = captured(amount=amount, bps=bps, minimum_fee=minimum_fee, currency=currency)
    fee, payout = payment.platform_fee_minor, payment.vendor_payout_minor

    split = refund_split(payment, Money(amount, currency))

    assert (split.platform_fee.minor, split.vendor_payout.minor) == (0, 0)
    assert (split.fee_returned.minor, split.payout_returned.minor) == (fee, payout)


@given(case=payments_and_refunds())
def test_refunds_in_steps_end_where_one_refund_of_the_same_total_ends(case):
    payment, refunds = case
    in_one = captured(
        amount=payment.amount_minor,
        bps=payment.commission_bps,
        minimum_fee=payment.minimum_fee_minor,
        currency=payment.currency,
    )

    for refund_minor in refunds:
        apply_refund(payment, Money(refund_minor, payment.currency))
    if refunds:
        apply_refund(in_one, Money(sum(refunds), in_one.currency))

    assert (payment.platform_fee_minor, payment.vendor_payout_minor, payment.refunded_minor) == (
        in_one.platform_fee_minor,
        in_one.vendor_payout_minor,
        in_one.refunded_minor,
    )


# --- Percentages of the cancellation tiers -------------------------------------------------------


def test_the_tiers_of_every_policy_are_the_ones_checked_below():
    assert TIER_PERCENTS == [0, 50, 100]


@pytest.mark.parametrize("percent", TIER_PERCENTS)
@given(amount=amounts, currency=currencies)
def test_percent_of_every_tier_rounds_half_up_and_stays_within_the_amount(percent, amount, currency):
    result = percent_of(Money(amount, currency), percent)

    assert result.currency == currency
    assert result.minor == round_half_up(Fraction(amount * percent, 100))
    assert 0 <= result.minor <= amount
    if percent == 100:
        assert result.minor == amount
    if percent == 0:
        assert result.minor == 0


@given(amount=amounts, percent=st.integers(min_value=0, max_value=100), currency=currencies)
def test_percent_of_any_percentage_is_the_nearest_minor_unit(amount, percent, currency):
    result = percent_of(Money(amount, currency), percent)

    assert abs(result.minor - Fraction(amount * percent, 100)) <= Fraction(1, 2)
    assert 0 <= result.minor <= amount


@given(
    amount=amounts,
    bps=rates,
    minimum_fee=minimum_fees,
    percent=st.sampled_from(TIER_PERCENTS),
    currency=currencies,
)
def test_a_cancellation_refund_of_a_tier_splits_like_any_refund(amount, bps, minimum_fee, percent, currency):
    payment = captured(amount=amount, bps=bps, minimum_fee=minimum_fee, currency=currency)
    back = percent_of(payment.kept, percent)

    split = apply_refund(payment, back)

    assert split.fee_returned.minor + split.payout_returned.minor == back.minor
    assert payment.platform_fee_minor + payment.vendor_payout_minor + payment.refunded_minor == amount
    assert payment.platform_fee_minor == expected_fee(amount - back.minor, bps, minimum_fee)
