"""The OpenSearch engine without a server: its mapping, every request it sends, and how it reads answers.

A small HTTP server on 127.0.0.1 stands in for OpenSearch: it records each request the real
``opensearch-py`` client sends (method, path, query, body) and answers with canned OpenSearch
responses. So these tests check what would go over the wire, not what a fake client was
handed. Whether OpenSearch then finds the right services is ``test_opensearch_live.py``'s
question (run only with ``OPENSEARCH_URL``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from opensearchpy.helpers import BulkIndexError

from marketplace.catalog.search import geo
from marketplace.catalog.search.criteria import SearchCriteria, Sort
from marketplace.catalog.search.engine import COUNT_LIMIT, Document, Facets, Hit
from marketplace.catalog.search.opensearch import MAPPING, OpenSearchEngine

INDEX = "test_services"
SEARCH = ("POST", f"/{INDEX}/_search")
BROOKLYN = geo.Point(40.6782, -73.9442)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def ndjson(self) -> list[dict]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


class FakeOpenSearch(ThreadingHTTPServer):
    """Records requests; answers from ``routes`` ((method, path) -> (status, body) or a function of the request)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[Request] = []
        self.routes: dict = {}

    def answer(self, request: Request) -> tuple[int, dict | None]:
        route = self.routes.get((request.method, request.path))
        if callable(route):
            return route(request)
        if route is not None:
            return route
        if request.path.endswith("/_bulk"):
            return bulk_answer(request)
        return 200, ({} if request.method != "HEAD" else None)

    def sent(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if (method in (None, r.method)) and (path in (None, r.path))]


class _Handler(BaseHTTPRequestHandler):
    def _serve(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, url.path, parse_qs(url.query), self.rfile.read(length))
        self.server.requests.append(request)
        status, body = self.server.answer(request)
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, *args):
        pass


def bulk_answer(request: Request, statuses: dict[str, int] | None = None) -> tuple[int, dict]:
    """A bulk response: each action's status (200, or ``statuses[_id]``)."""
    items = []
    for line in request.ndjson():
        if len(line) == 1 and next(iter(line)) in ("index", "create", "update", "delete"):
            op, meta = next(iter(line.items()))
            status = (statuses or {}).get(meta["_id"], 200)
            item = {"_index": INDEX, "_id": meta["_id"], "status": status}
            if status >= 300:
                item["error"] = {"type": "document_missing_exception" if status == 404 else "mapper_exception"}
            items.append({op: item})
    return 200, {"took": 1, "errors": any(i[next(iter(i))]["status"] >= 300 for i in items), "items": items}


def search_answer(hits: list[dict], total: int = 0, relation: str = "eq", aggregations: dict | None = None):
    answer = {"took": 1, "timed_out": False, "hits": {"total": {"value": total, "relation": relation}, "hits": hits}}
    if aggregations is not None:
        answer["aggregations"] = aggregations
    return 200, answer


NOT_FOUND = (404, {"error": {"type": "index_not_found_exception", "reason": "no such index"}, "status": 404})


