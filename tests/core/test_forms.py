"""AmountField: every face reads a typed amount of money through core.money, in the currency's decimals."""

import pytest
from django import forms

from marketplace.core.forms import AmountField


def _form(currency, **field_options):
    return type("AmountForm", (forms.Form,), {"amount": AmountField(currency=currency, **field_options)})


@pytest.mark.parametrize(
    ("currency", "typed", "minor"),
    [
        ("USD", "12.50", 1250),
        ("USD", "12", 1200),
        ("JPY", "5000", 5000),
        ("JPY", "5000.00", 5000),
        ("BHD", "1.5", 1500),
    ],
)
def test_a_typed_amount_cleans_to_minor_units(currency, typed, minor):
    form = _form(currency, min_minor=0, max_minor=10_000_000)({"amount": typed})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == minor


@pytest.mark.parametrize(
    ("currency", "typed", "error"),
    [
        ("JPY", "5000.50", "Enter a whole amount: JPY has no decimal places."),
        ("USD", "12.505", "Ensure that there are no more than 2 decimal places."),
        ("JPY", "-1", "Ensure this value is greater than or equal to 0."),
        ("JPY", "10000001", "Ensure this value is less than or equal to 10000000."),
        ("USD", "100000.01", "Ensure this value is less than or equal to 100000.00."),
        ("USD", "lots", "Enter a number."),
    ],
)
def test_an_amount_the_currency_cannot_hold_is_a_form_error(currency, typed, error):
    form = _form(currency, min_minor=0, max_minor=10_000_000)({"amount": typed})

    assert not form.is_valid()
    assert form.errors["amount"] == [error]


@pytest.mark.parametrize(
    ("currency", "attributes"),
    [
        ("USD", 'min="0.01" max="100000.00" step="0.01"'),
        ("JPY", 'min="1" max="10000000" step="1"'),
        ("BHD", 'min="0.001" max="10000.000" step="0.001"'),
    ],
)
def test_the_input_asks_the_browser_for_the_currency_decimals(currency, attributes):
    form = _form(currency, min_minor=1, max_minor=10_000_000)()

    assert f'<input type="number" name="amount" {attributes} required id="id_amount">' == str(form["amount"])


def test_an_optional_amount_left_empty_is_none():
    form = _form("JPY", required=False)({"amount": ""})

    assert form.is_valid()
    assert form.cleaned_data["amount"] is None
