"""Money: an integer number of minor units and an ISO 4217 currency code.

A minor unit is the currency's smallest: a cent of USD, a yen of JPY (no decimals),
a fils of BHD (three). How many decimals a currency has is its exponent
(``currency_exponent``); showing an amount and reading one a person typed both go
through it, here and nowhere else. Floats never touch money. Arithmetic refuses to
mix currencies, and splitting an amount by a rate in basis points rounds the fee
half-up so the parts always add up to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BASIS_POINTS = 10_000

# ISO 4217 exponents that are not 2; every other code has two decimals. MGA is listed
# with 2 in ISO 4217 (a fifth of an ariary that nobody uses): like CLDR and the card
# processors, we count it in whole ariary.
CURRENCY_EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "MGA"), 0),
    **dict.fromkeys(("PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def currency_exponent(currency: str) -> int:
    """How many decimals the currency's main unit has: 2 for USD, 0 for JPY, 3 for BHD."""
    return CURRENCY_EXPONENTS.get(currency, 2)


class CurrencyMismatch(ValueError):
    pass


class TooManyDecimals(ValueError):
    """An amount typed with decimals its currency does not have (5000.50 yen, 12.505 dollars)."""


def to_minor_units(amount: Decimal | int, currency: str) -> int:
    """An amount typed in the currency's main unit (12.50 dollars, 5000 yen) in minor units (1250, 5000).

    The one way a typed amount becomes money. It never rounds: an amount with more
    decimals than the currency has is refused with a sentence a form can show
    (``TooManyDecimals``); trailing zeros are fine (5000.00 yen is 5000 yen).
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError("to_minor_units takes a Decimal or an int, never a float")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError("an amount of money must be a finite number")
    exponent = currency_exponent(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        if exponent == 0:
            raise TooManyDecimals(f"Enter a whole amount: {currency} has no decimal places.")
        raise TooManyDecimals(f"Ensure that there are no more than {exponent} decimal places.")
    return int(minor)


def to_major_units(minor: int, currency: str) -> Decimal:
    """Minor units as an amount in the currency's main unit, with its decimals: 1250 USD -> 12.50, 5000 JPY -> 5000.

    What a form shows to be edited; ``to_minor_units`` reads it back unchanged.
    """
    return Decimal(minor).scaleb(-currency_exponent(currency))


def divide_round_half_up(numerator: int, denominator: int) -> int:
    """Integer division of non-negative integers, rounding .5 away from zero."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("divide_round_half_up takes a non-negative numerator and a positive denominator")
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if remainder * 2 >= denominator else 0)


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int number of minor units")
        if not (
            isinstance(self.currency, str)
            and len(self.currency) == 3
            and self.currency.isalpha()
            and self.currency.isupper()
        ):
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code")

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.minor <= other.minor

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def split_by_bps(self, bps: int, minimum_fee_minor: int = 0) -> tuple[Money, Money]:
        """Return (fee, remainder): fee = round_half_up(amount * bps / 10000), at least the minimum.

        The minimum fee applies to any amount above zero but never takes more than the
        amount itself. The two parts always sum to the original amount, so no minor
        unit is lost, in any currency (a zero-decimal currency's minor unit is its unit).
        This is the one rule for every split: at capture, and of what is kept after a
        partial refund.
        """
        if self.minor < 0:
            raise ValueError("cannot split a negative amount")
        if not 0 <= bps <= BASIS_POINTS:
            raise ValueError("basis points must be between 0 and 10000")
        if minimum_fee_minor < 0:
            raise ValueError("the minimum fee cannot be negative")
        fee = divide_round_half_up(self.minor * bps, BASIS_POINTS)
        fee = min(self.minor, max(fee, minimum_fee_minor))
        return Money(fee, self.currency), Money(self.minor - fee, self.currency)

    def format(self) -> str:
        """Human format with the currency's own decimals: '$1,234.50', '¥5,000', '1.500 BHD'."""
        symbol = CURRENCY_SYMBOLS.get(self.currency)
        sign = "-" if self.minor < 0 else ""
        exponent = currency_exponent(self.currency)
        units, fraction = divmod(abs(self.minor), 10**exponent)
        number = f"{units:,}.{fraction:0{exponent}d}" if exponent else f"{units:,}"
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()


CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# What MARKETPLACE_CURRENCY may be (checked at start-up, marketplace.core.checks).
SUPPORTED_CURRENCIES = tuple(CURRENCY_SYMBOLS)
