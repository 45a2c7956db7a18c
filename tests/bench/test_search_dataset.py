"""The search benchmark's data (bench/search.py): what it times is only as good as the services it generates.

Generated here at a tiny size with the same bulk SQL, on PostgreSQL only (PostGIS makes the areas):
the organizers are listed, every service has the entry ``catalog.search.documents`` would write
(the same texts), the words are known for typo correction, and ``service_find`` finds them by
word and by place as the benchmark's searches do.
"""

from datetime import date

import pytest
from django.db import connection

from bench.search import SERVICES_PER_VENDOR, database_name, generate, scenarios, target_for
from marketplace.bookings.search import service_find
from marketplace.catalog.models import Category, SearchEntry, SearchWord, Service
from marketplace.catalog.search.criteria import search_criteria
from marketplace.catalog.search.documents import _services, document_for
from marketplace.vendors.models import Vendor

pytestmark = pytest.mark.django_db


def test_targets_apply_from_their_size_and_database_names_say_the_size():
    filtered, broad, free_on = scenarios(closets_category_id=1, today=date(2026, 1, 1))

    assert target_for(filtered, 100_000) == 25.0 and target_for(filtered, 1_000_000) == 150.0
    assert target_for(broad, 2_000) is None and target_for(free_on, 100_000) is None
    assert target_for(broad, 100_000) == 50.0 and target_for(broad, 1_000_000) is None
    assert free_on.params["free_on"] == "2026-01-04"
    assert database_name(100_000) == "tidynest_bench_search_100k"
    assert database_name(1_000_000) == "tidynest_bench_search_1m"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the generator is PostgreSQL SQL (PostGIS)")
def test_the_generated_services_are_listed_indexed_as_documents_and_found():
    made = generate(200, chunk=64)

    assert made["services"] == made["entries"] == Service.objects.count() == SearchEntry.objects.count() == 200
    assert Vendor.objects.count() == 200 // SERVICES_PER_VENDOR
    assert _services().count() == 200  # every organizer verified: every service public
    assert {"closet", "declutter", "organizer"} <= set(SearchWord.objects.values_list("word", flat=True))
    assert 0.03 < made["share_closet"] < 0.35

    # The entries hold what a reindex would write (the ratings are set directly: no review rows).
    for service in _services().order_by("pk")[:20]:
        document = document_for(service)
        entry = SearchEntry.objects.get(service_id=service.pk)
        assert (entry.text_a, entry.text_b, entry.text_c, entry.text_d) == (
            document.text_a,
            document.text_b,
            document.text_c,
            document.text_d,
        )
        assert (entry.vendor_id, entry.category_id, entry.price_minor) == (
            document.vendor_id,
            document.category_id,
            document.price_minor,
        )
        assert entry.min_latitude < entry.latitude < entry.max_latitude
        assert entry.next_available_checked_at is not None

    closet = service_find(search_criteria(q="closet"), page=1, page_size=20)
    assert closet.services and all(s.pk in set(Service.objects.values_list("pk", flat=True)) for s in closet.services)

    vendor = Vendor.objects.order_by("pk").first()
    near = service_find(
        search_criteria(latitude=float(vendor.latitude), longitude=float(vendor.longitude)), page=1, page_size=50
    )
    assert set(vendor.services.values_list("pk", flat=True)) <= {s.pk for s in near.services}
    assert Category.objects.filter(slug="closets-wardrobes").exists()
