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
    zone = ZoneInfo(vendor.time_zone)
    rules: dict[int, list[tuple[time, time]]] = {}
    for rule in AvailabilityRule.objects.filter(vendor=vendor):
        rules.setdefault(rule.weekday, []).append((rule.start_time, rule.end_time))
    exceptions: dict[date, list[AvailabilityException]] = {}
    for exception in AvailabilityException.objects.filter(vendor=vendor, date__gte=first_day, date__lte=last_day):
        exceptions.setdefault(exception.date, []).append(exception)

    windows: list[Window] = []
    day = first_day
    while day <= last_day:
        todays = exceptions.get(day, [])
        if not any(e.start_time is None for e in todays):  # a whole-day closure wins
            local = list(rules.get(day.weekday(), []))
            local += [(e.start_time, e.end_time) for e in todays if e.is_available]
            for blocked in (e for e in todays if not e.is_available):
                local = _subtract(local, (blocked.start_time, blocked.end_time))
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
