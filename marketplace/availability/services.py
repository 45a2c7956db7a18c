"""Writes for a vendor's calendar: weekly rules and dated exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import pairwise

from django.db import transaction

from marketplace.core.audit import audit_log
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.validation import clean_text
from marketplace.vendors.models import Vendor

from .limits import (
    OPENING_MIN_MINUTES,
    booking_rules,
    clean_rule_values,
    exception_dates,
    on_start_grid,
)
from .models import AvailabilityException, AvailabilityRule, Weekday

NOTE_MAX_LENGTH = 120


@dataclass(frozen=True)
class WeeklyWindow:
    weekday: int
    start_time: time
    end_time: time


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def validate_opening(start: time, end: time, *, where: str) -> None:
    """An opening (weekly hours or extra hours on a date) fits the booking grid.

    It starts and ends on the quarter hour, so every slot offered in it is a start
    that booking accepts, and lasts at least as long as the shortest service. ``where``
    begins the message ("Monday", "24 December 2026").
    """
    for field, at in (("start_time", start), ("end_time", end)):
        if not on_start_grid(at):
            raise ValidationFailed(
                f"{where}: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), "
                f"not {at.isoformat(timespec='seconds')}.",
                field=field,
            )
    if end <= start:
        raise ValidationFailed(f"{where}: the end must be after the start.", field="end_time")
    if _minutes(end) - _minutes(start) < OPENING_MIN_MINUTES:
        raise ValidationFailed(
            f"{where}: an opening must last at least {OPENING_MIN_MINUTES} minutes, the shortest service.",
            field="end_time",
        )


def availability_rules_replace(*, vendor: Vendor, windows: list[WeeklyWindow], actor=None) -> list[AvailabilityRule]:
    """Replace the vendor's weekly hours. Each fits the booking grid; windows on one weekday may not overlap."""
    by_day: dict[int, list[WeeklyWindow]] = {}
    for window in windows:
        if window.weekday not in Weekday.values:
            raise ValidationFailed("weekday must be 0 (Monday) to 6 (Sunday).", field="weekday")
        validate_opening(window.start_time, window.end_time, where=Weekday(window.weekday).label)
        by_day.setdefault(window.weekday, []).append(window)
    for weekday, day_windows in by_day.items():
        day_windows.sort(key=lambda w: w.start_time)
        for earlier, later in pairwise(day_windows):
            if later.start_time < earlier.end_time:
                raise ValidationFailed(f"The hours on {Weekday(weekday).label} overlap.", field="windows")
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor.pk).first()
        AvailabilityRule.objects.filter(vendor=vendor).delete()
        rules = AvailabilityRule.objects.bulk_create(
            AvailabilityRule(vendor=vendor, weekday=w.weekday, start_time=w.start_time, end_time=w.end_time)
            for w in windows
        )
        audit_log(
            actor=actor or vendor.user,
            action="availability.rules_replaced",
            target=vendor,
            data={"windows": [[w.weekday, w.start_time.isoformat(), w.end_time.isoformat()] for w in windows]},
        )
    return rules


def _require_exception_date(vendor: Vendor, on_date: date, *, field: str, choose: str) -> None:
    """Refuse a date an exception cannot be set on (``limits.exception_dates``), saying which dates it can."""
    first, last = exception_dates(vendor)
    if not first <= on_date <= last:
        raise ValidationFailed(
            f"Choose {choose} from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}: earlier days are past and "
            f"bookings open only {(last - first).days} days ahead.",
            field=field,
        )


