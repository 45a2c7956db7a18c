"""The OpenSearch search engine: one index of services, ``<OPENSEARCH_INDEX_PREFIX>services``.

It answers the questions ``catalog.search.database`` answers (the reference), the same way:

- **Words**: one ``multi_match`` of the query's words (``operator: or``, ``most_fields``) over
  the four texts, each analysed with the ``english`` analyzer (stemming, stop words), boosted
  as the database weighs them (title 10, category and organizer 4, summary 2, description 1).
  Any word may match (``minimum_should_match: 1``); the more words a service matches, in the
  weightier fields, the higher its score. A word that matches nothing adds nothing.
- **Typos**: ``fuzziness: "AUTO:4,8"`` (words of 4 to 7 letters may be one edit away, longer
  ones two) with ``prefix_length: 1``, so "closset" finds closets. Unlike PostgreSQL, which
  corrects only a word found in no service to one nearest word and says so, fuzziness
  applies to every word and names nothing: ``corrections`` stays empty, and a correctly
  spelt word also finds its near spellings (scored below exact matches, as Lucene weighs a
  fuzzy term by its similarity). A "did you mean" would need a term suggester and a second
  request; not built.
- **Where**: the area is a ``geo_shape`` (the same polygon the database tests, a circle
  being a 64-gon, ``catalog.search.geo``) and the point must ``intersect`` it, edges
  included, as ``ST_Covers`` and shapely's ``covers`` (``contains`` agrees inside the area
  but promises nothing on its edge). The area's centre is a ``geo_point``
  (``location``) and distance sorts with ``_geo_distance`` (``arc``, metres: the sphere of
  the mean Earth radius, the one ``geo.distance_m`` and PostGIS use).

  Both are in the index on purpose: the engine must filter and order *before* it takes a
  page. Asking OpenSearch for words only and filtering the place (or ordering by distance)
  in SQL over the ids it returns would drop hits from each page unpredictably, make page
  2 start at the wrong place, and leave the counts and facets counting services that are
  not in the area. So every filter and every order is in the one request.
- **Counts**: ``track_total_hits: COUNT_LIMIT``: past it OpenSearch answers
  ``relation: "gte"``, read as ``total_exact`` false. Facets (only when asked) count the
  best COUNT_LIMIT hits per shard (a ``sampler`` aggregation), as the database counts the
  first COUNT_LIMIT rows: bounded work for a broad query. The index has one shard (a
  marketplace's services fit one many times over), so that bound is the bound and every
  score is computed with the same term statistics.
- **Autocomplete**: the title has an edge n-gram subfield (``text_a.prefix``); every word
  typed must start a word of the title (after a space or a hyphen: "home" finds "Whole-home
  decluttering"), as in the database. Titles are collapsed to one each, most reviewed first.

Every request body is built by a pure function of this module (``search_body``,
``autocomplete_body``, ``index_actions`` ...), so tests check them without a server
(``tests/search/test_opensearch.py``). Writes go through ``helpers.bulk``. Indexing a
service is a partial update with ``doc_as_upsert``: its next available time, written by
``set_next_available`` between reindexes, is kept. The client is made on first use:
constructing the engine connects to nothing.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from opensearchpy import NotFoundError, OpenSearch, RequestError, helpers

from . import geo
from .criteria import PRICE_BANDS, SearchCriteria, Sort
from .engine import COUNT_LIMIT, Document, EngineResult, Facets, Hit

INDEX_SUFFIX = "services"
# The boosts of the four texts: the database's weights (database.SQLITE_WEIGHTS, A to D).
TEXT_BOOSTS = {"text_a": 10, "text_b": 4, "text_c": 2, "text_d": 1}
FUZZINESS = "AUTO:4,8"
# Autocomplete matches title words by their first letters, up to this many (longer words typed are cut to it).
PREFIX_MAX_LETTERS = 20
AUTOCOMPLETE_MAX_WORDS = 5
# Facet buckets asked for: more than there are categories or pricing models.
FACET_TERMS_SIZE = 500
# Partial updates that meet a concurrent one retry this many times (reindex vs next available).
RETRY_ON_CONFLICT = 3
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# The fields a document is stored with; ``dynamic: strict`` refuses any other.
MAPPING: dict[str, Any] = {
    "settings": {
        "index": {"number_of_shards": 1},
        "analysis": {
            "filter": {
                "title_prefix": {"type": "edge_ngram", "min_gram": 1, "max_gram": PREFIX_MAX_LETTERS},
                "title_prefix_cut": {"type": "truncate", "length": PREFIX_MAX_LETTERS},
            },
            "analyzer": {
                "title_prefix": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "title_prefix"]},
                "title_prefix_search": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "title_prefix_cut"],
                },
            },
        },
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "service_id": {"type": "long"},
            "vendor_id": {"type": "long"},
            "category_id": {"type": "long"},
            "pricing_model": {"type": "keyword"},
            "price_minor": {"type": "long"},
            "rating_average": {"type": "float"},
            "rating_count": {"type": "integer"},
            "text_a": {
                "type": "text",
                "analyzer": "english",
                "fields": {
                    "prefix": {"type": "text", "analyzer": "title_prefix", "search_analyzer": "title_prefix_search"},
                    "raw": {"type": "keyword"},
                },
            },
            "text_b": {"type": "text", "analyzer": "english"},
            "text_c": {"type": "text", "analyzer": "english"},
            "text_d": {"type": "text", "analyzer": "english"},
            "location": {"type": "geo_point"},
            "area": {"type": "geo_shape"},
            "created_at": {"type": "date"},
            "next_available_at": {"type": "date"},
            "next_available_checked_at": {"type": "date"},
        },
    },
}


# --- Values in and out ----------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC (what the index stores and range queries compare)."""
    return None if value is None else value.astimezone(UTC).isoformat()


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def document_source(document: Document) -> dict[str, Any]:
    """What the index stores for a document (the bounding box is the database's prefilter: not needed here)."""
    return {
        "service_id": document.service_id,
        "vendor_id": document.vendor_id,
        "category_id": document.category_id,
        "pricing_model": document.pricing_model,
        "price_minor": document.price_minor,
        "rating_average": document.rating_average,
        "rating_count": document.rating_count,
        "text_a": document.text_a,
        "text_b": document.text_b,
        "text_c": document.text_c,
        "text_d": document.text_d,
        "location": {"lat": document.latitude, "lon": document.longitude},
        "area": document.area,
        "created_at": _iso(document.created_at),
    }