@pytest.fixture
def server():
    fake = FakeOpenSearch()
    thread = threading.Thread(target=fake.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


@pytest.fixture
def engine(server):
    return OpenSearchEngine(url=f"http://127.0.0.1:{server.server_address[1]}", index_prefix="test_", timeout=5)


def sent_search(server, engine, criteria: SearchCriteria, *, offset=0, limit=20, with_facets=False) -> dict:
    server.routes[SEARCH] = search_answer([])
    engine.search(criteria, offset=offset, limit=limit, with_facets=with_facets)
    (request,) = server.sent(*SEARCH)
    return request.json()


MULTI_MATCH = {
    "multi_match": {
        "query": "closet organizer",
        "type": "most_fields",
        "operator": "or",
        "fields": ["text_a^10", "text_b^4", "text_c^2", "text_d^1"],
        "fuzziness": "AUTO:4,8",
        "prefix_length": 1,
    }
}


# --- The mapping and the index ----------------------------------------------------------------


def test_the_mapping_stems_english_and_holds_the_filters_sorts_and_shapes():
    fields = MAPPING["mappings"]["properties"]
    assert MAPPING["mappings"]["dynamic"] == "strict"
    for name in ("text_a", "text_b", "text_c", "text_d"):
        assert fields[name] == {**fields[name], "type": "text", "analyzer": "english"}
    assert fields["text_a"]["fields"]["prefix"]["analyzer"] == "title_prefix"
    assert fields["text_a"]["fields"]["raw"] == {"type": "keyword"}
    prefix = MAPPING["settings"]["analysis"]["analyzer"]["title_prefix"]
    assert prefix["filter"] == ["lowercase", "title_prefix"]
    assert MAPPING["settings"]["analysis"]["filter"]["title_prefix"]["type"] == "edge_ngram"
    assert fields["area"] == {"type": "geo_shape"}
    assert fields["location"] == {"type": "geo_point"}
    assert {fields[n]["type"] for n in ("created_at", "next_available_at", "next_available_checked_at")} == {"date"}
    assert fields["pricing_model"]["type"] == "keyword"
    assert {fields[n]["type"] for n in ("service_id", "category_id", "price_minor")} == {"long"}
    assert fields["rating_average"]["type"] == "float"


def test_constructing_the_engine_connects_to_nothing():
    engine = OpenSearchEngine(url="http://127.0.0.1:9", index_prefix="x_")  # port 9: nothing listens
    assert engine.index_name == "x_services"
    assert "client" not in vars(engine)


def test_the_index_name_and_url_come_from_the_settings(settings):
    settings.OPENSEARCH_URL = "http://search.internal:9200"
    settings.OPENSEARCH_INDEX_PREFIX = "staging_"
    engine = OpenSearchEngine()
    assert (engine.url, engine.index_name) == ("http://search.internal:9200", "staging_services")


def test_ensure_index_creates_a_missing_index_with_the_mapping_once(server, engine):
    server.routes[("HEAD", f"/{INDEX}")] = (404, None)
    engine.ensure_index()
    engine.ensure_index()
    assert [(r.method, r.path) for r in server.requests] == [("HEAD", f"/{INDEX}"), ("PUT", f"/{INDEX}")]
    assert server.requests[1].json() == MAPPING


def test_ensure_index_leaves_an_existing_index(server, engine):
    engine.ensure_index()
    assert [(r.method, r.path) for r in server.requests] == [("HEAD", f"/{INDEX}")]


def test_ensure_index_accepts_an_index_another_process_just_created(server, engine):
    server.routes[("HEAD", f"/{INDEX}")] = (404, None)
    server.routes[("PUT", f"/{INDEX}")] = (400, {"error": {"type": "resource_already_exists_exception"}, "status": 400})
    engine.ensure_index()
    assert engine._index_ready


def test_clear_deletes_and_creates_the_index_again(server, engine):
    server.routes[("HEAD", f"/{INDEX}")] = (404, None)
    engine.clear()
    assert [(r.method, r.path) for r in server.requests] == [
        ("DELETE", f"/{INDEX}"),
        ("HEAD", f"/{INDEX}"),
        ("PUT", f"/{INDEX}"),
    ]


def test_clear_without_an_index_creates_it(server, engine):
    server.routes[("DELETE", f"/{INDEX}")] = NOT_FOUND
    server.routes[("HEAD", f"/{INDEX}")] = (404, None)
    engine.clear()
    assert server.sent("PUT", f"/{INDEX}")


def test_ping(server, engine):
    assert engine.ping() is True
    assert server.sent("HEAD", "/")
    assert OpenSearchEngine(url="http://127.0.0.1:9", index_prefix="x_", timeout=1).ping() is False
    assert OpenSearchEngine(url="", index_prefix="x_").ping() is False


# --- Search bodies ------------------------------------------------------------------------------


def test_words_only(server, engine):
    body = sent_search(server, engine, SearchCriteria(text="closet organizer", words=("closet", "organizer")))
    assert body == {
        "query": {"bool": {"filter": [], "should": [MULTI_MATCH], "minimum_should_match": 1}},
        "sort": [{"_score": {"order": "desc"}}, {"service_id": {"order": "desc"}}],
        "from": 0,
        "size": 20,
        "track_total_hits": COUNT_LIMIT,
        "track_scores": True,
        "_source": ["location", "next_available_at", "next_available_checked_at"],
    }


def test_no_words_matches_everything_best_rated_first(server, engine):
    body = sent_search(server, engine, SearchCriteria(), offset=40, limit=10)
    assert body["query"] == {"bool": {"filter": []}}
    assert body["sort"] == [
        {"rating_average": {"order": "desc", "missing": "_last"}},
        {"rating_count": {"order": "desc"}},
        {"service_id": {"order": "desc"}},
    ]
    assert (body["from"], body["size"]) == (40, 10)
    assert "track_scores" not in body and "aggs" not in body


def test_every_filter(server, engine):
    criteria = SearchCriteria(
        category_id=3, pricing_model="hourly", min_price_minor=1000, max_price_minor=20000, min_rating=4.5
    )
    body = sent_search(server, engine, criteria)
    assert body["query"]["bool"]["filter"] == [
        {"term": {"category_id": 3}},
        {"term": {"pricing_model": "hourly"}},
        {"range": {"price_minor": {"gte": 1000, "lte": 20000}}},
        {"range": {"rating_average": {"gte": 4.5}}},
    ]


def test_one_sided_price(server, engine):
    body = sent_search(server, engine, SearchCriteria(max_price_minor=0))
    assert body["query"]["bool"]["filter"] == [{"range": {"price_minor": {"lte": 0}}}]


GEO_SHAPE = {
    "geo_shape": {"area": {"shape": {"type": "point", "coordinates": [-73.9442, 40.6782]}, "relation": "intersects"}}
}
GEO_DISTANCE = {
    "_geo_distance": {
        "location": {"lat": 40.6782, "lon": -73.9442},
        "order": "asc",
        "unit": "m",
        "distance_type": "arc",
    }
}


def test_a_point_filters_by_the_area_and_orders_by_distance_without_words(server, engine):
    body = sent_search(server, engine, SearchCriteria(point=BROOKLYN))
    assert body["query"]["bool"]["filter"] == [GEO_SHAPE]
    assert body["sort"] == [GEO_DISTANCE, {"service_id": {"order": "desc"}}]


def test_distance_sort_with_words_still_filters_by_the_words(server, engine):
    criteria = SearchCriteria(words=("closet", "organizer"), point=BROOKLYN, sort=Sort.DISTANCE)
    body = sent_search(server, engine, criteria)
    assert body["query"]["bool"]["should"] == [MULTI_MATCH]
    assert body["query"]["bool"]["filter"] == [GEO_SHAPE]
    assert body["sort"] == [GEO_DISTANCE, {"service_id": {"order": "desc"}}]


def test_a_point_with_words_ranks_by_score(server, engine):
    body = sent_search(server, engine, SearchCriteria(words=("closet", "organizer"), point=BROOKLYN))
    assert body["sort"][0] == {"_score": {"order": "desc"}}


def test_free_on_keeps_services_available_before_the_day_ends_everywhere(server, engine):
    before = datetime(2026, 12, 10, tzinfo=ZoneInfo("Etc/GMT+12"))  # 12:00 UTC
    body = sent_search(server, engine, SearchCriteria(available_before=before))
    assert body["query"]["bool"]["filter"] == [
        {
            "bool": {
                "should": [
                    {"range": {"next_available_at": {"lt": "2026-12-10T12:00:00+00:00"}}},
                    # not yet worked out: a candidate, the slot engine answers for it
                    {"bool": {"must_not": [{"exists": {"field": "next_available_checked_at"}}]}},
                ],
                "minimum_should_match": 1,
            }
        }
    ]


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        (Sort.PRICE_LOW, [{"price_minor": {"order": "asc"}}]),
        (Sort.PRICE_HIGH, [{"price_minor": {"order": "desc"}}]),
        (
            Sort.RATING,
            [{"rating_average": {"order": "desc", "missing": "_last"}}, {"rating_count": {"order": "desc"}}],
        ),
        (Sort.SOONEST, [{"next_available_at": {"order": "asc", "missing": "_last"}}]),
        (Sort.RELEVANCE, [{"_score": {"order": "desc"}}]),
    ],
)
def test_each_sort_then_the_newest_service(server, engine, sort, first):
    body = sent_search(server, engine, SearchCriteria(words=("closet",), point=BROOKLYN, sort=sort))
    assert body["sort"] == [*first, {"service_id": {"order": "desc"}}]
    assert body["track_scores"] is True


