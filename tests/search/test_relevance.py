"""Search understands people: stems, several words, a word that matches nothing, typos (PostgreSQL).

Each case is a query and the services expected first, in order (``top``), or a set expected
among the results (``found``). The same table runs on PostgreSQL and on SQLite.
"""

from __future__ import annotations

import pytest
from django.db import connection

from marketplace.bookings.search import service_find
from marketplace.catalog.search.criteria import search_criteria

from .conftest import TITLES


def found(q: str, **filters) -> list[str]:
    return [service.title for service in service_find(search_criteria(q=q, **filters), page_size=50).services]


# query -> the services expected first, in this order
TOP = [
    ("closet organizer", ["closet"]),
    ("closet organizing", ["closet"]),
    ("closets", ["closet", "wardrobe"]),
    ("closet", ["closet", "wardrobe"]),
    ("wardrobe", ["wardrobe"]),
    ("declutter", ["declutter"]),
    ("decluttering", ["declutter"]),
    ("garage", ["garage"]),
    ("unpacking after a move", ["move"]),
    ("downsizing", ["harbor"]),
    # A word that matches nothing lowers nothing to empty: the other words still find.
    ("closet zebra", ["closet"]),
    ("declutter xylophone quartz", ["declutter"]),
]


@pytest.mark.parametrize(("query", "expected"), TOP, ids=[q for q, _ in TOP])
def test_expected_services_come_first(catalog, query, expected):
    results = found(query)
    assert results[: len(expected)] == [TITLES[key] for key in expected], results


@pytest.mark.parametrize(
    ("one", "other"), [("closet", "closets"), ("declutter", "decluttering"), ("organizer", "organizing")]
)
def test_forms_of_a_word_find_the_same_services(catalog, one, other):
    assert set(found(one)) == set(found(other))
    assert found(one)


def test_category_and_organizer_names_are_searched(catalog):
    assert set(found("calm spaces")[:2]) == {TITLES["closet"], TITLES["declutter"]}
    assert found("wardrobes")[0] in (TITLES["wardrobe"], TITLES["closet"])


def test_nothing_matches_gives_an_empty_list_not_an_error(catalog):
    assert found("zebra xylophone") == []


def test_punctuation_and_quotes_are_only_separators(catalog):
    assert found('"closet" (organizer) -- & | ! :*')[0] == TITLES["closet"]


def test_no_words_lists_every_service(catalog):
    assert len(found("")) == len(TITLES)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance is pg_trgm's: PostgreSQL only")
@pytest.mark.parametrize(
    ("typo", "expected"), [("closset", "closet"), ("declutering", "declutter"), ("garrage", "garage")]
)
def test_a_misspelt_word_is_corrected_postgresql(catalog, typo, expected):
    results = service_find(search_criteria(q=typo))
    assert results.services[0].title == TITLES[expected]
    assert results.corrections
