"""Form fields the faces share, so the storefront and the back office read input the same way."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from .money import TooManyDecimals, to_major_units, to_minor_units


class AmountField(forms.DecimalField):
    """An amount of money typed in the currency's main unit (12.50 dollars, 5000 yen), cleaned to minor units.

    Bounds are given in minor units, like the limits the services enforce. Reading the
    amount, and refusing decimals the currency does not have, is ``core.money.to_minor_units``;
    the input's step is the currency's smallest amount (0.01, or 1 for a zero-decimal
    currency), so a browser asks for the same. Its initial value is ``to_major_units``.
    """

    def __init__(self, *, currency: str, min_minor: int | None = None, max_minor: int | None = None, **kwargs):
        self.currency = currency  # widget_attrs, called by the parent's __init__, reads it
        super().__init__(
            min_value=None if min_minor is None else self._bound(min_minor),
            max_value=None if max_minor is None else self._bound(max_minor),
            **kwargs,
        )

    def _bound(self, minor: int) -> Decimal:
        # Zero is "0" in the min attribute and in the error message, in every currency.
        return to_major_units(minor, self.currency) if minor else Decimal(0)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.NumberInput) and "step" not in widget.attrs:
            attrs["step"] = str(to_major_units(1, self.currency))
        return attrs

    def clean(self, value) -> int | None:
        amount = super().clean(value)
        if amount is None:
            return None
        try:
            return to_minor_units(amount, self.currency)
        except TooManyDecimals as error:
            raise forms.ValidationError(str(error), code="max_decimal_places") from None
