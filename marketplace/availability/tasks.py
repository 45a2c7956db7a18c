"""Availability jobs (django-q2). Each is safe to run twice."""

from __future__ import annotations

from .calendars import external_calendar_refresh as _refresh
from .calendars import external_calendars_refresh_due as _refresh_due


def external_calendars_refresh_due() -> int:
    """Queue a read of every organizer's external calendar that is due (every 5 minutes)."""
    return _refresh_due()


def external_calendar_refresh(*, calendar_id: int) -> str:
    """Read one external calendar now and keep its busy times (or the reason it failed)."""
    return _refresh(calendar_id=calendar_id)