def availability_exception_add(
    *,
    vendor: Vendor,
    on_date: date,
    start_time: time | None = None,
    end_time: time | None = None,
    is_available: bool = False,
    note: str = "",
) -> AvailabilityException:
    """Close a whole day (no times), block a window, or open extra hours (is_available).

    Times fit the booking grid like weekly hours do (see ``validate_opening``); the date lies
    between the organizer's today and the end of the booking horizon (``exception_dates``).
    """
    if (start_time is None) != (end_time is None):
        raise ValidationFailed("Give both a start and an end time, or neither to close the whole day.")
    if start_time is None and is_available:
        raise ValidationFailed("Extra opening hours need a start and an end time.")
    _require_exception_date(vendor, on_date, field="date", choose="a date")
    if start_time is not None:
        validate_opening(start_time, end_time, where=f"{on_date.day} {on_date:%B %Y}")
    note = clean_text(note, field="note", label="The note", max_length=NOTE_MAX_LENGTH)
    with transaction.atomic():
        exception = AvailabilityException.objects.create(
            vendor=vendor, date=on_date, start_time=start_time, end_time=end_time, is_available=is_available, note=note
        )
        audit_log(actor=vendor.user, action="availability.exception_added", target=vendor, data={"date": str(on_date)})
    return exception


# A vacation is at most this many days: longer, and the organizer should change their weekly hours.
EXCEPTION_RANGE_MAX_DAYS = 90


def availability_exceptions_add_range(
    *, vendor: Vendor, first_date: date, last_date: date, note: str = ""
) -> list[AvailabilityException]:
    """Close every day from ``first_date`` to ``last_date`` (a vacation): all of them, or none.

    Each day is added by ``availability_exception_add``, so each follows its rules (the dates
    lie between the organizer's today and the end of their booking horizon). A day already
    closed as a whole is left as it is. At most ``EXCEPTION_RANGE_MAX_DAYS`` days.
    """
    if last_date < first_date:
        raise ValidationFailed("The last day off must be on or after the first.", field="last_date")
    days = (last_date - first_date).days + 1
    if days > EXCEPTION_RANGE_MAX_DAYS:
        raise ValidationFailed(
            f"Days off are at most {EXCEPTION_RANGE_MAX_DAYS} days in a row, not {days}: for a longer break, "
            "change your weekly hours.",
            field="last_date",
        )
    for field, on_date in (("first_date", first_date), ("last_date", last_date)):
        _require_exception_date(vendor, on_date, field=field, choose="days")
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor.pk).first()
        closed = set(
            AvailabilityException.objects.filter(
                vendor=vendor, date__gte=first_date, date__lte=last_date, start_time__isnull=True
            ).values_list("date", flat=True)
        )
        return [
            availability_exception_add(vendor=vendor, on_date=on_date, note=note)
            for on_date in (first_date + timedelta(days=offset) for offset in range(days))
            if on_date not in closed
        ]


def availability_exception_remove(*, vendor: Vendor, exception_id: int) -> None:
    with transaction.atomic():
        deleted, _ = AvailabilityException.objects.filter(vendor=vendor, pk=exception_id).delete()
        if not deleted:
            raise NotFound("Availability exception not found.")
        audit_log(actor=vendor.user, action="availability.exception_removed", target=vendor, data={"id": exception_id})


def booking_rules_update(*, vendor: Vendor, actor=None, **changes) -> Vendor:
    """Change some of the organizer's booking rules; a rule set to None follows the platform's default again.

    Each value is checked (``limits.clean_rule_values``), then the rules as they would stand:
    the notice must be shorter than the horizon. Bookings already made keep their times and
    buffers; the new rules apply to the slots offered and the bookings made from now on.
    Values equal to the current ones change nothing (no save, no audit entry).
    """
    cleaned = clean_rule_values(changes)
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        cleaned = {field: value for field, value in cleaned.items() if getattr(vendor, field) != value}
        if not cleaned:
            return vendor
        before = {field: getattr(vendor, field) for field in cleaned}
        for field, value in cleaned.items():
            setattr(vendor, field, value)
        rules = booking_rules(vendor)
        if rules.min_notice >= rules.horizon:
            raise ValidationFailed(
                f"The minimum notice ({rules.notice_text}) must be shorter than how far ahead customers may "
                f"book ({rules.horizon_days} days).",
                field="min_notice_minutes",
            )
        vendor.save(update_fields=[*cleaned, "updated_at"])
        audit_log(
            actor=actor or vendor.user,
            action="availability.booking_rules_changed",
            target=vendor,
            data={"from": before, "to": cleaned},
        )
    return vendor