def test_facets_are_asked_only_with_facets(server, engine):
    body = sent_search(server, engine, SearchCriteria(words=("closet",)), with_facets=True)
    assert body["aggs"] == {
        "facets": {
            "sampler": {"shard_size": COUNT_LIMIT},
            "aggs": {
                "categories": {"terms": {"field": "category_id", "size": 500}},
                "pricing_models": {"terms": {"field": "pricing_model", "size": 500}},
                "price_bands": {
                    "range": {
                        "field": "price_minor",
                        "ranges": [
                            {"key": "0", "from": 0, "to": 10000},
                            {"key": "1", "from": 10000, "to": 25000},
                            {"key": "2", "from": 25000, "to": 50000},
                            {"key": "3", "from": 50000},
                        ],
                    }
                },
            },
        }
    }


# --- Reading answers ----------------------------------------------------------------------------


def hit(pk: int, *, score=None, sort=None, source=None) -> dict:
    return {"_index": INDEX, "_id": str(pk), "_score": score, "sort": sort or [], "_source": source or {}}


def test_hits_in_order_with_scores_and_next_available_times(server, engine):
    server.routes[SEARCH] = search_answer(
        [
            hit(7, score=3.5, source={"next_available_at": "2026-12-03T09:00:00+00:00"}),
            hit(
                5,
                score=1.25,
                source={"next_available_at": None, "next_available_checked_at": "2026-12-02T08:30:00.123456+00:00"},
            ),
        ],
        total=2,
    )
    result = engine.search(SearchCriteria(words=("closet",)), offset=0, limit=20)
    assert result.hits == [
        Hit(7, 3.5, None, datetime(2026, 12, 3, 9, tzinfo=UTC), None),
        Hit(5, 1.25, None, None, datetime(2026, 12, 2, 8, 30, 0, 123456, tzinfo=UTC)),
    ]
    assert result.hits[0].next_available_at.tzinfo is not None
    assert (result.total, result.total_exact, result.facets, result.corrections) == (2, True, None, {})


