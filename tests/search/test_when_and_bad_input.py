"""When (free on a date, part of the day, soonest first) and what a person gets for bad input."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.availability.models import AvailabilityException
from marketplace.bookings.search import search_next_available_refresh, service_find
from marketplace.catalog.models import SearchEntry
from marketplace.catalog.search.criteria import search_criteria
from marketplace.core.errors import ValidationFailed
from tests.factories import ServiceFactory, VendorFactory, with_weekly_hours

NEW_YORK = ZoneInfo("America/New_York")


def in_days(days: int) -> date:
    return timezone.now().astimezone(NEW_YORK).date() + timedelta(days=days)


def vendor_of(catalog, key):
    return catalog["services"][key].vendor


def test_free_on_keeps_only_organizers_with_a_slot_that_day(catalog):
    day = in_days(5)
    AvailabilityException.objects.create(vendor=vendor_of(catalog, "closet"), date=day)  # Calm Spaces closed
    results = service_find(search_criteria(q="closet", free_on=day))
    assert [s.title for s in results.services] == ["Wardrobe refresh"]
    (wardrobe,) = results.services
    assert wardrobe.free_from.astimezone(NEW_YORK) == datetime.combine(day, time(8), tzinfo=NEW_YORK)
    # The day after, both are free again.
    assert len(service_find(search_criteria(q="closet", free_on=day + timedelta(days=1))).services) == 2


def test_free_on_a_part_of_the_day(catalog):
    day = in_days(4)
    # Calm Spaces works only the morning that day; everybody else 08:00-20:00.
    calm = vendor_of(catalog, "closet")
    AvailabilityException.objects.create(vendor=calm, date=day, start_time=time(12), end_time=time(20))
    evening = service_find(search_criteria(q="closet", free_on=day, part_of_day="evening")).services
    morning = service_find(search_criteria(q="closet", free_on=day, part_of_day="morning")).services
    assert [s.title for s in evening] == ["Wardrobe refresh"]
    assert {s.title for s in morning} == {"Closet organizing", "Wardrobe refresh"}
    assert all(s.free_from.astimezone(NEW_YORK).hour >= 17 for s in evening)
    assert all(s.free_from.astimezone(NEW_YORK).hour < 12 for s in morning)


def test_soonest_first_and_the_next_available_time_follows_the_schedule(catalog):
    calm = vendor_of(catalog, "closet")
    for days in range(0, 10):  # Calm Spaces is away for the next ten days
        AvailabilityException.objects.create(vendor=calm, date=in_days(days))
    SearchEntry.objects.update(next_available_checked_at=None)  # as the periodic job would find them
    assert search_next_available_refresh() == 6
    soonest = service_find(search_criteria(q="closet", sort="soonest")).services
    assert [s.title for s in soonest] == ["Wardrobe refresh", "Closet organizing"]
    assert soonest[1].next_available_at.astimezone(NEW_YORK).date() == in_days(10)


@override_settings(SEARCH_NEXT_AVAILABLE_TTL_SECONDS=60)
def test_a_stale_next_available_time_is_worked_out_again_for_the_page(catalog):
    service_find(search_criteria(q="garage"))
    entry = SearchEntry.objects.get(service=catalog["services"]["garage"])
    assert entry.next_available_at is not None
    SearchEntry.objects.filter(pk=entry.pk).update(
        next_available_at=timezone.now() - timedelta(hours=1), next_available_checked_at=timezone.now()
    )
    (garage,) = service_find(search_criteria(q="garage")).services
    assert garage.next_available_at > timezone.now()  # a time already past is never shown


@pytest.mark.parametrize(
    ("criteria", "field", "words"),
    [
        ({"category_id": 999999}, "category_id", "no category"),
        ({"place": "99999"}, "place", "does not exist"),
        ({"place": "Nowhere Special, ZZ"}, "place", "could not find"),
        ({"place": "Springfield"}, "place", "Add the state"),
        ({"min_price_minor": -1}, "min_price_minor", "negative"),
        ({"min_price_minor": 500, "max_price_minor": 100}, "min_price_minor", "above"),
        ({"min_price_minor": "ten"}, "min_price_minor", "whole number"),
        ({"latitude": 91, "longitude": 0}, "latitude", "between -90 and 90"),
        ({"latitude": 40, "longitude": -181}, "longitude", "between -180 and 180"),
        ({"latitude": 40}, "longitude", "Give longitude"),
        ({"latitude": "nan", "longitude": 0}, "latitude", "between"),
        ({"place": "11216", "latitude": 40, "longitude": -73}, "place", "not both"),
        ({"free_on": date(2020, 1, 1)}, "free_on", "past"),
        ({"free_on": date.today() + timedelta(days=400)}, "free_on", "at most 180 days"),
        ({"part_of_day": "morning"}, "part_of_day", "needs free_on"),
        ({"free_on": date.today() + timedelta(days=2), "part_of_day": "noon"}, "part_of_day", "one of"),
        ({"sort": "distance"}, "sort", "needs a place"),
        ({"sort": "cheapest"}, "sort", "one of"),
        ({"min_rating": 6}, "min_rating", "from 1 to 5"),
        ({"q": "x" * 201}, "q", "at most 200"),
    ],
)
def test_bad_input_says_what_is_wrong(db, criteria, field, words):
    with pytest.raises(ValidationFailed) as refused:
        search_criteria(**criteria)
    assert refused.value.field == field
    assert words.lower() in refused.value.message.lower()


def test_free_on_asks_a_batch_of_organizers_in_the_same_queries_as_two(catalog):
    """The slot engine reads a batch's organizers together: more of them, no more queries."""
    day = in_days(5)
    search_next_available_refresh()  # every entry fresh: the page works nothing out again
    with CaptureQueriesContext(connection) as two:
        assert len(service_find(search_criteria(q="closet", free_on=day)).services) == 2
    closets = catalog["services"]["closet"].category
    for n in range(8):
        vendor = with_weekly_hours(VendorFactory(latitude="40.678200", longitude="-73.944200", service_radius_km=10))
        ServiceFactory(vendor=vendor, category=closets, title=f"Closet sorting {n}", summary="Shelves and rails.")
    search_next_available_refresh()
    with CaptureQueriesContext(connection) as ten:
        assert len(service_find(search_criteria(q="closet", free_on=day)).services) == 10
    assert len(ten) == len(two), [query["sql"][:80] for query in ten]
