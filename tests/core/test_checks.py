"""Start-up checks: a marketplace cannot start with a currency, a minimum fee or a response window it cannot handle."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from marketplace.core.checks import (
    check_calendar_settings,
    check_marketplace_money_settings,
    check_vendor_document_settings,
)


@pytest.mark.parametrize("currency", ["USD", "EUR", "JPY"])
def test_a_supported_currency_passes(currency):
    with override_settings(MARKETPLACE_CURRENCY=currency, PLATFORM_MINIMUM_FEE_MINOR=0):
        assert check_marketplace_money_settings(None) == []


@pytest.mark.parametrize("currency", ["jpy", "CHF", "", "US$"])
def test_an_unsupported_currency_is_an_error(currency):
    with override_settings(MARKETPLACE_CURRENCY=currency):
        errors = check_marketplace_money_settings(None)

    assert [(error.id, error.msg) for error in errors] == [
        ("marketplace.E001", f"MARKETPLACE_CURRENCY is {currency!r}, which is not a supported currency.")
    ]
    assert errors[0].hint == "Use one of: USD, CAD, AUD, EUR, GBP, JPY (an upper-case ISO 4217 code)."


def test_a_negative_minimum_fee_is_an_error():
    with override_settings(PLATFORM_MINIMUM_FEE_MINOR=-1):
        errors = check_marketplace_money_settings(None)

    assert [(error.id, error.msg) for error in errors] == [
        ("marketplace.E002", "PLATFORM_MINIMUM_FEE_MINOR is -1; it cannot be negative.")
    ]


@pytest.mark.parametrize("hours", [0, 121, 7 * 24])
def test_a_response_window_outside_the_card_authorisation_lifetime_is_an_error(hours):
    with override_settings(BOOKING_RESPONSE_WINDOW_HOURS=hours):
        errors = check_marketplace_money_settings(None)

    assert [(error.id, error.msg) for error in errors] == [
        ("marketplace.E003", f"BOOKING_RESPONSE_WINDOW_HOURS is {hours}; it must be between 1 and 120.")
    ]


@pytest.mark.parametrize("hours", [1, 48, 120])
def test_a_response_window_inside_it_passes(hours):
    with override_settings(BOOKING_RESPONSE_WINDOW_HOURS=hours):
        assert check_marketplace_money_settings(None) == []


def test_manage_py_check_runs_it():
    with override_settings(MARKETPLACE_CURRENCY="XYZ"), pytest.raises(SystemCheckError, match=r"marketplace\.E001"):
        call_command("check")


@pytest.mark.parametrize(("megabytes", "days"), [(10, 14), (0.5, 1), (50, 90)])
def test_document_settings_in_range_pass(megabytes, days):
    with override_settings(VENDOR_DOCUMENT_MAX_MB=megabytes, VENDOR_DOCUMENT_REMINDER_DAYS=days):
        assert check_vendor_document_settings(None) == []


def test_document_settings_out_of_range_are_errors():
    with override_settings(VENDOR_DOCUMENT_MAX_MB=0, VENDOR_DOCUMENT_REMINDER_DAYS=120):
        errors = check_vendor_document_settings(None)

    assert [(error.id, error.msg) for error in errors] == [
        ("marketplace.E004", "VENDOR_DOCUMENT_MAX_MB is 0; it must be above 0 and at most 50."),
        ("marketplace.E005", "VENDOR_DOCUMENT_REMINDER_DAYS is 120; it must be between 1 and 90."),
    ]


def test_calendar_settings_by_default_pass():
    assert check_calendar_settings(None) == []


def test_calendar_settings_out_of_range_are_errors():
    with override_settings(CALENDAR_FETCH_TIMEOUT_SECONDS=60, CALENDAR_MAX_BYTES=10, CALENDAR_REFRESH_MINUTES=1):
        errors = check_calendar_settings(None)

    assert [(error.id, error.msg) for error in errors] == [
        ("marketplace.E006", "CALENDAR_FETCH_TIMEOUT_SECONDS is 60; it must be between 1 and 25."),
        ("marketplace.E007", "CALENDAR_MAX_BYTES is 10; it must be between 1024 and 20971520."),
        ("marketplace.E008", "CALENDAR_REFRESH_MINUTES is 1; it must be between 5 and 1440."),
    ]
