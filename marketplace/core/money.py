"""Money: an integer number of minor units (cents) and an ISO 4217 currency code.

Floats never touch money. Arithmetic refuses to mix currencies, and splitting an
amount by a rate in basis points rounds the fee half-up so the parts always add
up to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS_POINTS = 10_000


class CurrencyMismatch(ValueError):
    pass


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
        """Human format, e.g. '$1,234.50'. Assumes two decimal places (USD, EUR, GBP, CAD, AUD)."""
        symbol = CURRENCY_SYMBOLS.get(self.currency)
        sign = "-" if self.minor < 0 else ""
        units, cents = divmod(abs(self.minor), 100)
        number = f"{units:,}.{cents:02d}"
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()


CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£"}
SUPPORTED_CURRENCIES = tuple(CURRENCY_SYMBOLS)
