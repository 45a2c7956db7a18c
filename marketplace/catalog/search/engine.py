"""The search interface every engine implements, and the engine the settings choose.

``SEARCH_ENGINE`` names it: ``"database"`` (``catalog.search.database``: PostgreSQL's own
indexed columns, or SQLite FTS5) or ``"opensearch"`` (``catalog.search.opensearch``); by
default OpenSearch when ``OPENSEARCH_URL`` is set, else the database. Engines answer with
service ids in order, never with services: ``catalog.selectors`` reads the services back
through the public queryset, so an engine a moment behind can never show an unlisted one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .criteria import SearchCriteria

ENGINES = {
    "database": "marketplace.catalog.search.database.DatabaseEngine",
    "opensearch": "marketplace.catalog.search.opensearch.OpenSearchEngine",
}
# Counts past this are not counted: the answer says "more than" (``total_exact`` false), and the
# facets count the first COUNT_LIMIT hits. A broad query then costs a bounded amount of work.
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Document:
    """What an engine indexes for one public service (``catalog.search.documents`` makes it)."""

    service_id: int
    vendor_id: int
    category_id: int
    pricing_model: str
    price_minor: int
    rating_average: float | None
    rating_count: int
    text_a: str  # the title
    text_b: str  # the category and the organizer's business name
    text_c: str  # the summary
    text_d: str  # the description and the organizer's city
    latitude: float
    longitude: float
    area: dict  # GeoJSON Polygon or MultiPolygon
    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float
    created_at: datetime


@dataclass(frozen=True)
class Hit:
    service_id: int
    score: float = 0.0
    distance_m: float | None = None
    next_available_at: datetime | None = None
    next_available_checked_at: datetime | None = None


@dataclass(frozen=True)
class Facets:
    """Counts of the hits (the first COUNT_LIMIT when there are more) by each facet's value."""

    categories: dict[int, int] = field(default_factory=dict)
    pricing_models: dict[str, int] = field(default_factory=dict)
    price_bands: dict[int, int] = field(default_factory=dict)  # index in criteria.PRICE_BANDS -> count


@dataclass(frozen=True)
class EngineResult:
    hits: list[Hit]
    total: int  # exact when total_exact, else a lower bound (COUNT_LIMIT)
    total_exact: bool
    facets: Facets | None = None
    # Misspelt words and the word searched for in their place (engines that correct typos).
    corrections: dict[str, str] = field(default_factory=dict)


class SearchEngine(Protocol):
    def search(
        self, criteria: SearchCriteria, *, offset: int, limit: int, with_facets: bool = False
    ) -> EngineResult: ...

    def autocomplete(self, prefix: str, *, limit: int) -> list[str]: ...

    def index(self, documents: list[Document]) -> None:
        """Add or replace these services' entries (their next available times are kept)."""

    def remove(self, service_ids: list[int]) -> None:
        """Drop these services' entries; ids with none are ignored."""

    def indexed_ids(self, service_ids: list[int]) -> set[int]: ...

    def clear(self) -> None:
        """Drop every entry (a rebuild starts with it)."""

    def set_next_available(self, values: dict[int, datetime | None], *, checked_at: datetime) -> None: ...

    def stale_next_available(self, *, checked_before: datetime, now: datetime, limit: int) -> list[int]:
        """Services whose next available time was worked out before ``checked_before`` (or never),
        or has passed: the oldest first."""

    def ping(self) -> bool:
        """Whether the engine answers (a health check)."""


def engine_name() -> str:
    name = getattr(settings, "SEARCH_ENGINE", "") or ("opensearch" if settings.OPENSEARCH_URL else "database")
    if name not in ENGINES:
        raise ValueError(f"SEARCH_ENGINE must be one of {', '.join(ENGINES)}, not {name!r}")
    return name


@cache
def _engine_for(name: str) -> SearchEngine:
    return import_string(ENGINES[name])()


def search_engine() -> SearchEngine:
    """The engine the settings choose; one instance per process (an OpenSearch client pools connections)."""
    return _engine_for(engine_name())


ProgressCallback = Callable[[int], None]