def test_a_count_past_the_limit_is_a_lower_bound(server, engine):
    server.routes[SEARCH] = search_answer([hit(1)], total=COUNT_LIMIT, relation="gte")
    result = engine.search(SearchCriteria(), offset=0, limit=1)
    assert (result.total, result.total_exact) == (COUNT_LIMIT, False)


def test_a_count_of_exactly_the_limit_is_exact(server, engine):
    server.routes[SEARCH] = search_answer([hit(1)], total=COUNT_LIMIT, relation="eq")
    result = engine.search(SearchCriteria(), offset=0, limit=1)
    assert (result.total, result.total_exact) == (COUNT_LIMIT, True)


def test_the_distance_is_the_sort_value_when_sorting_by_distance(server, engine):
    server.routes[SEARCH] = search_answer([hit(4, sort=[1234.5, 4], source={"location": {"lat": 0, "lon": 0}})], 1)
    result = engine.search(SearchCriteria(point=BROOKLYN, sort=Sort.DISTANCE), offset=0, limit=20)
    assert result.hits[0].distance_m == 1234.5


def test_the_distance_is_worked_out_from_the_centre_otherwise(server, engine):
    manhattan = geo.Point(40.758, -73.9855)
    source = {"location": {"lat": manhattan.latitude, "lon": manhattan.longitude}}
    server.routes[SEARCH] = search_answer([hit(4, score=2.0, sort=[2.0, 4], source=source)], 1)
    result = engine.search(SearchCriteria(words=("closet",), point=BROOKLYN), offset=0, limit=20)
    assert result.hits[0].distance_m == pytest.approx(geo.distance_m(manhattan, BROOKLYN))
    assert 9_000 < result.hits[0].distance_m < 10_500


def test_aggregations_become_facets_with_band_indexes(server, engine):
    aggregations = {
        "facets": {
            "doc_count": 6,
            "categories": {"buckets": [{"key": 2, "doc_count": 3}, {"key": 1, "doc_count": 2}]},
            "pricing_models": {"buckets": [{"key": "fixed", "doc_count": 4}, {"key": "hourly", "doc_count": 1}]},
            "price_bands": {
                "buckets": [
                    {"key": "0", "from": 0.0, "to": 10000.0, "doc_count": 1},
                    {"key": "1", "from": 10000.0, "to": 25000.0, "doc_count": 1},
                    {"key": "2", "from": 25000.0, "to": 50000.0, "doc_count": 0},
                    {"key": "3", "from": 50000.0, "doc_count": 4},
                ]
            },
        }
    }
    server.routes[SEARCH] = search_answer([], total=6, aggregations=aggregations)
    result = engine.search(SearchCriteria(), offset=0, limit=20, with_facets=True)
    assert result.facets == Facets(
        categories={2: 3, 1: 2}, pricing_models={"fixed": 4, "hourly": 1}, price_bands={0: 1, 1: 1, 3: 4}
    )


