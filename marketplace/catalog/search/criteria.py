"""What a customer searches for, checked once for every face and every engine.

``search_criteria`` turns what a person typed or a client sent into a ``SearchCriteria``, or a
``ValidationFailed`` that says what is wrong (an unknown category or place, an inverted price
range, coordinates off the globe, a date in the past or past the horizon). Engines trust it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.core.places import resolve_place

from ..limits import MAX_PRICE_MINOR
from ..models import Category, PricingModel
from .geo import Point

QUERY_MAX_LENGTH = 200
# Words past this many are ignored: each one is a term of the query the engine ranks by.
QUERY_MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class Sort(StrEnum):
    RELEVANCE = "relevance"  # best text match; without words: nearest first, else best rated
    PRICE_LOW = "price_low"
    PRICE_HIGH = "price_high"
    RATING = "rating"  # best average first, the most reviewed among equals
    DISTANCE = "distance"  # needs a place
    SOONEST = "soonest"  # the earliest next available time first


SORT_LABELS = {
    Sort.RELEVANCE: "Best match",
    Sort.PRICE_LOW: "Price: low to high",
    Sort.PRICE_HIGH: "Price: high to low",
    Sort.RATING: "Best rated",
    Sort.DISTANCE: "Nearest",
    Sort.SOONEST: "Available soonest",
}


class PartOfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


# The organizer's local hours [from, until) a start must fall in for each part of the day.
PART_OF_DAY_HOURS = {
    PartOfDay.MORNING: (time(0), time(12)),
    PartOfDay.AFTERNOON: (time(12), time(17)),
    PartOfDay.EVENING: (time(17), time(23, 59, 59)),
}

# The price bands of the facets, in minor units: [low, high) with None open-ended.
PRICE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 10_000), (10_000, 25_000), (25_000, 50_000), (50_000, None))


def price_band_value(low: int, high: int | None) -> str:
    """How a band is named in a query: ``low-high`` in minor units (``low-`` for the open one)."""
    return f"{low}-{'' if high is None else high}"


def price_band_label(low: int, high: int | None) -> str:
    from marketplace.core.money import Money

    currency = settings.MARKETPLACE_CURRENCY
    if high is None:
        return f"{Money(low, currency)} and more"
    if low == 0:
        return f"Under {Money(high, currency)}"
    return f"{Money(low, currency)} to {Money(high, currency)}"


@dataclass(frozen=True)
class SearchCriteria:
    """A checked search. ``words`` are the query's words, lower case, at most QUERY_MAX_WORDS."""

    text: str = ""
    words: tuple[str, ...] = ()
    category_id: int | None = None
    pricing_model: str | None = None
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    min_rating: float | None = None
    point: Point | None = None
    place_name: str = ""
    free_on: date | None = None
    part_of_day: PartOfDay | None = None
    sort: Sort = Sort.RELEVANCE
    # Engines only: keep services whose stored next available time is before this, or not yet
    # worked out (free_on's prefilter: the slot engine then asks each candidate).
    available_before: datetime | None = field(default=None, compare=False)


def query_words(text: str) -> tuple[str, ...]:
    """The words of a query, lower case, in order, each once: what every engine matches and ranks."""
    seen: list[str] = []
    for word in _WORD.findall((text or "").lower()):
        if word not in seen and len(word) <= 64:
            seen.append(word)
    return tuple(seen[:QUERY_MAX_WORDS])


