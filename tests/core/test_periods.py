"""Reporting periods: local days of the site's time zone, worked out once, right across a clock change."""

from datetime import UTC, date, datetime, timedelta

from marketplace.core.periods import CHART_DAYS, local_day_start, reporting_periods


def test_today_is_the_site_s_local_day_not_utc_s(settings):
    settings.TIME_ZONE = "America/New_York"
    # 03:00 UTC on 20 November is still the evening of the 19th in New York.
    periods = reporting_periods(now=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))

    assert periods.today == date(2026, 11, 19)
    assert periods.today_start == datetime(2026, 11, 19, 5, 0, tzinfo=UTC)
    assert periods.tomorrow_start == datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    assert periods.month_first == date(2026, 11, 1)
    assert periods.chart_days[0] == date(2026, 10, 21) and periods.chart_days[-1] == date(2026, 11, 19)
    assert len(periods.chart_days) == CHART_DAYS


def test_a_month_that_starts_on_the_day_the_clocks_go_back(settings):
    settings.TIME_ZONE = "America/New_York"
    periods = reporting_periods(now=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))

    # 1 November 2026 begins in daylight time (UTC-4); the 30th's midnight is in standard time (UTC-5).
    assert periods.month_start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert periods.today_start == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    # The day of the change lasts 25 hours: the next day starts 25 hours after it.
    day_of_the_change = local_day_start(date(2026, 11, 2)).astimezone(UTC) - local_day_start(date(2026, 11, 1))
    assert day_of_the_change == timedelta(hours=25)
    assert periods.since == periods.month_start  # the month reaches further back than the 30 days


def test_the_30_days_reach_further_back_than_the_month_early_in_a_month(settings):
    settings.TIME_ZONE = "Europe/Paris"
    periods = reporting_periods(now=datetime(2027, 3, 2, 12, 0, tzinfo=UTC))

    assert periods.month_first == date(2027, 3, 1)
    assert periods.chart_first == date(2027, 2, 1)
    assert periods.since == periods.chart_start == datetime(2027, 1, 31, 23, 0, tzinfo=UTC)