def test_no_index_yet_finds_nothing(server, engine):
    server.routes[SEARCH] = NOT_FOUND
    result = engine.search(SearchCriteria(words=("closet",)), offset=0, limit=20, with_facets=True)
    assert (result.hits, result.total, result.total_exact, result.facets) == ([], 0, True, Facets())


def test_a_server_error_is_not_swallowed(server, engine):
    server.routes[SEARCH] = (500, {"error": {"type": "search_phase_execution_exception"}, "status": 500})
    engine.client.transport.max_retries = 0
    with pytest.raises(Exception, match="search_phase_execution_exception"):
        engine.search(SearchCriteria(), offset=0, limit=20)


# --- Autocomplete -------------------------------------------------------------------------------


def test_autocomplete_asks_for_titles_starting_each_word(server, engine):
    server.routes[SEARCH] = search_answer(
        [
            hit(1, source={"text_a": "Closet organizing"}),
            hit(2, source={"text_a": "Closet organizing"}),
            hit(3, source={"text_a": "Closet overhaul"}),
        ]
    )
    assert engine.autocomplete("  Clo  O-", limit=5) == ["Closet organizing", "Closet overhaul"]
    (request,) = server.sent(*SEARCH)
    assert request.json() == {
        "query": {"match": {"text_a.prefix": {"query": "clo o", "operator": "and"}}},
        "sort": [{"rating_count": {"order": "desc"}}, {"text_a.raw": {"order": "asc"}}],
        "collapse": {"field": "text_a.raw"},
        "size": 5,
        "_source": ["text_a"],
        "track_total_hits": False,
    }


def test_autocomplete_without_a_word_asks_nothing(server, engine):
    assert engine.autocomplete(" -- ", limit=5) == []
    assert server.requests == []


# --- Writing ------------------------------------------------------------------------------------


def document(pk: int) -> Document:
    area = geo.circle(BROOKLYN, 10)
    box = geo.bounding_box(area)
    return Document(
        service_id=pk,
        vendor_id=2,
        category_id=3,
        pricing_model="fixed",
        price_minor=25000,
        rating_average=None,
        rating_count=0,
        text_a="Closet organizing",
        text_b="Closets & wardrobes Calm Spaces",
        text_c="Every shelf sorted.",
        text_d="Long text. Brooklyn",
        latitude=BROOKLYN.latitude,
        longitude=BROOKLYN.longitude,
        area=area,
        min_latitude=box.min_latitude,
        max_latitude=box.max_latitude,
        min_longitude=box.min_longitude,
        max_longitude=box.max_longitude,
        created_at=datetime(2026, 10, 15, 9, tzinfo=ZoneInfo("America/New_York")),
    )


def test_index_upserts_without_touching_the_next_available_fields(server, engine):
    engine.index([document(7), document(8)])
    assert [(r.method, r.path) for r in server.requests] == [("HEAD", f"/{INDEX}"), ("POST", "/_bulk")]
    lines = server.requests[1].ndjson()
    assert lines[0] == {"update": {"_index": INDEX, "_id": "7", "retry_on_conflict": 3}}
    assert lines[1] == {
        "doc": {
            "service_id": 7,
            "vendor_id": 2,
            "category_id": 3,
            "pricing_model": "fixed",
            "price_minor": 25000,
            "rating_average": None,
            "rating_count": 0,
            "text_a": "Closet organizing",
            "text_b": "Closets & wardrobes Calm Spaces",
            "text_c": "Every shelf sorted.",
            "text_d": "Long text. Brooklyn",
            "location": {"lat": 40.6782, "lon": -73.9442},
            "area": json.loads(json.dumps(geo.circle(BROOKLYN, 10))),
            "created_at": "2026-10-15T13:00:00+00:00",
        },
        "doc_as_upsert": True,
    }
    assert lines[2]["update"]["_id"] == "8" and len(lines) == 4
    assert set(MAPPING["mappings"]["properties"]) >= set(lines[1]["doc"])


