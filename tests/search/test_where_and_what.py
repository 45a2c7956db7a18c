"""Where (the organizer's area covers the point), what (filters, sorts, facets) and counts: both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.bookings.search import service_find
from marketplace.catalog.search import geo
from marketplace.catalog.search.criteria import search_criteria
from marketplace.catalog.search.engine import COUNT_LIMIT
from tests.factories import ServiceFactory

from .conftest import BROOKLYN, JERSEY_CITY, TITLES

TITLE = TITLES


def titles(**criteria) -> list[str]:
    return [s.title for s in service_find(search_criteria(**criteria), page_size=50).services]


def test_a_place_keeps_the_services_whose_area_covers_it(catalog):
    # 11216 is in Brooklyn: Calm Spaces (10 km around Brooklyn) and River Movers (30 km around
    # Jersey City) serve it; Tidy Manhattan's 5 km around Midtown does not reach; Boston is far.
    assert set(titles(place="11216")) == {TITLE["closet"], TITLE["declutter"], TITLE["garage"], TITLE["move"]}


def test_a_polygon_area_is_tested_exactly_not_by_its_radius(catalog):
    # Inside Harbor Order's box around downtown Boston, and just outside it (its 50 km radius would cover it).
    assert titles(latitude=42.36, longitude=-71.06) == [TITLE["harbor"]]
    assert titles(latitude=42.50, longitude=-71.06) == []


def test_a_circle_area_ends_at_its_radius(catalog):
    centre = geo.Point(float(BROOKLYN[0]), float(BROOKLYN[1]))
    # Due east of Calm Spaces' centre: 9.5 km in, 10.5 km out (Jersey City's 30 km does not reach that far east).
    inside = geo.Point(centre.latitude, centre.longitude + 9.5 / (111.32 * 0.7581))
    outside = geo.Point(centre.latitude, centre.longitude + 10.5 / (111.32 * 0.7581))
    assert 9_000 < geo.distance_m(centre, inside) < 10_000 < geo.distance_m(centre, outside) < 11_000
    near = titles(latitude=inside.latitude, longitude=inside.longitude, q="closet")
    far = titles(latitude=outside.latitude, longitude=outside.longitude, q="closet")
    assert TITLE["closet"] in near and TITLE["closet"] not in far


def test_distance_sort_and_distances(catalog):
    results = service_find(search_criteria(latitude=JERSEY_CITY[0], longitude=JERSEY_CITY[1], sort="distance"))
    first = results.services[0]
    assert first.vendor.business_name == "River Movers" and first.search_distance_m < 1
    distances = [s.search_distance_m for s in results.services]
    assert distances == sorted(distances)
    calm = next(s for s in results.services if s.vendor.business_name == "Calm Spaces")
    assert calm.search_distance_m == pytest.approx(8_900, rel=0.1)  # Jersey City to Crown Heights


def test_filters_category_pricing_price_and_rating(catalog):
    closets = catalog["categories"]["closets"]
    assert set(titles(category_id=closets.pk)) == {TITLE["closet"], TITLE["wardrobe"]}
    assert titles(pricing_model="hourly") == [TITLE["wardrobe"]]
    assert titles(pricing_model="quote") == [TITLE["move"]]
    assert set(titles(min_price_minor=30000, max_price_minor=45000)) == {TITLE["declutter"], TITLE["harbor"]}
    assert titles(min_rating=4) == []  # nobody is reviewed yet


def test_sorts_by_price(catalog):
    low = titles(sort="price_low", pricing_model="fixed")
    assert low == [TITLE["closet"], TITLE["harbor"], TITLE["declutter"], TITLE["garage"]]
    assert titles(sort="price_high", pricing_model="fixed") == list(reversed(low))


def test_facets_count_by_category_pricing_and_price_band(catalog):
    results = service_find(search_criteria(q="closet"), with_facets=True)
    facets = results.facets
    assert {f.label: f.count for f in facets.categories} == {"Closets & wardrobes": 2}
    assert {f.value: f.count for f in facets.pricing_models} == {"fixed": 1, "hourly": 1}
    assert {f.value: f.count for f in facets.price_bands} == {"10000-25000": 1, "25000-50000": 1}
    everything = service_find(search_criteria(), with_facets=True).facets
    assert sum(f.count for f in everything.categories) == len(TITLE)
    assert {f.value: f.count for f in everything.price_bands} == {
        "0-10000": 1,
        "10000-25000": 1,
        "25000-50000": 3,
        "50000-": 1,
    }


def test_pages_do_not_repeat_or_skip(catalog):
    seen = []
    for page in (1, 2, 3):
        results = service_find(search_criteria(), page=page, page_size=2)
        assert results.total == len(TITLE) and results.total_exact
        seen += [s.pk for s in results.services]
    assert sorted(seen) == sorted(s.pk for s in catalog["services"].values())


def test_a_broad_search_stops_counting(catalog, monkeypatch):
    from marketplace.catalog.search import database

    monkeypatch.setattr(database, "COUNT_LIMIT", 3)
    results = service_find(search_criteria(), page_size=2, with_facets=True)
    assert results.total == 3 and not results.total_exact
    assert sum(f.count for f in results.facets.categories) == 4  # the facets count the first limit + 1 hits
    assert COUNT_LIMIT == 1000


def test_an_unlisted_service_leaves_the_index(catalog):
    closet = catalog["services"]["closet"]
    closet.is_active = False
    closet.save()
    assert TITLE["closet"] not in titles(q="closet")
    closet.is_active = True
    closet.save()
    assert titles(q="closet organizer")[0] == TITLE["closet"]


def test_a_new_service_is_found_once_saved(catalog):
    ServiceFactory(
        vendor=catalog["services"]["closet"].vendor,
        category=catalog["categories"]["closets"],
        title="Pantry makeover",
        summary="Jars, labels and shelves.",
        base_price_minor=15000,
    )
    assert titles(q="pantry") == ["Pantry makeover"]


def test_next_available_time_on_every_result(catalog):
    results = service_find(search_criteria(q="closet"))
    for service in results.services:
        assert service.next_available_at is not None
    # Open every day 08:00-20:00: the next start is within a day (after the notice).
    from django.utils import timezone

    assert all(s.next_available_at < timezone.now() + timedelta(days=2) for s in results.services)
