"""The search page (/search/): words, place, date, filters, sorts, facets and paging, through service_find.

Every refusal (a badly typed filter, or one ``search_criteria`` refuses) is shown next to its
field and left out: the page answers 200 with the results of the other filters.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import dateformat, timezone

from marketplace.availability.models import AvailabilityException
from marketplace.bookings.search import next_available, search_next_available_refresh
from marketplace.catalog.models import PricingModel
from storefront.views.catalog import results_count_text
from tests.factories import ServiceFactory, VendorFactory, make_category, with_weekly_hours

SEARCH = reverse("storefront:search")
NEW_YORK = ZoneInfo("America/New_York")


def search(client, **params):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return response


def titles(response) -> list[str]:
    return [service.title for service in response.context["services"]]


def field_errors(response, name: str) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


def in_days(days: int):
    return timezone.now().astimezone(NEW_YORK).date() + timedelta(days=days)


@pytest.fixture
def brooklyn_and_boston(db, category):
    """A Brooklyn organizer (10 km around Brooklyn) and a Boston one (20 km around Boston)."""
    brooklyn = with_weekly_hours(
        VendorFactory(business_name="Calm Spaces", latitude="40.678200", longitude="-73.944200", service_radius_km=10)
    )
    boston = with_weekly_hours(
        VendorFactory(
            business_name="Harbor Order",
            city="Boston, MA",
            latitude="42.360100",
            longitude="-71.058900",
            service_radius_km=20,
        )
    )
    return {
        "closet": ServiceFactory(vendor=brooklyn, category=category, title="Closet organizing", base_price_minor=30000),
        "pantry": ServiceFactory(vendor=brooklyn, category=category, title="Pantry reset", base_price_minor=15000),
        "harbor": ServiceFactory(
            vendor=boston, category=category, title="Closet edit in Boston", base_price_minor=45000
        ),
    }


# --- Words and the count ----------------------------------------------------------------------


def test_search_without_a_query_lists_every_public_service(client, service, quote_service):
    response = search(client)

    assert {s.pk for s in response.context["services"]} == {service.pk, quote_service.pk}
    assert "<strong>2 results</strong>" in response.content.decode()


def test_search_with_a_query_finds_matching_services(client, service, quote_service):
    response = search(client, q="move")

    assert titles(response) == [quote_service.title]
    content = response.content.decode()
    assert "Results for &ldquo;move&rdquo;" in content
    assert "<strong>1 result</strong>" in content


def test_search_finds_nothing_politely(client, service):
    response = search(client, q="zebra")

    assert response.context["services"] == []
    content = response.content.decode()
    assert "<strong>0 results</strong>" in content
    assert "No services match your search" in content


def test_the_count_says_when_the_engine_stopped_counting():
    assert results_count_text(1, exact=True) == "1 result"
    assert results_count_text(24, exact=True) == "24 results"
    assert results_count_text(1000, exact=False) == "1,000+ results"


def test_search_filters_by_category_and_pricing(client, service, quote_service, category):
    other = ServiceFactory(category=make_category("Closets & wardrobes"), title="Closet calm")

    by_pricing = search(client, pricing="quote")
    by_category = search(client, category=category.slug)

    assert titles(by_pricing) == [quote_service.title]
    assert set(titles(by_category)) == {service.title, quote_service.title}
    assert other.title not in titles(by_category)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance is pg_trgm's: PostgreSQL only")
def test_a_corrected_word_is_said_postgresql(client, brooklyn_and_boston):
    response = search(client, q="closset")

    assert response.context["corrected_query"] == "closet"
    assert "Showing results for <strong>closet</strong>" in response.content.decode()


# --- Place ---------------------------------------------------------------------------------------


def test_a_place_keeps_the_services_whose_organizer_covers_it_with_their_distance(client, brooklyn_and_boston):
    response = search(client, place="Brooklyn, NY")

    assert set(titles(response)) == {"Closet organizing", "Pantry reset"}
    content = response.content.decode()
    assert "near Brooklyn, NY" in content
    for service in response.context["services"]:
        assert f"{service.search_distance_m / 1000:.1f} km away" in content


def test_the_browsers_location_works_like_a_place(client, brooklyn_and_boston):
    response = search(client, latitude="42.3601", longitude="-71.0589")

    assert titles(response) == ["Closet edit in Boston"]
    assert "near your location" in response.content.decode()


def test_nearest_is_offered_only_with_a_place(client, brooklyn_and_boston):
    assert 'value="distance"' not in search(client).content.decode()
    assert 'value="distance"' in search(client, place="Brooklyn, NY").content.decode()


def test_without_a_place_no_distance_is_shown(client, brooklyn_and_boston):
    assert "km away" not in search(client).content.decode()


# --- Dates and times -----------------------------------------------------------------------------


def test_each_result_shows_its_next_available_time_in_the_visitors_zone(client, service):
    client.cookies["tz"] = "Europe/Paris"
    expected = next_available(service).astimezone(ZoneInfo("Europe/Paris"))

    response = search(client)

    assert f"Next available {dateformat.format(expected, 'D j M, g:i A')}" in response.content.decode()


def test_a_service_without_free_time_says_so(client, category):
    ServiceFactory(vendor=VendorFactory(), category=category, title="Closed for now")  # no opening hours

    response = search(client)

    assert "No free time in the next months" in response.content.decode()


def test_free_on_keeps_the_services_free_that_day_and_shows_the_first_free_time(client, brooklyn_and_boston):
    day = in_days(3)
    boston = brooklyn_and_boston["harbor"].vendor
    AvailabilityException.objects.create(vendor=boston, date=day)  # closed all day
    # A date search starts from the stored next available times, which the periodic job works out.
    search_next_available_refresh()

    response = search(client, free_on=day.isoformat())

    assert set(titles(response)) == {"Closet organizing", "Pantry reset"}
    # Open 08:00-20:00 New York time; a visitor without a known zone sees the organizer's, named.
    first = datetime.combine(day, time(8), tzinfo=NEW_YORK)
    assert f"Free {dateformat.format(first, 'D j M')} from 8:00 AM {dateformat.format(first, 'T')}" in (
        response.content.decode()
    )


def test_part_of_day_keeps_the_services_free_then(client, brooklyn_and_boston):
    day = in_days(3)
    boston = brooklyn_and_boston["harbor"].vendor
    AvailabilityException.objects.create(vendor=boston, date=day)
    morning_only = brooklyn_and_boston["closet"].vendor
    morning_only.availability_rules.update(end_time="11:00")
    search_next_available_refresh()

    evening = search(client, free_on=day.isoformat(), part_of_day="evening")

    assert titles(evening) == []
    assert set(titles(search(client, free_on=day.isoformat(), part_of_day="morning"))) == {
        "Closet organizing",
        "Pantry reset",
    }


# --- Sorts and prices ------------------------------------------------------------------------------


def test_sort_by_price_both_ways(client, brooklyn_and_boston):
    assert titles(search(client, sort="price_low")) == ["Pantry reset", "Closet organizing", "Closet edit in Boston"]
    assert titles(search(client, sort="price_high")) == ["Closet edit in Boston", "Closet organizing", "Pantry reset"]


def test_a_price_range_in_dollars(client, brooklyn_and_boston):
    response = search(client, min_price="200", max_price="300.00")

    assert titles(response) == ["Closet organizing"]


# --- Facets ----------------------------------------------------------------------------------------


def test_facets_count_the_results_and_link_to_them_keeping_the_other_filters(client, brooklyn_and_boston, category):
    ServiceFactory(
        category=make_category("Closets & wardrobes"),
        title="Closet wardrobe",
        pricing_model=PricingModel.HOURLY,
        base_price_minor=9000,
    )

    response = search(client, q="closet")

    groups = {group["title"]: group for group in response.context["facets"]}
    categories = {value["label"]: (value["count"], value["url"]) for value in groups["Category"]["values"]}
    assert categories == {
        "Home decluttering": (2, f"{SEARCH}?q=closet&category=home-decluttering"),
        "Closets & wardrobes": (1, f"{SEARCH}?q=closet&category=closets-wardrobes"),
    }
    pricing = {value["label"]: value["count"] for value in groups["Pricing"]["values"]}
    assert pricing == {"Fixed price": 2, "Hourly rate": 1}
    bands = {value["label"]: (value["count"], value["url"]) for value in groups["Price"]["values"]}
    assert bands["Under $100.00"] == (1, f"{SEARCH}?q=closet&max_price=99.99")
    assert bands["$250.00 to $500.00"] == (2, f"{SEARCH}?q=closet&min_price=250.00&max_price=499.99")
    content = response.content.decode()
    assert 'href="/search/?q=closet&amp;category=home-decluttering"' in content
    assert "Clear<span" not in content  # nothing picked yet


def test_a_picked_facet_is_marked_and_can_be_cleared(client, brooklyn_and_boston, category):
    response = search(client, q="closet", category=category.slug, min_price="250.00", max_price="499.99", page="2")

    groups = {group["title"]: group for group in response.context["facets"]}
    assert groups["Category"]["active"] is True
    assert groups["Category"]["clear_url"] == f"{SEARCH}?q=closet&min_price=250.00&max_price=499.99"
    picked = [value for value in groups["Price"]["values"] if value["selected"]]
    assert [value["label"] for value in picked] == ["$250.00 to $500.00"]
    assert picked[0]["url"] == f"{SEARCH}?q=closet&category={category.slug}"  # picking it again drops it
    assert 'aria-current="true"' in response.content.decode()


# --- Pages -----------------------------------------------------------------------------------------


def test_pages_keep_the_other_parameters(client, vendor, category):
    for number in range(13):
        ServiceFactory(vendor=vendor, category=category, title=f"Closet help {number}", base_price_minor=10000 + number)

    first = search(client, q="closet", sort="price_low")
    second = search(client, q="closet", sort="price_low", page="2")
    beyond = search(client, q="closet", sort="price_low", page="99")

    assert len(first.context["services"]) == 12
    assert "<strong>13 results</strong>" in first.content.decode()
    assert 'href="?q=closet&amp;sort=price_low&amp;page=2"' in first.content.decode()
    assert titles(second) == ["Closet help 12"]
    assert 'href="?q=closet&amp;sort=price_low&amp;page=1"' in second.content.decode()
    assert titles(beyond) == ["Closet help 12"]


@pytest.mark.parametrize("page", ["0", "-4", "two", "99999999999999999999999"])
def test_any_page_number_answers(client, service, page):
    assert titles(search(client, page=page)) == [service.title]


# --- Bad input: a message next to the field, never an error page -----------------------------------


def test_an_unknown_place_is_shown_and_left_out(client, brooklyn_and_boston):
    response = search(client, place="Atlantis, ZZ")

    assert field_errors(response, "place") == [
        "We could not find 'Atlantis, ZZ'. Give a ZIP code or a city with its state, e.g. 11216 or Brooklyn, NY."
    ]
    assert len(titles(response)) == 3  # the other filters apply, the place does not
    assert "Some filters were ignored" in response.content.decode()


def test_a_past_date_is_shown_and_left_out(client, service):
    response = search(client, free_on=in_days(-3).isoformat(), part_of_day="morning")

    assert field_errors(response, "free_on") == ["The date cannot be in the past."]
    assert field_errors(response, "part_of_day") == []  # left out with its date, not refused twice
    assert titles(response) == [service.title]


def test_a_date_past_the_horizon_is_shown(client, service, settings):
    response = search(client, free_on=in_days(settings.BOOKING_HORIZON_DAYS + 5).isoformat())

    assert field_errors(response, "free_on")[0].startswith("The date can be at most")


def test_a_lowest_price_above_the_highest_is_shown(client, brooklyn_and_boston):
    response = search(client, min_price="400", max_price="100")

    assert field_errors(response, "min_price") == ["The lowest price cannot be above the highest price."]
    # The lowest price is left out; the highest still applies.
    assert titles(response) == []
    assert response.context["criteria"].max_price_minor == 10000


def test_letters_in_a_price_are_shown(client, brooklyn_and_boston):
    response = search(client, min_price="cheap", max_price="12.345")

    assert field_errors(response, "min_price") == ["Enter a number."]
    assert field_errors(response, "max_price") == ["Ensure that there are no more than 2 decimal places."]
    assert len(titles(response)) == 3


def test_nearest_without_a_place_is_shown(client, service):
    response = search(client, sort="distance")

    assert field_errors(response, "sort") == ["Sorting by distance needs a place or a location."]
    assert titles(response) == [service.title]


def test_nearest_goes_with_a_refused_place_silently(client, service):
    response = search(client, place="Atlantis, ZZ", sort="distance")

    assert field_errors(response, "sort") == []
    assert len(field_errors(response, "place")) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"category": "no-such-thing", "pricing": "free"},
        {"free_on": "someday", "part_of_day": "midnight", "min_rating": "11"},
        {"latitude": "91", "longitude": "0"},
        {"latitude": "40.7"},
        {"place": "Brooklyn, NY", "latitude": "40.7", "longitude": "-73.9"},
        {"sort": "cheapest"},
        {"q": "x" * 300, "place": "y" * 300},
        {"place": "99999"},
    ],
)
def test_bad_filters_never_fail_the_page(client, service, params):
    response = search(client, **params)

    assert response.context["form"].errors
    assert "Some filters were ignored" in response.content.decode()


# --- What people typed is escaped ---------------------------------------------------------------


def test_what_was_typed_is_escaped(client, service):
    response = search(client, q="<script>alert(1)</script>", place="<script>alert(2)</script>")

    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in content


def test_the_page_loads_its_script_from_static_files(client, service):
    content = search(client).content.decode()

    assert '<script src="/static/js/search.js" defer></script>' in content
    assert 'list="search-suggestions"' in content
    assert 'data-suggestions-url="/api/v1/catalog/search/suggestions"' in content
