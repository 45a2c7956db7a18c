"""Reporting periods: "today", "this month" and "the last 30 days" in the site's time zone.

Figures are counted by the local calendar of ``settings.TIME_ZONE`` (the platform's home,
where its staff work), not by UTC dates: a booking made at 9 pm in New York counts for
that day, not the next. Each period is a half-open range of aware datetimes
``[start, end)``, worked out once from one "now" so every figure of a report covers the
same moments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

CHART_DAYS = 30


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day_start(day: date, zone: ZoneInfo | None = None) -> datetime:
    """The first moment of a local calendar day (midnight, or the first moment after a DST gap)."""
    zone = zone or site_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    # zoneinfo resolves a nonexistent midnight forwards; round-tripping through UTC keeps it exact.
    return start.astimezone(ZoneInfo("UTC")).astimezone(zone)


@dataclass(frozen=True)
class ReportingPeriods:
    """Today, this month and the chart's days, as local dates and as ``[start, end)`` datetimes."""

    today: date
    month_first: date
    chart_first: date  # CHART_DAYS local days ending today
    today_start: datetime
    tomorrow_start: datetime
    month_start: datetime
    chart_start: datetime

    @property
    def chart_days(self) -> list[date]:
        return [self.chart_first + timedelta(days=n) for n in range((self.today - self.chart_first).days + 1)]

    @property
    def since(self) -> datetime:
        """The earliest moment any of the periods covers: one read from here serves all of them."""
        return min(self.month_start, self.chart_start)


def reporting_periods(*, now: datetime | None = None) -> ReportingPeriods:
    zone = site_zone()
    today = (now or timezone.now()).astimezone(zone).date()
    month_first = today.replace(day=1)
    chart_first = today - timedelta(days=CHART_DAYS - 1)
    return ReportingPeriods(
        today=today,
        month_first=month_first,
        chart_first=chart_first,
        today_start=local_day_start(today, zone),
        tomorrow_start=local_day_start(today + timedelta(days=1), zone),
        month_start=local_day_start(month_first, zone),
        chart_start=local_day_start(chart_first, zone),
    )
