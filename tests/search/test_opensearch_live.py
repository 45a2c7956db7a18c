"""The OpenSearch engine against a real server: only with ``OPENSEARCH_URL`` set in the environment.

    OPENSEARCH_URL=http://127.0.0.1:9200 python3 dev.py test tests/search/test_opensearch_live.py

The ``catalog`` fixture (conftest.py) is indexed into a throwaway index (its own prefix,
deleted afterwards), and the relevance table of ``test_relevance.py`` runs through
``service_find`` with the engine in place of the settings' one. Without a server every test
here is skipped, saying why: no OpenSearch server runs where this suite is usually run, so
``test_opensearch.py`` checks the requests without one.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.bookings.search import service_find
from marketplace.catalog.search import engine as engine_module
from marketplace.catalog.search.criteria import search_criteria
from marketplace.catalog.search.documents import search_index_rebuild, search_index_refresh
from marketplace.catalog.search.opensearch import OpenSearchEngine

from .conftest import BOSTON, BROOKLYN, TITLES
from .test_relevance import TOP

OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "")
pytestmark = pytest.mark.skipif(
    not OPENSEARCH_URL, reason="needs an OpenSearch server: set OPENSEARCH_URL (e.g. http://127.0.0.1:9200)"
)


@pytest.fixture
def live(monkeypatch):
    """The engine on a throwaway index, chosen by ``search_engine()`` for the test's length."""
    engine = OpenSearchEngine(url=OPENSEARCH_URL, index_prefix=f"test_{uuid.uuid4().hex[:12]}_")
    monkeypatch.setattr(engine_module, "_engine_for", lambda name: engine)
    engine.ensure_index()
    yield engine
    engine.client.indices.delete(index=engine.index_name, params={"ignore_unavailable": "true"})


@pytest.fixture
def indexed(live, catalog):
    search_index_rebuild()
    live.refresh()
    return catalog


def found(q: str = "", **filters) -> list[str]:
    return [service.title for service in service_find(search_criteria(q=q, **filters), page_size=50).services]


def test_the_server_answers(live):
    assert live.ping()


@pytest.mark.parametrize(("query", "expected"), TOP, ids=[q for q, _ in TOP])
def test_expected_services_come_first(indexed, query, expected):
    results = found(query)
    assert results[: len(expected)] == [TITLES[key] for key in expected], results


@pytest.mark.parametrize(
    ("one", "other"), [("closet", "closets"), ("declutter", "decluttering"), ("organizer", "organizing")]
)
def test_forms_of_a_word_find_the_same_services(indexed, one, other):
    assert set(found(one)) == set(found(other))
    assert found(one)


def test_nothing_matches_gives_an_empty_list(indexed):
    assert found("zebra xylophone") == []


def test_no_words_lists_every_service(indexed):
    assert len(found("")) == len(TITLES)


@pytest.mark.parametrize(("typo", "expected"), [("closset", "closet"), ("garrage", "garage")])
def test_a_misspelt_word_still_finds(indexed, typo, expected):
    assert found(typo)[0] == TITLES[expected]


def test_the_area_filters_and_distance_orders(indexed):
    assert found(latitude=BOSTON[0], longitude=BOSTON[1]) == [TITLES["harbor"]]
    nearest = found(latitude=BROOKLYN[0], longitude=BROOKLYN[1], sort="distance")
    assert set(nearest[:2]) == {TITLES["closet"], TITLES["declutter"]}
    assert TITLES["harbor"] not in nearest


def test_facets_and_counts(indexed):
    results = service_find(search_criteria(q=""), with_facets=True)
    assert (results.total, results.total_exact) == (len(TITLES), True)
    assert sum(f.count for f in results.facets.categories) == len(TITLES)
    assert sum(f.count for f in results.facets.price_bands) == len(TITLES)


def test_autocomplete(indexed, live):
    assert live.autocomplete("clo org", limit=5) == [TITLES["closet"]]
    assert live.autocomplete("zzz", limit=5) == []


def test_reindexing_keeps_the_next_available_time(indexed, live):
    service = indexed["services"]["closet"]
    now = timezone.now()
    live.set_next_available({service.pk: now + timedelta(days=1)}, checked_at=now)
    search_index_refresh(service_ids=[service.pk])  # what a service saved queues
    live.refresh()
    hits = live.search(search_criteria(q="closet"), offset=0, limit=10).hits
    (hit,) = [h for h in hits if h.service_id == service.pk]
    assert hit.next_available_at == now + timedelta(days=1)
    assert service.pk not in live.stale_next_available(checked_before=now - timedelta(minutes=1), now=now, limit=50)
    assert live.indexed_ids([service.pk, 0]) == {service.pk}
    live.remove([service.pk, 0])
    live.refresh()
    assert live.indexed_ids([service.pk]) == set()
