"""A vacation: every day from the first to the last closed at once, all or none; and the rules as the faces
show them (own value, platform default, the one in force)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.availability.limits import RuleValue, booking_rule_values
from marketplace.availability.models import AvailabilityException
from marketplace.availability.services import (
    EXCEPTION_RANGE_MAX_DAYS,
    availability_exception_add,
    availability_exceptions_add_range,
    booking_rules_update,
)
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditLogEntry
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
TODAY = datetime(2027, 6, 10, 12, 0, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(TODAY, tick=False):
        yield


def dates_of(vendor) -> list[date]:
    return list(AvailabilityException.objects.filter(vendor=vendor).values_list("date", flat=True))


def test_a_vacation_closes_each_day_once_and_keeps_a_day_already_closed(vendor):
    availability_exception_add(vendor=vendor, on_date=date(2027, 7, 2), note="Dentist")

    added = availability_exceptions_add_range(
        vendor=vendor, first_date=date(2027, 7, 1), last_date=date(2027, 7, 4), note="Beach"
    )

    assert [exception.date for exception in added] == [date(2027, 7, 1), date(2027, 7, 3), date(2027, 7, 4)]
    assert dates_of(vendor) == [date(2027, 7, 1), date(2027, 7, 2), date(2027, 7, 3), date(2027, 7, 4)]
    assert all(exception.start_time is None and not exception.is_available for exception in added)
    assert AvailabilityException.objects.get(date=date(2027, 7, 2)).note == "Dentist"


def test_the_longest_vacation_is_accepted(vendor, settings):
    settings.BOOKING_HORIZON_DAYS = 180
    first = date(2027, 6, 11)

    added = availability_exceptions_add_range(
        vendor=vendor, first_date=first, last_date=first + timedelta(days=EXCEPTION_RANGE_MAX_DAYS - 1)
    )

    assert len(added) == EXCEPTION_RANGE_MAX_DAYS == 90


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(2027, 7, 5), date(2027, 7, 4), "last_date"),
        (date(2027, 7, 1), date(2027, 7, 1) + timedelta(days=EXCEPTION_RANGE_MAX_DAYS), "last_date"),
        (date(2027, 6, 9), date(2027, 6, 12), "first_date"),  # yesterday is past
        (date(2027, 12, 1), date(2028, 1, 15), "last_date"),  # past the 180-day horizon
    ],
)
def test_a_vacation_out_of_bounds_adds_no_day(vendor, settings, first, last, field):
    settings.BOOKING_HORIZON_DAYS = 180
    before = data_snapshot()

    with pytest.raises(ValidationFailed) as refused:
        availability_exceptions_add_range(vendor=vendor, first_date=first, last_date=last)

    assert refused.value.field == field
    assert changed_tables(before, data_snapshot()) == []


def test_a_day_refused_midway_rolls_back_the_days_before_it(vendor):
    before = data_snapshot()

    with pytest.raises(ValidationFailed) as refused:
        availability_exceptions_add_range(
            vendor=vendor, first_date=date(2027, 7, 1), last_date=date(2027, 7, 3), note="n" * 121
        )

    assert refused.value.field == "note"
    assert changed_tables(before, data_snapshot()) == []


def test_each_rule_shows_the_organizers_value_the_default_and_the_one_in_force(vendor, settings):
    settings.BOOKING_MIN_NOTICE_MINUTES = 120
    settings.BOOKING_DAILY_CAP = 0
    vendor = booking_rules_update(vendor=vendor, min_notice_minutes=30, buffer_after_minutes=15)

    values = booking_rule_values(vendor)

    assert values["min_notice_minutes"] == RuleValue(own=30, default=120, effective=30)
    assert values["daily_cap"] == RuleValue(own=None, default=0, effective=0)
    assert values["buffer_after_minutes"] == RuleValue(own=15, default=0, effective=15)


def test_setting_the_rules_they_already_have_writes_nothing(vendor):
    booking_rules_update(vendor=vendor, daily_cap=3)
    before = data_snapshot()

    booking_rules_update(vendor=vendor, daily_cap=3, horizon_days=None, buffer_before_minutes=0)

    assert changed_tables(before, data_snapshot()) == []
    assert AuditLogEntry.objects.filter(action="availability.booking_rules_changed").count() == 1
