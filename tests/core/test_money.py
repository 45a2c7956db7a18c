"""Money: integer minor units, half-up commission, parts that always add up to the whole."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.core.money import BASIS_POINTS, CurrencyMismatch, Money, divide_round_half_up

amounts = st.integers(min_value=0, max_value=10**12)
rates = st.integers(min_value=0, max_value=BASIS_POINTS)
currencies = st.sampled_from(["USD", "EUR", "GBP", "CAD", "AUD"])
no_deadline = settings(deadline=None)  # pure arithmetic: a busy machine must not fail it on timing


def test_fifteen_percent_of_333_cents_rounds_the_fee_half_up():
    fee, payout = Money(333, "USD").split_by_bps(1500)  # 49.95 cents
    assert fee == Money(50, "USD")
    assert payout == Money(283, "USD")


@pytest.mark.parametrize(
    ("amount", "bps", "fee", "payout"),
    [
        (30000, 1500, 4500, 25500),
        (1, 1500, 0, 1),  # 0.15 rounds down
        (10, 500, 1, 9),  # 0.5 exactly rounds up
        (30, 500, 2, 28),  # 1.5 rounds up
        (29, 500, 1, 28),  # 1.45 rounds down
        (999, 1234, 123, 876),  # 123.2766
        (0, 1500, 0, 0),
        (12345, 0, 0, 12345),
        (12345, 10000, 12345, 0),
    ],
)
def test_split_by_bps_exact_values(amount, bps, fee, payout):
    assert Money(amount, "USD").split_by_bps(bps) == (Money(fee, "USD"), Money(payout, "USD"))


@no_deadline
@given(minor=amounts, bps=rates, currency=currencies)
def test_split_parts_always_sum_to_the_whole(minor, bps, currency):
    fee, payout = Money(minor, currency).split_by_bps(bps)
    assert fee + payout == Money(minor, currency)
    assert fee.currency == payout.currency == currency


@no_deadline
@given(minor=amounts, bps=rates)
def test_split_fee_is_the_exact_share_rounded_half_up(minor, bps):
    fee, payout = Money(minor, "USD").split_by_bps(bps)
    exact_tenths_of_bps = minor * bps  # the fee times 10000, exactly
    # the fee is within half a cent of the exact share, and a tie goes up
    assert abs(fee.minor * BASIS_POINTS - exact_tenths_of_bps) * 2 <= BASIS_POINTS
    if (exact_tenths_of_bps % BASIS_POINTS) * 2 == BASIS_POINTS:
        assert fee.minor * BASIS_POINTS > exact_tenths_of_bps
    assert 0 <= fee.minor <= minor
    assert 0 <= payout.minor <= minor


@no_deadline
@given(minor=amounts, low=rates, high=rates)
def test_a_higher_rate_never_gives_a_smaller_fee(minor, low, high):
    low, high = sorted((low, high))
    assert Money(minor, "USD").split_by_bps(low)[0] <= Money(minor, "USD").split_by_bps(high)[0]


@no_deadline
@given(numerator=st.integers(min_value=0, max_value=10**15), denominator=st.integers(min_value=1, max_value=10**6))
def test_divide_round_half_up_matches_the_definition(numerator, denominator):
    result = divide_round_half_up(numerator, denominator)
    # result is the integer nearest numerator / denominator, ties upward
    assert (result * 2 - 1) * denominator <= numerator * 2 < (result * 2 + 1) * denominator


@pytest.mark.parametrize("bps", [-1, 10001])
def test_split_refuses_a_rate_outside_0_to_10000(bps):
    with pytest.raises(ValueError, match="basis points"):
        Money(100, "USD").split_by_bps(bps)


def test_split_refuses_a_negative_amount():
    with pytest.raises(ValueError, match="negative"):
        Money(-100, "USD").split_by_bps(1500)


def test_money_refuses_floats_bools_and_bad_currency_codes():
    with pytest.raises(TypeError):
        Money(1.5, "USD")
    with pytest.raises(TypeError):
        Money(True, "USD")
    for code in ("usd", "US", "USDX", "U$D", 840):
        with pytest.raises(ValueError):
            Money(100, code)


def test_arithmetic_refuses_mixed_currencies():
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(CurrencyMismatch):
        assert Money(100, "USD") < Money(100, "EUR")
    with pytest.raises(TypeError):
        Money(100, "USD") + 100


def test_format_shows_symbol_thousands_and_sign():
    assert Money(123450, "USD").format() == "$1,234.50"
    assert Money(-5, "EUR").format() == "-€0.05"
    assert Money(100, "CHF").format() == "1.00 CHF"
