"""The database search engine: PostgreSQL's own indexed columns, or SQLite FTS5 on the embedded default.

Both read one table, ``catalog_searchentry`` (``catalog.models.SearchEntry``), and answer the
same questions the same way:

- **Words**: a service matches when any word of the query matches, stemmed in English
  ("closets" finds "closet", "decluttering" "declutter", "organizer" "organizing"); the more
  words it matches, and the weightier the field (title, then category and organizer, then
  summary, then description), the higher it ranks. A word that matches nothing lowers no
  list to nothing: it only adds nothing to anyone's rank. PostgreSQL ranks with ``ts_rank``
  over the stored weighted tsvector (GIN index); SQLite with FTS5's ``bm25`` and the Porter
  stemmer. On PostgreSQL a word found in no service is corrected to the nearest known word
  (pg_trgm similarity over ``catalog_searchword``), searched beside it.
- **Where**: the point must lie in the service area, a polygon (``catalog.search.geo``).
  PostgreSQL finds the candidates with PostGIS (``&&`` on a ``geography`` column, GiST index)
  and tests the polygon with ``ST_Covers`` in longitude and latitude; SQLite narrows by the
  area's bounding box in SQL and tests the polygon with shapely, in the same plane.
  Distance is to the area's centre, on the sphere, the same formula on both.
- **Counts**: at most COUNT_LIMIT hits are counted; past it the answer says so.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Q

from ..models import SearchEntry, SearchWord
from . import geo
from .criteria import PRICE_BANDS, SearchCriteria, Sort
from .engine import COUNT_LIMIT, Document, EngineResult, Facets, Hit

# The weights of the four texts (A title .. D description) in each database's ranking.
POSTGRES_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # ts_rank's order: D, C, B, A
SQLITE_WEIGHTS = (10.0, 4.0, 2.0, 1.0)  # bm25's order: the columns' own, A to D
_VOCABULARY_WORD = re.compile(r"[^\W\d_]{3,64}", re.UNICODE)


def _words_of(documents: list[Document]) -> set[str]:
    words: set[str] = set()
    for document in documents:
        for text in (document.text_a, document.text_b, document.text_c, document.text_d):
            words.update(word.lower() for word in _VOCABULARY_WORD.findall(text))
    return words


def _band_case(column: str) -> str:
    """SQL giving the index in PRICE_BANDS of a price in ``column``."""
    cases = " ".join(
        f"WHEN {column} < {high} THEN {index}" for index, (_, high) in enumerate(PRICE_BANDS) if high is not None
    )
    return f"CASE {cases} ELSE {len(PRICE_BANDS) - 1} END"


def band_of(price_minor: int) -> int:
    for index, (_, high) in enumerate(PRICE_BANDS):
        if high is None or price_minor < high:
            return index
    return len(PRICE_BANDS) - 1


class DatabaseEngine:
    def ping(self) -> bool:
        """Whether the search table answers: one indexed read (raises as the database does)."""
        SearchEntry.objects.filter(service_id=0).exists()
        return True

    # --- Writing ------------------------------------------------------------------------

    def index(self, documents: list[Document]) -> None:
        if not documents:
            return
        fields = [name for name in Document.__dataclass_fields__ if name != "service_id"]
        entries = [
            SearchEntry(service_id=d.service_id, **{name: getattr(d, name) for name in fields}) for d in documents
        ]
        with transaction.atomic():
            SearchEntry.objects.bulk_create(
                entries, update_conflicts=True, unique_fields=["service"], update_fields=fields
            )
            SearchWord.objects.bulk_create(
                [SearchWord(word=word) for word in sorted(_words_of(documents))], ignore_conflicts=True
            )

    def remove(self, service_ids: list[int]) -> None:
        if service_ids:
            SearchEntry.objects.filter(service_id__in=service_ids).delete()

    def indexed_ids(self, service_ids: list[int]) -> set[int]:
        return set(SearchEntry.objects.filter(service_id__in=service_ids).values_list("service_id", flat=True))

    def clear(self) -> None:
        SearchEntry.objects.all().delete()

    def set_next_available(self, values: dict[int, datetime | None], *, checked_at: datetime) -> None:
        entries = [
            SearchEntry(service_id=pk, next_available_at=at, next_available_checked_at=checked_at)
            for pk, at in values.items()
        ]
        SearchEntry.objects.bulk_update(entries, ["next_available_at", "next_available_checked_at"])

    def stale_next_available(self, *, checked_before: datetime, now: datetime, limit: int) -> list[int]:
        stale = (
            Q(next_available_checked_at__isnull=True)
            | Q(next_available_checked_at__lt=checked_before)
            | Q(next_available_at__lte=now)
        )
        entries = SearchEntry.objects.filter(stale).order_by(F("next_available_checked_at").asc(nulls_first=True))
        return list(entries.values_list("service_id", flat=True)[:limit])

    # --- Reading ------------------------------------------------------------------------

    def search(self, criteria: SearchCriteria, *, offset: int, limit: int, with_facets: bool = False) -> EngineResult:
        if connection.vendor == "postgresql":
            return _PostgresSearch(criteria).run(offset=offset, limit=limit, with_facets=with_facets)
        return _SQLiteSearch(criteria).run(offset=offset, limit=limit, with_facets=with_facets)

    def autocomplete(self, prefix: str, *, limit: int) -> list[str]:
        """Titles and category names that have a word starting with each word of ``prefix``, best rated first."""
        words = re.findall(r"[^\W_]+", prefix.lower())[:5]
        if not words:
            return []
        query = Q()
        for word in words:
            # A word's start: at the start of the title, or after a space or a hyphen.
            query &= Q(text_a__istartswith=word) | Q(text_a__icontains=f" {word}") | Q(text_a__icontains=f"-{word}")
        titles = (
            SearchEntry.objects.filter(query)
            .order_by(F("rating_count").desc(), "text_a")
            .values_list("text_a", flat=True)[: limit * 4]
        )
        seen: list[str] = []
        for title in titles:
            if title not in seen:
                seen.append(title)
        return seen[:limit]


class _PostgresSearch:
    """One search on PostgreSQL: at most three statements (typo corrections, hits, count and facets)."""

    def __init__(self, criteria: SearchCriteria):
        self.criteria = criteria
        self.corrections: dict[str, str] = {}
        self.where: list[str] = []
        self.params: dict = {}

    def _corrected(self, words: tuple[str, ...]) -> dict[str, str]:
        """Each query word found in no service, with the known word nearest to it (trigram similarity)."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT w, (SELECT s.word FROM catalog_searchword s WHERE s.word %% w
                           ORDER BY similarity(s.word, w) DESC, s.word LIMIT 1)
                FROM unnest(%s::text[]) AS w
                WHERE length(w) >= 4 AND w !~ '[0-9]'
                  AND NOT EXISTS (SELECT 1 FROM catalog_searchword s WHERE s.word = w)
                """,
                [list(words)],
            )
            return {word: found for word, found in cursor.fetchall() if found}

    def _filters(self) -> None:
        c, where, params = self.criteria, self.where, self.params
        if c.words:
            self.corrections = self._corrected(c.words)
            terms = [*c.words, *self.corrections.values()]
            # Each word alone through to_tsquery (words are letters and digits only, so no syntax):
            # stop words drop out, the rest are stemmed, and any of them may match.
            params["tsquery"] = " | ".join(terms)
            where.append("e.search_vector @@ to_tsquery('english', %(tsquery)s)")
        if c.category_id is not None:
            where.append("e.category_id = %(category_id)s::bigint")  # as the (category, area) index holds it
            params["category_id"] = c.category_id
        if c.pricing_model:
            where.append("e.pricing_model = %(pricing_model)s")
            params["pricing_model"] = c.pricing_model
        if c.min_price_minor is not None:
            where.append("e.price_minor >= %(min_price)s")
            params["min_price"] = c.min_price_minor
        if c.max_price_minor is not None:
            where.append("e.price_minor <= %(max_price)s")
            params["max_price"] = c.max_price_minor
        if c.min_rating is not None:
            where.append("e.rating_average >= %(min_rating)s")
            params["min_rating"] = c.min_rating
        if c.point is not None:
            params["lat"], params["lon"] = c.point.latitude, c.point.longitude
            # The GiST index finds the areas whose box holds the point (&&, on the geography); the
            # exact test is then in longitude and latitude, as shapely's on SQLite, so both databases
            # answer alike at an area's very edge. It is also about 40% quicker than ST_Covers on the
            # geography, which builds a tree of each polygon's edges on the sphere for its one test.
            point = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
            where.append(f"e.geography && {point}::geography AND ST_Covers(e.geography::geometry, {point})")
        if c.available_before is not None:
            # An entry not yet worked out is a candidate too: the slot engine answers for it.
            where.append("(e.next_available_at < %(available_before)s OR e.next_available_checked_at IS NULL)")
            params["available_before"] = c.available_before

    def _order(self) -> str:
        c = self.criteria
        by_rating = "e.rating_average DESC NULLS LAST, e.rating_count DESC"
        orders = {
            Sort.PRICE_LOW: "e.price_minor ASC",
            Sort.PRICE_HIGH: "e.price_minor DESC",
            Sort.RATING: by_rating,
            Sort.DISTANCE: "distance ASC",
            Sort.SOONEST: "e.next_available_at ASC NULLS LAST",
        }
        if c.sort in orders:
            first = orders[c.sort]
        elif c.words:
            first = "score DESC"
        elif c.point is not None:
            first = "distance ASC"
        else:
            first = by_rating
        return f"{first}, e.service_id DESC"

    def run(self, *, offset: int, limit: int, with_facets: bool) -> EngineResult:
        self._filters()
        c, params = self.criteria, self.params
        where = " AND ".join(self.where) or "TRUE"
        score = (
            f"ts_rank('{POSTGRES_WEIGHTS}', e.search_vector, to_tsquery('english', %(tsquery)s))" if c.words else "0"
        )
        distance = (
            "ST_Distance(e.centre, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, false)"
            if c.point is not None
            else "NULL"
        )
        params.update(offset=offset, limit=limit, count_limit=COUNT_LIMIT + 1)
        order = self._order()
        # Near a point and ordered by a rank or a distance worked out per row, the hits statement
        # reads every match anyway (the areas covering one point: a bounded share of the catalogue,
        # each tested with ST_Covers): it counts them on the way (a window over the matches,
        # before the LIMIT) rather than a second statement testing them all again. Without a
        # point the matches may be a tenth of the catalogue, which the window would hold in
        # memory (or on disk) to count past COUNT_LIMIT; the count statement stops at it.
        counted = not with_facets and c.point is not None and order.startswith(("score ", "distance "))
        with connection.cursor() as cursor:
            # bandit B608 (SQL built from strings): every piece formatted into these statements is a
            # constant of this module; every value a person gave is a bound parameter.
            hits_sql = (
                f"SELECT e.service_id, {score} AS score, {distance} AS distance, "  # nosec B608
                "e.next_available_at, e.next_available_checked_at"
                f"{', count(*) OVER ()' if counted else ''} "
                f"FROM catalog_searchentry e WHERE {where} "
                f"ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s"
            )
            cursor.execute(hits_sql, params)
            rows = cursor.fetchall()
            hits = [Hit(pk, float(s or 0), d, at, checked) for pk, s, d, at, checked, *_ in rows]
            if offset == 0 and len(hits) < limit and not with_facets:
                return EngineResult(hits, len(hits), True, None, self.corrections)
            if counted and rows:
                total = rows[0][5]
                return EngineResult(hits, min(total, COUNT_LIMIT), total <= COUNT_LIMIT, None, self.corrections)
            if with_facets:
                facets_sql = (
                    "SELECT GROUPING(category_id), GROUPING(pricing_model), GROUPING(band), "
                    "category_id, pricing_model, band, count(*) "
                    f"FROM (SELECT e.category_id, e.pricing_model, {_band_case('e.price_minor')} AS band "  # nosec B608
                    f"FROM catalog_searchentry e WHERE {where} LIMIT %(count_limit)s) AS found "
                    "GROUP BY GROUPING SETS ((), (category_id), (pricing_model), (band))"
                )
                cursor.execute(facets_sql, params)
                total, facets = 0, Facets()
                for g_category, g_pricing, g_band, category_id, pricing_model, band, count in cursor.fetchall():
                    if g_category and g_pricing and g_band:
                        total = count
                    elif not g_category:
                        facets.categories[category_id] = count
                    elif not g_pricing:
                        facets.pricing_models[pricing_model] = count
                    else:
                        facets.price_bands[band] = count
            else:
                count_sql = (
                    f"SELECT count(*) FROM (SELECT 1 FROM catalog_searchentry e WHERE {where} "  # nosec B608
                    "LIMIT %(count_limit)s) AS found"
                )
                cursor.execute(count_sql, params)
                total, facets = cursor.fetchone()[0], None
        exact = total <= COUNT_LIMIT
        return EngineResult(hits, min(total, COUNT_LIMIT), exact, facets, self.corrections)


class _SQLiteSearch:
    """One search on SQLite: FTS5 for the words, the bounding box in SQL, the rest in Python.

    The embedded default holds a demo's worth of services, so every hit the SQL lets through
    is read and the exact area test, the ordering, the count and the facets are done here.
    """

    def __init__(self, criteria: SearchCriteria):
        self.criteria = criteria

    def _scores(self) -> dict[int, float]:
        match = " OR ".join(f'"{word}"' for word in self.criteria.words)
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        with connection.cursor() as cursor:
            # bandit B608: the weights are this module's constants; the words are a bound parameter.
            scores_sql = (
                f"SELECT rowid, -bm25(catalog_searchentry_fts, {weights}) FROM catalog_searchentry_fts "  # nosec B608
                "WHERE catalog_searchentry_fts MATCH %s"
            )
            cursor.execute(scores_sql, [match])
            return dict(cursor.fetchall())

    def run(self, *, offset: int, limit: int, with_facets: bool) -> EngineResult:
        c = self.criteria
        entries = SearchEntry.objects.all()
        scores: dict[int, float] = {}
        if c.words:
            scores = self._scores()
            entries = entries.filter(service_id__in=list(scores))
        if c.category_id is not None:
            entries = entries.filter(category_id=c.category_id)
        if c.pricing_model:
            entries = entries.filter(pricing_model=c.pricing_model)
        if c.min_price_minor is not None:
            entries = entries.filter(price_minor__gte=c.min_price_minor)
        if c.max_price_minor is not None:
            entries = entries.filter(price_minor__lte=c.max_price_minor)
        if c.min_rating is not None:
            entries = entries.filter(rating_average__gte=c.min_rating)
        if c.available_before is not None:
            entries = entries.filter(
                Q(next_available_at__lt=c.available_before) | Q(next_available_checked_at__isnull=True)
            )
        if c.point is not None:
            entries = entries.filter(
                min_latitude__lte=c.point.latitude,
                max_latitude__gte=c.point.latitude,
                min_longitude__lte=c.point.longitude,
                max_longitude__gte=c.point.longitude,
            )
        rows = list(
            entries.values_list(
                "service_id",
                "category_id",
                "pricing_model",
                "price_minor",
                "rating_average",
                "rating_count",
                "latitude",
                "longitude",
                "area",
                "next_available_at",
                "next_available_checked_at",
            )
        )
        found = []
        for pk, category, pricing, price, rating, rating_count, lat, lon, area, at, checked in rows:
            distance = None
            if c.point is not None:
                if not geo.covers(area, c.point):
                    continue
                distance = geo.distance_m(geo.Point(lat, lon), c.point)
            found.append((pk, category, pricing, price, rating, rating_count, distance, at, checked))
        found.sort(key=lambda row: -row[0])  # ties: the newest service first, as on PostgreSQL
        found.sort(key=self._sort_key(scores))
        facets = None
        if with_facets:
            facets = Facets()
            for _, category, pricing, price, *_ in found[: COUNT_LIMIT + 1]:
                facets.categories[category] = facets.categories.get(category, 0) + 1
                facets.pricing_models[pricing] = facets.pricing_models.get(pricing, 0) + 1
                band = band_of(price)
                facets.price_bands[band] = facets.price_bands.get(band, 0) + 1
        hits = [
            Hit(pk, scores.get(pk, 0.0), distance, at, checked)
            for pk, _, _, _, _, _, distance, at, checked in found[offset : offset + limit]
        ]
        return EngineResult(hits, min(len(found), COUNT_LIMIT), len(found) <= COUNT_LIMIT, facets)

    def _sort_key(self, scores: dict[int, float]):
        c = self.criteria
        far = float("inf")

        def by_rating(row):
            return (-(row[4] if row[4] is not None else -1), -row[5])

        keys = {
            Sort.PRICE_LOW: lambda row: row[3],
            Sort.PRICE_HIGH: lambda row: -row[3],
            Sort.RATING: by_rating,
            Sort.DISTANCE: lambda row: row[6],
            Sort.SOONEST: lambda row: (row[7] is None, row[7] or datetime.max),
        }
        if c.sort in keys:
            return keys[c.sort]
        if c.words:
            return lambda row: -scores.get(row[0], 0.0)
        if c.point is not None:
            return lambda row: row[6] if row[6] is not None else far
        return by_rating
