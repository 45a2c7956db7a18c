"""The slot engine: which starts of one organizer are bookable, worked out in one place.

A ``Schedule`` holds, for a run of the organizer's local days, their open windows (weekly
hours and dated exceptions, in UTC), the time their active bookings hold (each job with
its buffers) and the busy times of their own calendars, and their booking rules. The
slots offered (``free_starts``) and the check a booking or a move must pass (``refusal``)
both read it, so every offered start is accepted and every refused start is not offered.

``free_starts`` walks the candidate starts and the blocked ranges together, both in time
order, so each is looked at about once: for 60 days with 200 bookings and hundreds of busy
times it does a few thousand comparisons, not candidates x bookings.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from .limits import BookingRules
from .selectors import Window


class Refusal(StrEnum):
    """Why a start is not bookable; the booking services turn each into the error a person reads."""

    PAST = "past"
    NOTICE = "notice"
    HORIZON = "horizon"
    OUTSIDE_HOURS = "outside_hours"
    OFF_STEP = "off_step"
    DAY_FULL = "day_full"
    BOOKED = "booked"
    BUSY = "busy"


@dataclass(frozen=True)
class Job:
    """The time an active booking holds, from ``starts_at``; nothing else may fall in [busy_from, busy_until).

    (``busy_from``/``busy_until``: the job with the buffers before and after it.)
    """

    starts_at: datetime
    busy_from: datetime
    busy_until: datetime


def _merged(ranges: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Ranges sorted and joined where they overlap or touch, so none contains another's start."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _overlaps(ranges: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether any of the sorted, merged ``ranges`` overlaps [start, end) (half-open: touching is free)."""
    index = bisect.bisect_right(ranges, (start, start))
    if index and ranges[index - 1][1] > start:
        return True
    return index < len(ranges) and ranges[index][0] < end


class Schedule:
    """One organizer's bookable time over some local days, at one moment (``now``)."""

    def __init__(
        self,
        *,
        rules: BookingRules,
        windows: list[Window],
        jobs: list[Job],
        busy: list[tuple[datetime, datetime]],
        now: datetime,
    ):
        self.rules = rules
        self.windows = sorted(windows, key=lambda w: w.start)
        self.now = now
        self.earliest = max(now, rules.earliest_start(now))
        self.latest = rules.latest_start(now)
        self._booked = _merged((job.busy_from, job.busy_until) for job in jobs)
        self._busy = _merged(busy)
        self._blocked = _merged([*self._booked, *self._busy])
        zone = rules.zone
        # Only a daily cap reads the count of jobs per local day: without one it is not worked out.
        self._jobs_per_day = (
            Counter() if rules.daily_cap is None else Counter(job.starts_at.astimezone(zone).date() for job in jobs)
        )

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self.rules.zone).date()

    def _day_full(self, day: date) -> bool:
        cap = self.rules.daily_cap
        return cap is not None and self._jobs_per_day[day] >= cap

    def free_starts(self, length: timedelta) -> list[datetime]:
        """Every bookable start (UTC, in time order) of a job of ``length``."""
        rules, step = self.rules, self.rules.step
        before, after = rules.buffer_before, rules.buffer_after
        blocked, index = self._blocked, 0
        starts: list[datetime] = []
        for window in self.windows:
            # A window lies within one local day: weekly hours and exceptions never cross midnight.
            if self._day_full(self._local_day(window.start)):
                continue
            start = window.start
            if start < self.earliest:  # jump to the first step at or after the earliest start
                start += -((window.start - self.earliest) // step) * step
            last = min(window.end - length, self.latest)
            while start <= last:
                need_from, need_until = start - before, start + length + after
                while index < len(blocked) and blocked[index][1] <= need_from:
                    index += 1
                if index < len(blocked) and blocked[index][0] < need_until:
                    # Blocked: the next candidate is the first step whose buffer clears this range.
                    clear = blocked[index][1] + before
                    start += max(1, -((start - clear) // step)) * step
                    continue
                starts.append(start)
                start += step
        return starts

    def refusal(self, start: datetime, length: timedelta) -> Refusal | None:
        """Why a job of ``length`` cannot start at ``start``, or None when it can (exactly the starts offered)."""
        if start < self.now:
            return Refusal.PAST
        if start < self.earliest:
            return Refusal.NOTICE
        if start > self.latest:
            return Refusal.HORIZON
        window = next((w for w in self.windows if w.start <= start and start + length <= w.end), None)
        if window is None:
            return Refusal.OUTSIDE_HOURS
        if (start - window.start) % self.rules.step:
            return Refusal.OFF_STEP
        if self._day_full(self._local_day(start)):
            return Refusal.DAY_FULL
        need_from, need_until = start - self.rules.buffer_before, start + length + self.rules.buffer_after
        if _overlaps(self._booked, need_from, need_until):
            return Refusal.BOOKED
        if _overlaps(self._busy, need_from, need_until):
            return Refusal.BUSY
        return None
