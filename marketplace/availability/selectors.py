"""Reads for availability: open windows, DST-correct (the slots themselves: ``availability.schedule``).

Rules are wall-clock times in the vendor's time zone. Each local date is turned
into UTC windows with zoneinfo, so "Mondays 9:00-17:00" means 9:00-17:00 local on
both sides of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from marketplace.vendors.models import Vendor

from .models import AvailabilityException, AvailabilityRule


@dataclass(frozen=True)
class Window:
    start: datetime  # aware, UTC
    end: datetime


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _subtract(windows: list[tuple[time, time]], blocked: tuple[time, time]) -> list[tuple[time, time]]:
    result = []
    for start, end in windows:
        b_start, b_end = blocked
        if b_end <= start or b_start >= end:
            result.append((start, end))
            continue
        if start < b_start:
            result.append((start, b_start))
        if b_end < end:
            result.append((b_end, end))
    return result


def open_windows(*, vendor: Vendor, first_day: date, last_day: date) -> list[Window]:
    """The vendor's open working windows for local dates first_day..last_day, in UTC."""
    return open_windows_by_vendor({vendor.pk: (vendor.time_zone, first_day, last_day)})[vendor.pk]


def open_windows_by_vendor(days: dict[int, tuple[str, date, date]]) -> dict[int, list[Window]]:
    """Each vendor's open windows, as ``open_windows``, for ``{vendor_id: (time_zone, first_day,
    last_day)}``: two queries however many vendors (a search asks a page of organizers at once)."""
    if not days:
        return {}
    first = min(first_day for _, first_day, _ in days.values())
    last = max(last_day for _, _, last_day in days.values())
    # Plain columns, no model instances and no ordering (so no join for Meta.ordering): the
    # windows are sorted below. The slots of 60 days ask this on every call (bench/slots.py).
    rules: dict[int, dict[int, list[tuple[time, time]]]] = {pk: {} for pk in days}
    for vendor_id, weekday, start_time, end_time in (
        AvailabilityRule.objects.filter(vendor_id__in=list(days))
        .order_by()
        .values_list("vendor_id", "weekday", "start_time", "end_time")
    ):
        rules[vendor_id].setdefault(weekday, []).append((start_time, end_time))
    exceptions: dict[int, dict[date, list[tuple[time | None, time | None, bool]]]] = {pk: {} for pk in days}
    for vendor_id, day, start_time, end_time, is_available in (
        AvailabilityException.objects.filter(vendor_id__in=list(days), date__gte=first, date__lte=last)
        .order_by()
        .values_list("vendor_id", "date", "start_time", "end_time", "is_available")
    ):
        exceptions[vendor_id].setdefault(day, []).append((start_time, end_time, is_available))
    return {
        pk: _windows(rules[pk], exceptions[pk], ZoneInfo(zone), first_day, last_day)
        for pk, (zone, first_day, last_day) in days.items()
    }


def _windows(
    rules: dict[int, list[tuple[time, time]]],
    exceptions: dict[date, list[tuple[time | None, time | None, bool]]],
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
) -> list[Window]:
    windows: list[Window] = []
    day = first_day
    while day <= last_day:
        todays = exceptions.get(day, [])
        if not any(start is None for start, _, _ in todays):  # a whole-day closure wins
            local = list(rules.get(day.weekday(), []))
            local += [(start, end) for start, end, available in todays if available]
            for blocked in sorted((start, end) for start, end, available in todays if not available):
                local = _subtract(local, blocked)
            for start, end in sorted(local):
                windows.append(Window(_local(day, start, zone), _local(day, end, zone)))
        day += timedelta(days=1)
    return _merge(windows)


def _merge(windows: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for window in sorted(windows, key=lambda w: w.start):
        if merged and window.start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, window.end))
        else:
            merged.append(window)
    return merged


def exception_list_upcoming(*, vendor: Vendor) -> list[AvailabilityException]:
    """The vendor's dated exceptions from today on, where "today" is the vendor's own date."""
    today = timezone.now().astimezone(ZoneInfo(vendor.time_zone)).date()
    return list(AvailabilityException.objects.filter(vendor=vendor, date__gte=today))
