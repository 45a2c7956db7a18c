"""The index follows the catalog: queued after commit, by every write that changes what a service is found by."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from marketplace.bookings.search import service_find
from marketplace.catalog.models import SearchEntry, SearchWord
from marketplace.catalog.search.criteria import search_criteria
from marketplace.core.db import unit_of_work
from marketplace.reviews.services import review_create
from marketplace.vendors.services import vendor_profile_upsert
from tests.conftest import local_slot
from tests.factories import CustomerFactory, ServiceFactory
from tests.factories.bookings import completed_booking


def titles(**criteria) -> list[str]:
    return [s.title for s in service_find(search_criteria(**criteria)).services]


def test_a_service_is_indexed_after_its_transaction_commits_not_inside_it(catalog):
    vendor = catalog["services"]["closet"].vendor
    with unit_of_work():
        service = ServiceFactory(vendor=vendor, category=catalog["categories"]["closets"], title="Shoe wall")
        assert not SearchEntry.objects.filter(service=service).exists()  # the job waits for the commit
    assert SearchEntry.objects.filter(service=service).exists()
    assert "shoe" in set(SearchWord.objects.values_list("word", flat=True))


def test_an_organizers_new_name_and_area_are_searched(catalog):
    closet = catalog["services"]["closet"]
    vendor = closet.vendor
    vendor_profile_upsert(
        user=vendor.user,
        business_name="Serene Shelves",
        city="Boston, MA",
        time_zone="America/New_York",
        place="Boston, MA",
        service_radius_km=10,
    )
    assert titles(q="serene shelves")[:2] and set(titles(q="serene shelves")[:2]) == {
        "Closet organizing",
        "Whole-home decluttering",
    }
    assert "Closet organizing" in titles(place="Boston, MA")
    assert "Closet organizing" not in titles(place="11216")


def test_a_review_moves_the_rating_filter_and_sort(catalog):
    closet = catalog["services"]["closet"]
    customer = CustomerFactory()
    booking = completed_booking(customer=customer, service=closet, starts_at=local_slot(days_ahead=-3))
    assert titles(min_rating=4) == []

    review_create(customer=customer, booking_id=booking.pk, rating=5)

    assert set(titles(min_rating=4)) == {"Closet organizing", "Whole-home decluttering"}
    assert titles(sort="rating")[:2] == titles(min_rating=4, sort="rating")


def test_search_reindex_rebuilds_the_index_with_a_progress_bar(catalog):
    SearchEntry.objects.all().delete()
    out = StringIO()

    call_command("search_reindex", "--next-available", stdout=out)

    assert SearchEntry.objects.count() == 6
    assert not SearchEntry.objects.filter(next_available_checked_at__isnull=True).exists()
    output = out.getvalue()
    assert "Indexing services (database)" in output and "6/6" in output
    assert "Indexed 6 public services in the database search engine. Worked out 6 next available times." in output
