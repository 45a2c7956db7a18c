"""Money: integer minor units, half-up commission, parts that always add up to the whole, each currency's decimals."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.core.money import (
    BASIS_POINTS,
    SUPPORTED_CURRENCIES,
    CurrencyMismatch,
    Money,
    TooManyDecimals,
    currency_exponent,
    divide_round_half_up,
    to_major_units,
    to_minor_units,
)

amounts = st.integers(min_value=0, max_value=10**12)
rates = st.integers(min_value=0, max_value=BASIS_POINTS)
currencies = st.sampled_from(["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "KRW", "BHD"])
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


# --- Each currency's decimals (ISO 4217 exponent) ---------------------------------------


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("USD", 2), ("EUR", 2), ("CHF", 2), ("JPY", 0), ("KRW", 0), ("CLP", 0), ("XOF", 0), ("BHD", 3), ("KWD", 3)],
)
def test_currency_exponent_is_two_unless_the_table_says_otherwise(currency, exponent):
    assert currency_exponent(currency) == exponent


def test_jpy_is_a_supported_marketplace_currency():
    assert "JPY" in SUPPORTED_CURRENCIES


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (500000, "JPY", "¥500,000"),
        (5000, "JPY", "¥5,000"),
        (1, "JPY", "¥1"),
        (0, "JPY", "¥0"),
        (-1250, "JPY", "-¥1,250"),
        (1234567, "KRW", "1,234,567 KRW"),
        (1500, "BHD", "1.500 BHD"),
        (-1234567, "KWD", "-1,234.567 KWD"),
        (5, "BHD", "0.005 BHD"),
        (125000, "USD", "$1,250.00"),
        (0, "USD", "$0.00"),
    ],
)
def test_format_uses_the_currency_decimals(minor, currency, text):
    assert Money(minor, currency).format() == text
    assert str(Money(minor, currency)) == text


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "USD", 1250),
        ("12", "USD", 1200),
        ("0.01", "USD", 1),
        ("5000", "JPY", 5000),
        ("5000.00", "JPY", 5000),  # trailing zeros say the same amount
        ("0", "JPY", 0),
        ("1.505", "BHD", 1505),
        ("2", "BHD", 2000),
    ],
)
def test_to_minor_units_reads_a_typed_amount(typed, currency, minor):
    assert to_minor_units(Decimal(typed), currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("5000.50", "JPY", "Enter a whole amount: JPY has no decimal places."),
        ("0.5", "JPY", "Enter a whole amount: JPY has no decimal places."),
        ("12.505", "USD", "Ensure that there are no more than 2 decimal places."),
        ("1.5055", "BHD", "Ensure that there are no more than 3 decimal places."),
    ],
)
def test_to_minor_units_refuses_decimals_the_currency_does_not_have(typed, currency, message):
    with pytest.raises(TooManyDecimals) as error:
        to_minor_units(Decimal(typed), currency)
    assert str(error.value) == message


def test_to_minor_units_takes_no_float_and_no_infinity():
    with pytest.raises(TypeError):
        to_minor_units(12.5, "USD")
    with pytest.raises(TypeError):
        to_minor_units(True, "JPY")
    with pytest.raises(ValueError):
        to_minor_units(Decimal("Infinity"), "USD")
    assert to_minor_units(5000, "JPY") == 5000
    assert to_minor_units(12, "USD") == 1200


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (1250, "USD", "12.50"),
        (25000, "USD", "250.00"),
        (0, "USD", "0.00"),
        (5000, "JPY", "5000"),
        (1505, "BHD", "1.505"),
    ],
)
def test_to_major_units_shows_the_currency_decimals(minor, currency, shown):
    assert str(to_major_units(minor, currency)) == shown


@no_deadline
@given(minor=amounts, currency=currencies)
def test_major_units_read_back_to_the_same_minor_units(minor, currency):
    assert to_minor_units(to_major_units(minor, currency), currency) == minor


def test_split_by_bps_splits_yen_on_whole_yen():
    # ¥1,001 at 15% is ¥150.15: the fee rounds half up on the yen, the minor unit
    assert Money(1001, "JPY").split_by_bps(1500) == (Money(150, "JPY"), Money(851, "JPY"))
    # ¥1,010 at 15% is ¥151.50: a tie goes up
    assert Money(1010, "JPY").split_by_bps(1500) == (Money(152, "JPY"), Money(858, "JPY"))
    # a minimum fee is in yen too, and never more than the amount
    assert Money(1001, "JPY").split_by_bps(1500, minimum_fee_minor=300) == (Money(300, "JPY"), Money(701, "JPY"))
    assert Money(200, "JPY").split_by_bps(1500, minimum_fee_minor=300) == (Money(200, "JPY"), Money(0, "JPY"))