def test_index_of_nothing_sends_nothing(server, engine):
    engine.index([])
    engine.remove([])
    engine.set_next_available({}, checked_at=datetime.now(UTC))
    assert engine.indexed_ids([]) == set()
    assert server.requests == []


def test_a_document_refused_fails_the_indexing(server, engine):
    server.routes[("POST", "/_bulk")] = lambda request: bulk_answer(request, {"8": 400})
    with pytest.raises(BulkIndexError):
        engine.index([document(7), document(8)])


def test_remove_deletes_and_ignores_entries_already_gone(server, engine):
    server.routes[("POST", "/_bulk")] = lambda request: bulk_answer(request, {"9": 404})
    engine.remove([7, 9])
    (request,) = server.sent("POST", "/_bulk")
    assert request.ndjson() == [{"delete": {"_index": INDEX, "_id": "7"}}, {"delete": {"_index": INDEX, "_id": "9"}}]


def test_remove_fails_on_another_error(server, engine):
    server.routes[("POST", "/_bulk")] = lambda request: bulk_answer(request, {"9": 503})
    with pytest.raises(BulkIndexError):
        engine.remove([7, 9])


def test_set_next_available_updates_two_fields_of_indexed_entries(server, engine):
    server.routes[("POST", "/_bulk")] = lambda request: bulk_answer(request, {"9": 404})
    checked = datetime(2026, 12, 2, 13, 0, 0, 500, tzinfo=UTC)
    engine.set_next_available(
        {7: datetime(2026, 12, 3, 9, tzinfo=ZoneInfo("America/New_York")), 9: None}, checked_at=checked
    )
    assert [(r.method, r.path) for r in server.requests] == [("HEAD", f"/{INDEX}"), ("POST", "/_bulk")]
    assert server.requests[1].ndjson() == [
        {"update": {"_index": INDEX, "_id": "7", "retry_on_conflict": 3}},
        {
            "doc": {
                "next_available_at": "2026-12-03T14:00:00+00:00",
                "next_available_checked_at": "2026-12-02T13:00:00.000500+00:00",
            }
        },
        {"update": {"_index": INDEX, "_id": "9", "retry_on_conflict": 3}},
        {"doc": {"next_available_at": None, "next_available_checked_at": "2026-12-02T13:00:00.000500+00:00"}},
    ]


def test_stale_next_available(server, engine):
    server.routes[SEARCH] = search_answer([{"_id": "5"}, {"_id": "3"}])
    now = datetime(2026, 12, 2, 13, tzinfo=UTC)
    assert engine.stale_next_available(checked_before=now - timedelta(minutes=10), now=now, limit=50) == [5, 3]
    (request,) = server.sent(*SEARCH)
    assert request.json() == {
        "query": {
            "bool": {
                "should": [
                    {"bool": {"must_not": [{"exists": {"field": "next_available_checked_at"}}]}},
                    {"range": {"next_available_checked_at": {"lt": "2026-12-02T12:50:00+00:00"}}},
                    {"range": {"next_available_at": {"lte": "2026-12-02T13:00:00+00:00"}}},
                ],
                "minimum_should_match": 1,
            }
        },
        "sort": [
            {"next_available_checked_at": {"order": "asc", "missing": "_first"}},
            {"service_id": {"order": "asc"}},
        ],
        "size": 50,
        "_source": False,
        "track_total_hits": False,
    }


def test_stale_next_available_without_an_index(server, engine):
    server.routes[SEARCH] = NOT_FOUND
    now = datetime.now(UTC)
    assert engine.stale_next_available(checked_before=now, now=now, limit=5) == []


def test_indexed_ids(server, engine):
    server.routes[("POST", f"/{INDEX}/_mget")] = (
        200,
        {"docs": [{"_id": "7", "found": True}, {"_id": "8", "found": False}]},
    )
    assert engine.indexed_ids([7, 8]) == {7}
    (request,) = server.sent("POST", f"/{INDEX}/_mget")
    assert request.json() == {"ids": ["7", "8"]}
    assert request.query == {"_source": ["false"]}


def test_the_database_engine_answers_ping(db):
    from marketplace.catalog.search.database import DatabaseEngine

    assert DatabaseEngine().ping() is True
