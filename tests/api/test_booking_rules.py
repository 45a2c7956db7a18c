"""An organizer reads and changes their booking rules through the API: each with their own value, the
platform default and the one in force; null goes back to the default; a refusal says why and changes nothing."""

import pytest

from marketplace.core.models import AuditLogEntry
from marketplace.vendors.models import Vendor
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

URL = "vendors/me/booking-rules"


@pytest.fixture(autouse=True)
def defaults(settings):
    settings.BOOKING_MIN_NOTICE_MINUTES = 120
    settings.BOOKING_HORIZON_DAYS = 180
    settings.BOOKING_SLOT_STEP_MINUTES = 30
    settings.BOOKING_DAILY_CAP = 0


def rule(own, default, effective) -> dict:
    return {"own": own, "default": default, "effective": effective}


DEFAULT_RULES = {
    "min_notice_minutes": rule(None, 120, 120),
    "horizon_days": rule(None, 180, 180),
    "slot_step_minutes": rule(None, 30, 30),
    "daily_cap": rule(None, 0, 0),
    "buffer_before_minutes": rule(0, 0, 0),
    "buffer_after_minutes": rule(0, 0, 0),
}


def test_an_organizer_following_the_defaults_sees_them(api, vendor):
    response = api.as_user(vendor.user).get(URL)

    assert response.status_code == 200
    assert response.json() == DEFAULT_RULES


def test_an_organizer_sets_some_rules_and_the_others_stay(api, vendor):
    body = {"min_notice_minutes": 1440, "slot_step_minutes": 60, "daily_cap": 3, "buffer_after_minutes": 30}

    response = api.as_user(vendor.user).patch(URL, body)

    assert response.status_code == 200
    assert response.json() == DEFAULT_RULES | {
        "min_notice_minutes": rule(1440, 120, 1440),
        "slot_step_minutes": rule(60, 30, 60),
        "daily_cap": rule(3, 0, 3),
        "buffer_after_minutes": rule(30, 0, 30),
    }
    vendor.refresh_from_db()
    assert (vendor.min_notice_minutes, vendor.horizon_days, vendor.slot_step_minutes) == (1440, None, 60)
    assert (vendor.daily_cap, vendor.buffer_before_minutes, vendor.buffer_after_minutes) == (3, 0, 30)
    entry = AuditLogEntry.objects.get(action="availability.booking_rules_changed")
    assert entry.actor == vendor.user
    assert api.get(URL).json() == response.json()


def test_null_sets_a_rule_back_to_the_platform_default(api, vendor):
    Vendor.objects.filter(pk=vendor.pk).update(horizon_days=30, slot_step_minutes=15)

    response = api.as_user(vendor.user).patch(URL, {"horizon_days": None})

    assert response.status_code == 200
    assert response.json()["horizon_days"] == rule(None, 180, 180)
    assert response.json()["slot_step_minutes"] == rule(15, 30, 15)  # left out: unchanged
    vendor.refresh_from_db()
    assert (vendor.horizon_days, vendor.slot_step_minutes) == (None, 15)


def test_the_default_in_force_follows_the_platform_setting(api, vendor, settings):
    settings.BOOKING_DAILY_CAP = 4

    response = api.as_user(vendor.user).get(URL)

    assert response.json()["daily_cap"] == rule(None, 4, 4)


def test_an_empty_patch_changes_nothing(api, vendor):
    before = data_snapshot()

    response = api.as_user(vendor.user).patch(URL, {})

    assert response.status_code == 200
    assert response.json() == DEFAULT_RULES
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    ("body", "status", "field", "detail"),
    [
        (
            {"buffer_before_minutes": -5},
            400,
            "buffer_before_minutes",
            "The buffer before a job (minutes) must be a whole number from 0 to 240, in steps of 5.",
        ),
        (
            {"buffer_after_minutes": 7},
            400,
            "buffer_after_minutes",
            "The buffer after a job (minutes) must be a whole number from 0 to 240, in steps of 5.",
        ),
        ({"buffer_after_minutes": None}, 400, "buffer_after_minutes", "A buffer cannot be empty: use 0 for none."),
        (
            {"slot_step_minutes": 20},
            400,
            "slot_step_minutes",
            "The slot step must be one of 15, 30, 45, 60, 90, 120 minutes.",
        ),
        (
            {"min_notice_minutes": 2 * 24 * 60, "horizon_days": 2},
            400,
            "min_notice_minutes",
            "The minimum notice (2 days) must be shorter than how far ahead customers may book (2 days).",
        ),
        (
            {"daily_cap": 21},
            400,
            "daily_cap",
            "The most jobs a day (0 for no limit) must be a whole number from 0 to 20.",
        ),
        (
            {"horizon_days": 0},
            400,
            "horizon_days",
            "How far ahead customers may book (days) must be a whole number from 1 to 365.",
        ),
        (
            {"min_notice_minutes": 20161},
            400,
            "min_notice_minutes",
            "The minimum notice (minutes) must be a whole number from 0 to 20160.",
        ),
    ],
)
def test_a_rule_out_of_its_range_is_a_400_that_names_it_and_changes_nothing(api, vendor, body, status, field, detail):
    before = data_snapshot()

    response = api.as_user(vendor.user).patch(URL, body)

    assert response.status_code == status
    assert response.json() == {"detail": detail, "code": "validation_failed", "field": field}
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"daily_cap": "three"}, "daily_cap"),
        ({"daily_cap": "3"}, "daily_cap"),
        ({"horizon_days": 1.5}, "horizon_days"),
        ({"slot_step_minutes": True}, "slot_step_minutes"),
        ({"buffer_before_minutes": [5]}, "buffer_before_minutes"),
    ],
)
def test_a_rule_that_is_not_a_whole_number_is_invalid_input(api, vendor, body, field):
    before = data_snapshot()

    response = api.as_user(vendor.user).patch(URL, body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert changed_tables(before, data_snapshot()) == []


def test_a_customer_has_no_booking_rules(api, customer):
    before = data_snapshot()

    read = api.as_user(customer).get(URL)
    change = api.patch(URL, {"daily_cap": 2})

    for response in (read, change):
        assert response.status_code == 404
        assert response.json()["code"] == "no_vendor_profile"
    assert changed_tables(before, data_snapshot()) == []


def test_an_organizer_without_a_profile_is_told_to_create_one(api, unverified_vendor_user):
    response = api.as_user(unverified_vendor_user).get(URL)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "You have no organizer profile yet: create one with POST /api/v1/vendors/profile.",
        "code": "no_vendor_profile",
    }


def test_anonymous_callers_must_sign_in(api):
    for response in (api.anonymous().get(URL), api.anonymous().patch(URL, {"daily_cap": 2})):
        assert response.status_code == 401


def test_the_address_is_not_taken_for_an_organizer_id(api, vendor):
    # /me/booking-rules is declared before /{vendor_id}: "me" is not read as an id
    response = api.anonymous().get("vendors/me/booking-rules")

    assert response.status_code == 401


def test_the_document_describes_each_rule(client):
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]

    operations = document["paths"]["/api/v1/vendors/me/booking-rules"]
    assert set(operations) == {"get", "patch"}
    assert schemas["BookingRuleOut"]["required"] == ["own", "default", "effective"]
    assert "0 is no limit" in schemas["BookingRulesOut"]["properties"]["daily_cap"]["description"]
    assert (
        "Null: follow the platform default" in schemas["BookingRulesPatch"]["properties"]["horizon_days"]["description"]
    )
