"""When a booking may start: the time grid and each organizer's booking rules, each defined once.

Opening hours, offered slots and booking requests all read these, so the slots a
customer is shown are exactly the starts that booking accepts (``availability.schedule``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from marketplace.catalog.limits import SERVICE_DURATION_MIN_MINUTES
from marketplace.core.errors import ValidationFailed

# Bookings start on this grid in the organizer's time zone (10:00, 10:15...); opening
# hours begin and end on it, and every slot step is a multiple of it, so every offered
# start is on it too.
START_GRID_MINUTES = 15
# An opening shorter than the shortest service could never be booked.
OPENING_MIN_MINUTES = SERVICE_DURATION_MIN_MINUTES

# The ranges an organizer may set their rules in (and the settings' defaults must lie in).
MAX_NOTICE_MINUTES = 14 * 24 * 60  # two weeks
MAX_HORIZON_DAYS = 365
SLOT_STEPS_MINUTES = (15, 30, 45, 60, 90, 120)
MAX_BUFFER_MINUTES = 240
BUFFER_STEP_MINUTES = 5
MAX_DAILY_CAP = 20


def on_start_grid(at: time) -> bool:
    """Whether a wall-clock time lies on the start grid (no seconds, a whole quarter hour)."""
    return not (at.second or at.microsecond or at.minute % START_GRID_MINUTES)


def duration_text(minutes: int) -> str:
    """A length in words: "2 hours", "90 minutes", "1 hour", "1 day"."""
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "1 day" if days == 1 else f"{days} days"
    if minutes % 60:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"


@dataclass(frozen=True)
class BookingRules:
    """One organizer's booking rules, their own where they set one and the platform's default otherwise.

    - ``min_notice``: a booking starts at least this long after it is made;
    - ``horizon``: and at most this long after;
    - ``step``: offered starts are this far apart, counted from the start of each opening;
    - ``buffer_before`` / ``buffer_after``: kept free before and after each job (travel,
      reset). A job itself lies inside the opening hours; its buffers may reach outside them
      (travel before a 9:00 start) but never into another job's time, its buffers or a busy
      time. Two jobs in a row are therefore ``buffer_after + buffer_before`` apart;
    - ``daily_cap``: at most this many jobs start on one of the organizer's local days (None: no cap).
    """

    time_zone: str
    min_notice: timedelta
    horizon: timedelta
    step: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    daily_cap: int | None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def earliest_start(self, now: datetime | None = None) -> datetime:
        return (now or timezone.now()) + self.min_notice

    def latest_start(self, now: datetime | None = None) -> datetime:
        return (now or timezone.now()) + self.horizon

    def today(self, now: datetime | None = None) -> date:
        """The organizer's own date now."""
        return (now or timezone.now()).astimezone(self.zone).date()

    def last_day(self, now: datetime | None = None) -> date:
        """The organizer's local date on which the horizon ends: no booking starts on a later day."""
        return self.latest_start(now).astimezone(self.zone).date()

    @property
    def notice_text(self) -> str:
        return duration_text(int(self.min_notice.total_seconds() // 60))

    @property
    def horizon_days(self) -> int:
        return self.horizon.days


# The organizer's booking rules, as Vendor fields (each a whole number in the unit its name says).
BOOKING_RULE_FIELDS = (
    "min_notice_minutes",
    "horizon_days",
    "slot_step_minutes",
    "daily_cap",
    "buffer_before_minutes",
    "buffer_after_minutes",
)


def rule_defaults() -> dict[str, int]:
    """The platform's default of each booking rule, keyed like the Vendor fields.

    An organizer follows it while their own value is None. The buffers have no setting: their
    default is 0 (none), and an organizer always has their own. ``daily_cap`` 0 is no cap.
    """
    return {
        "min_notice_minutes": settings.BOOKING_MIN_NOTICE_MINUTES,
        "horizon_days": settings.BOOKING_HORIZON_DAYS,
        "slot_step_minutes": settings.BOOKING_SLOT_STEP_MINUTES,
        "daily_cap": settings.BOOKING_DAILY_CAP,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
    }


def _effective_values(vendor) -> dict[str, int]:
    defaults = rule_defaults()
    return {
        field: defaults[field] if getattr(vendor, field) is None else getattr(vendor, field)
        for field in BOOKING_RULE_FIELDS
    }


def booking_rules(vendor) -> BookingRules:
    """The rules bookings of ``vendor`` follow: each of the organizer's own, or the setting it defaults to."""
    values = _effective_values(vendor)
    return BookingRules(
        time_zone=vendor.time_zone,
        min_notice=timedelta(minutes=values["min_notice_minutes"]),
        horizon=timedelta(days=values["horizon_days"]),
        step=timedelta(minutes=values["slot_step_minutes"]),
        buffer_before=timedelta(minutes=values["buffer_before_minutes"]),
        buffer_after=timedelta(minutes=values["buffer_after_minutes"]),
        daily_cap=values["daily_cap"] or None,  # 0 = no cap
    )


@dataclass(frozen=True)
class RuleValue:
    """One booking rule of an organizer, as the faces show it (whole numbers, in the field's unit)."""

    own: int | None  # None: follows the platform's default
    default: int
    effective: int  # own, or default when own is None (daily_cap 0: no cap)


def booking_rule_values(vendor) -> dict[str, RuleValue]:
    """Each booking rule of ``vendor``: their own value, the platform's default, and the one bookings follow."""
    defaults, effective = rule_defaults(), _effective_values(vendor)
    return {
        field: RuleValue(own=getattr(vendor, field), default=defaults[field], effective=effective[field])
        for field in BOOKING_RULE_FIELDS
    }


def exception_dates(vendor, now: datetime | None = None) -> tuple[date, date]:
    """The first and last date a dated exception may be set on, in the organizer's own calendar.

    From their today (an earlier day has no slot left to change) to the day their booking
    horizon ends (no booking can start later, so an exception there would change nothing).
    """
    rules = booking_rules(vendor)
    return rules.today(now), rules.last_day(now)


# --- The organizer's own values, checked once for every face ------------------------------


def _whole(value, *, field: str, low: int, high: int, what: str, step: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high or value % step:
        every = f", in steps of {step}" if step > 1 else ""
        raise ValidationFailed(f"{what} must be a whole number from {low} to {high}{every}.", field=field)
    return value


def clean_rule_values(values: dict) -> dict:
    """The organizer's booking rules, checked: each a whole number in its range, or None for the platform's default.

    Keys are the Vendor fields (``min_notice_minutes``, ``horizon_days``, ``slot_step_minutes``,
    ``daily_cap``, ``buffer_before_minutes``, ``buffer_after_minutes``); the buffers have no
    platform default (0). Raises ValidationFailed naming the field.
    """
    checks = {
        "min_notice_minutes": {"low": 0, "high": MAX_NOTICE_MINUTES, "what": "The minimum notice (minutes)"},
        "horizon_days": {"low": 1, "high": MAX_HORIZON_DAYS, "what": "How far ahead customers may book (days)"},
        "daily_cap": {"low": 0, "high": MAX_DAILY_CAP, "what": "The most jobs a day (0 for no limit)"},
        "buffer_before_minutes": {
            "low": 0,
            "high": MAX_BUFFER_MINUTES,
            "what": "The buffer before a job (minutes)",
            "step": BUFFER_STEP_MINUTES,
        },
        "buffer_after_minutes": {
            "low": 0,
            "high": MAX_BUFFER_MINUTES,
            "what": "The buffer after a job (minutes)",
            "step": BUFFER_STEP_MINUTES,
        },
    }
    cleaned = {}
    for field, value in values.items():
        if field == "slot_step_minutes":
            if value is not None and (isinstance(value, bool) or value not in SLOT_STEPS_MINUTES):
                choices = ", ".join(str(s) for s in SLOT_STEPS_MINUTES)
                raise ValidationFailed(f"The slot step must be one of {choices} minutes.", field=field)
            cleaned[field] = value
        elif field in checks:
            if value is None and field.startswith("buffer_"):
                raise ValidationFailed("A buffer cannot be empty: use 0 for none.", field=field)
            cleaned[field] = None if value is None else _whole(value, field=field, **checks[field])
        else:
            raise ValidationFailed(f"{field} is not a booking rule.", field=field)
    return cleaned