def _price(value, *, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be a whole number of minor units (cents).", field=field) from None
    if number < 0:
        raise ValidationFailed(f"{field} cannot be negative.", field=field)
    if number > MAX_PRICE_MINOR:
        raise ValidationFailed(f"{field} can be at most {MAX_PRICE_MINOR}.", field=field)
    return number


def _coordinate(value, *, field: str, limit: int) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be a number.", field=field) from None
    if not -limit <= number <= limit:  # also refuses NaN
        raise ValidationFailed(f"{field} must be between -{limit} and {limit}.", field=field)
    return number


def search_horizon_days() -> int:
    """How far ahead "free on" may look: the platform's booking horizon (no organizer books further)."""
    return settings.BOOKING_HORIZON_DAYS


def _free_on(value: date | None, now: datetime) -> date | None:
    if value is None:
        return None
    # The earliest today on Earth (UTC-12): a date that is today somewhere is not yet past.
    earliest_today = now.astimezone(ZoneInfo("Etc/GMT+12")).date()
    if value < earliest_today:
        raise ValidationFailed("free_on cannot be in the past.", field="free_on")
    last = now.astimezone(ZoneInfo("UTC")).date() + timedelta(days=search_horizon_days())
    if value > last:
        raise ValidationFailed(
            f"free_on can be at most {search_horizon_days()} days ahead (until {last.isoformat()}).", field="free_on"
        )
    return value


def search_criteria(
    *,
    q: str = "",
    category_id: int | None = None,
    pricing_model: str | None = None,
    min_price_minor=None,
    max_price_minor=None,
    min_rating=None,
    place: str = "",
    latitude=None,
    longitude=None,
    free_on: date | None = None,
    part_of_day: str | None = None,
    sort: str | None = None,
    now: datetime | None = None,
) -> SearchCriteria:
    """Check a search and make it a ``SearchCriteria``; a ``ValidationFailed`` names the first thing wrong."""
    now = now or timezone.now()
    text = (q or "").strip()
    if len(text) > QUERY_MAX_LENGTH:
        raise ValidationFailed(f"The search text can be at most {QUERY_MAX_LENGTH} characters.", field="q")
    if category_id is not None and not Category.objects.filter(pk=category_id, is_active=True).exists():
        raise ValidationFailed(f"There is no category {category_id}.", field="category_id")
    if pricing_model and pricing_model not in PricingModel.values:
        raise ValidationFailed(f"pricing_model must be one of {', '.join(PricingModel.values)}.", field="pricing_model")
    low = _price(min_price_minor, field="min_price_minor")
    high = _price(max_price_minor, field="max_price_minor")
    if low is not None and high is not None and low > high:
        raise ValidationFailed("min_price_minor cannot be above max_price_minor.", field="min_price_minor")
    rating = None
    if min_rating not in (None, ""):
        try:
            rating = float(min_rating)
        except (TypeError, ValueError):
            raise ValidationFailed("min_rating must be a number from 1 to 5.", field="min_rating") from None
        if not 1 <= rating <= 5:
            raise ValidationFailed("min_rating must be from 1 to 5.", field="min_rating")

    point, place_name = None, ""
    has_latitude, has_longitude = latitude not in (None, ""), longitude not in (None, "")
    if has_latitude != has_longitude:
        missing = "longitude" if has_latitude else "latitude"
        raise ValidationFailed(f"Give {missing} too: a location is a latitude and a longitude.", field=missing)
    if (place or "").strip() and has_latitude:
        raise ValidationFailed("Give a place or a latitude and longitude, not both.", field="place")
    if has_latitude:
        point = Point(
            _coordinate(latitude, field="latitude", limit=90), _coordinate(longitude, field="longitude", limit=180)
        )
        place_name = "your location"
    elif (place or "").strip():
        found = resolve_place(place, field="place")
        point, place_name = Point(found.latitude, found.longitude), found.name

    day = _free_on(free_on, now)
    part = None
    if part_of_day not in (None, ""):
        if part_of_day not in PartOfDay.__members__.values():
            raise ValidationFailed(
                f"part_of_day must be one of {', '.join(p.value for p in PartOfDay)}.", field="part_of_day"
            )
        if day is None:
            raise ValidationFailed("part_of_day needs free_on: the date it is part of.", field="part_of_day")
        part = PartOfDay(part_of_day)

    try:
        order = Sort(sort) if sort else Sort.RELEVANCE
    except ValueError:
        raise ValidationFailed(f"sort must be one of {', '.join(s.value for s in Sort)}.", field="sort") from None
    if order == Sort.DISTANCE and point is None:
        raise ValidationFailed("Sorting by distance needs a place or a location.", field="sort")

    return SearchCriteria(
        text=text,
        words=query_words(text),
        category_id=category_id,
        pricing_model=pricing_model or None,
        min_price_minor=low,
        max_price_minor=high,
        min_rating=rating,
        point=point,
        place_name=place_name,
        free_on=day,
        part_of_day=part,
        sort=order,
        # A service free on that day has its next start before the day ends, wherever it is (the
        # last zone to end a day is UTC-12, Etc/GMT+12 in the POSIX sign).
        available_before=(
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo("Etc/GMT+12")) if day else None
        ),
    )