# --- Request bodies (pure) ------------------------------------------------------------------


def _geo_point(point: geo.Point) -> dict[str, float]:
    return {"lat": point.latitude, "lon": point.longitude}


def _filters(criteria: SearchCriteria) -> list[dict]:
    c = criteria
    filters: list[dict] = []
    if c.category_id is not None:
        filters.append({"term": {"category_id": c.category_id}})
    if c.pricing_model:
        filters.append({"term": {"pricing_model": c.pricing_model}})
    price: dict[str, int] = {}
    if c.min_price_minor is not None:
        price["gte"] = c.min_price_minor
    if c.max_price_minor is not None:
        price["lte"] = c.max_price_minor
    if price:
        filters.append({"range": {"price_minor": price}})
    if c.min_rating is not None:
        filters.append({"range": {"rating_average": {"gte": c.min_rating}}})
    if c.point is not None:
        shape = {"type": "point", "coordinates": [c.point.longitude, c.point.latitude]}
        filters.append({"geo_shape": {"area": {"shape": shape, "relation": "intersects"}}})
    if c.available_before is not None:
        # Before that day ends, or not yet worked out: the slot engine answers for each candidate.
        filters.append(
            {
                "bool": {
                    "should": [
                        {"range": {"next_available_at": {"lt": _iso(c.available_before)}}},
                        {"bool": {"must_not": [{"exists": {"field": "next_available_checked_at"}}]}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    return filters


def _query(criteria: SearchCriteria) -> dict:
    query: dict[str, Any] = {"filter": _filters(criteria)}
    if criteria.words:
        query["should"] = [
            {
                "multi_match": {
                    "query": " ".join(criteria.words),
                    "type": "most_fields",
                    "operator": "or",
                    "fields": [f"{name}^{boost}" for name, boost in TEXT_BOOSTS.items()],
                    "fuzziness": FUZZINESS,
                    "prefix_length": 1,
                }
            }
        ]
        query["minimum_should_match"] = 1
    return {"bool": query}


def sorts_by_distance(criteria: SearchCriteria) -> bool:
    """Whether the first sort is the distance (so each hit's first sort value is it, in metres)."""
    if criteria.point is None:
        return False
    return criteria.sort == Sort.DISTANCE or (criteria.sort == Sort.RELEVANCE and not criteria.words)


def _sort(criteria: SearchCriteria) -> list:
    c = criteria
    by_rating = [
        {"rating_average": {"order": "desc", "missing": "_last"}},
        {"rating_count": {"order": "desc"}},
    ]
    if c.point is not None and sorts_by_distance(c):
        first: list = [
            {"_geo_distance": {"location": _geo_point(c.point), "order": "asc", "unit": "m", "distance_type": "arc"}}
        ]
    elif c.sort == Sort.PRICE_LOW:
        first = [{"price_minor": {"order": "asc"}}]
    elif c.sort == Sort.PRICE_HIGH:
        first = [{"price_minor": {"order": "desc"}}]
    elif c.sort == Sort.RATING:
        first = by_rating
    elif c.sort == Sort.SOONEST:
        first = [{"next_available_at": {"order": "asc", "missing": "_last"}}]
    elif c.words:
        first = [{"_score": {"order": "desc"}}]
    else:
        first = by_rating
    return [*first, {"service_id": {"order": "desc"}}]


def _facet_aggregations() -> dict:
    bands = []
    for index, (low, high) in enumerate(PRICE_BANDS):
        band: dict[str, Any] = {"key": str(index), "from": low}
        if high is not None:
            band["to"] = high
        bands.append(band)
    return {
        "facets": {
            "sampler": {"shard_size": COUNT_LIMIT},
            "aggs": {
                "categories": {"terms": {"field": "category_id", "size": FACET_TERMS_SIZE}},
                "pricing_models": {"terms": {"field": "pricing_model", "size": FACET_TERMS_SIZE}},
                "price_bands": {"range": {"field": "price_minor", "ranges": bands}},
            },
        }
    }


HIT_SOURCE = ["location", "next_available_at", "next_available_checked_at"]


def search_body(criteria: SearchCriteria, offset: int, limit: int, with_facets: bool) -> dict:
    """The body of the search request for ``criteria``: one page, filtered and ordered by OpenSearch."""
    body: dict[str, Any] = {
        "query": _query(criteria),
        "sort": _sort(criteria),
        "from": offset,
        "size": limit,
        "track_total_hits": COUNT_LIMIT,
        "_source": HIT_SOURCE,
    }
    if criteria.words:
        body["track_scores"] = True  # the score also when another order comes first
    if with_facets:
        body["aggs"] = _facet_aggregations()
    return body


def autocomplete_words(prefix: str) -> list[str]:
    return _WORD.findall((prefix or "").lower())[:AUTOCOMPLETE_MAX_WORDS]


def autocomplete_body(prefix: str, limit: int) -> dict | None:
    """Titles with a word starting with each word of ``prefix``, one of each, most reviewed first (None: no words)."""
    words = autocomplete_words(prefix)
    if not words:
        return None
    return {
        "query": {"match": {"text_a.prefix": {"query": " ".join(words), "operator": "and"}}},
        "sort": [{"rating_count": {"order": "desc"}}, {"text_a.raw": {"order": "asc"}}],
        "collapse": {"field": "text_a.raw"},
        "size": limit,
        "_source": ["text_a"],
        "track_total_hits": False,
    }


def index_actions(index: str, documents: list[Document]) -> list[dict]:
    """Bulk actions adding or replacing documents; a partial update keeps the next available fields."""
    return [
        {
            "_op_type": "update",
            "_index": index,
            "_id": str(document.service_id),
            "doc": document_source(document),
            "doc_as_upsert": True,
            "retry_on_conflict": RETRY_ON_CONFLICT,
        }
        for document in documents
    ]


def remove_actions(index: str, service_ids: list[int]) -> list[dict]:
    return [{"_op_type": "delete", "_index": index, "_id": str(pk)} for pk in service_ids]


def next_available_actions(index: str, values: dict[int, datetime | None], checked_at: datetime) -> list[dict]:
    """Bulk partial updates of the next available fields (no upsert: a service not indexed stays so)."""
    return [
        {
            "_op_type": "update",
            "_index": index,
            "_id": str(pk),
            "doc": {"next_available_at": _iso(at), "next_available_checked_at": _iso(checked_at)},
            "retry_on_conflict": RETRY_ON_CONFLICT,
        }
        for pk, at in values.items()
    ]


def stale_next_available_body(checked_before: datetime, now: datetime, limit: int) -> dict:
    """Entries never worked out, worked out before ``checked_before``, or whose time has passed: oldest first."""
    return {
        "query": {
            "bool": {
                "should": [
                    {"bool": {"must_not": [{"exists": {"field": "next_available_checked_at"}}]}},
                    {"range": {"next_available_checked_at": {"lt": _iso(checked_before)}}},
                    {"range": {"next_available_at": {"lte": _iso(now)}}},
                ],
                "minimum_should_match": 1,
            }
        },
        "sort": [
            {"next_available_checked_at": {"order": "asc", "missing": "_first"}},
            {"service_id": {"order": "asc"}},
        ],
        "size": limit,
        "_source": False,
        "track_total_hits": False,
    }


# --- Responses ------------------------------------------------------------------------------


def parse_search(criteria: SearchCriteria, response: dict) -> EngineResult:
    by_distance = sorts_by_distance(criteria)
    hits = []
    for raw in response["hits"]["hits"]:
        source = raw.get("_source") or {}
        distance = None
        if by_distance:
            distance = float(raw["sort"][0])
        elif criteria.point is not None and source.get("location"):
            centre = geo.Point(source["location"]["lat"], source["location"]["lon"])
            distance = geo.distance_m(centre, criteria.point)
        hits.append(
            Hit(
                service_id=int(raw["_id"]),
                score=float(raw.get("_score") or 0.0),
                distance_m=distance,
                next_available_at=_datetime(source.get("next_available_at")),
                next_available_checked_at=_datetime(source.get("next_available_checked_at")),
            )
        )
    total = response["hits"]["total"]
    exact = total["relation"] == "eq" and total["value"] <= COUNT_LIMIT
    facets = None
    if "aggregations" in response:
        found = response["aggregations"]["facets"]
        facets = Facets(
            categories={int(b["key"]): b["doc_count"] for b in found["categories"]["buckets"]},
            pricing_models={b["key"]: b["doc_count"] for b in found["pricing_models"]["buckets"]},
            price_bands={int(b["key"]): b["doc_count"] for b in found["price_bands"]["buckets"] if b["doc_count"]},
        )
    return EngineResult(hits, min(total["value"], COUNT_LIMIT), exact, facets)


def parse_autocomplete(response: dict) -> list[str]:
    titles: list[str] = []
    for raw in response["hits"]["hits"]:
        title = raw["_source"]["text_a"]
        if title not in titles:
            titles.append(title)
    return titles


# --- The engine -----------------------------------------------------------------------------


class OpenSearchEngine:
    def __init__(self, *, url: str | None = None, index_prefix: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else settings.OPENSEARCH_URL
        prefix = index_prefix if index_prefix is not None else settings.OPENSEARCH_INDEX_PREFIX
        self.index_name = f"{prefix}{INDEX_SUFFIX}"
        self.timeout = timeout if timeout is not None else settings.OPENSEARCH_TIMEOUT_SECONDS
        self._index_ready = False

    @cached_property
    def client(self) -> OpenSearch:
        if not self.url:
            raise ValueError("The OpenSearch engine needs OPENSEARCH_URL.")
        return OpenSearch(hosts=[self.url], timeout=self.timeout)

    def ping(self) -> bool:
        """Whether the server answers (the client's HEAD /); never raises."""
        try:
            return bool(self.client.ping())
        except Exception:  # a health check says no, whatever went wrong
            return False

    def ensure_index(self) -> None:
        """Create the index with MAPPING when it does not exist (once per engine)."""
        if self._index_ready:
            return
        if not self.client.indices.exists(index=self.index_name):
            try:
                self.client.indices.create(index=self.index_name, body=MAPPING)
            except RequestError as error:  # another process created it first
                if error.error != "resource_already_exists_exception":
                    raise
        self._index_ready = True

    def refresh(self) -> None:
        """Make every write so far visible to searches now, not within the refresh interval (tests)."""
        self.client.indices.refresh(index=self.index_name)

    # --- Writing --------------------------------------------------------------------------

    def index(self, documents: list[Document]) -> None:
        if documents:
            self.ensure_index()
            helpers.bulk(self.client, index_actions(self.index_name, documents))

    def remove(self, service_ids: list[int]) -> None:
        if service_ids:
            helpers.bulk(self.client, remove_actions(self.index_name, service_ids), ignore_status=(404,))

    def indexed_ids(self, service_ids: list[int]) -> set[int]:
        if not service_ids:
            return set()
        try:
            response = self.client.mget(
                index=self.index_name, body={"ids": [str(pk) for pk in service_ids]}, params={"_source": "false"}
            )
        except NotFoundError:  # no index yet
            return set()
        return {int(doc["_id"]) for doc in response["docs"] if doc.get("found")}

    def clear(self) -> None:
        with contextlib.suppress(NotFoundError):  # no index yet
            self.client.indices.delete(index=self.index_name)
        self._index_ready = False
        self.ensure_index()

    def set_next_available(self, values: dict[int, datetime | None], *, checked_at: datetime) -> None:
        if values:
            # Before an update reaches a missing index, which OpenSearch would create with a mapping guessed
            # from the two dates (and an object for the area): the index is made with MAPPING first.
            self.ensure_index()
            # 404: a service no longer indexed has no next available time to keep.
            helpers.bulk(self.client, next_available_actions(self.index_name, values, checked_at), ignore_status=(404,))

    def stale_next_available(self, *, checked_before: datetime, now: datetime, limit: int) -> list[int]:
        try:
            response = self.client.search(
                index=self.index_name, body=stale_next_available_body(checked_before, now, limit)
            )
        except NotFoundError:
            return []
        return [int(raw["_id"]) for raw in response["hits"]["hits"]]

    # --- Reading --------------------------------------------------------------------------

    def search(self, criteria: SearchCriteria, *, offset: int, limit: int, with_facets: bool = False) -> EngineResult:
        try:
            response = self.client.search(index=self.index_name, body=search_body(criteria, offset, limit, with_facets))
        except NotFoundError:  # nothing indexed yet
            return EngineResult([], 0, True, Facets() if with_facets else None)
        return parse_search(criteria, response)

    def autocomplete(self, prefix: str, *, limit: int) -> list[str]:
        body = autocomplete_body(prefix, limit)
        if body is None:
            return []
        try:
            response = self.client.search(index=self.index_name, body=body)
        except NotFoundError:
            return []
        return parse_autocomplete(response)
