"""One way to page through every list the API answers with.

Ask with ``?page=N&page_size=M`` (page from 1, page_size from 1 to ``PAGE_SIZE_MAX``,
``PAGE_SIZE_DEFAULT`` when left out). Every list answers the same envelope::

    {"count": 53, "page": 2, "page_size": 20,
     "next": "https://.../api/v1/bookings?page=3&page_size=20",
     "previous": "https://.../api/v1/bookings?page=1&page_size=20",
     "results": [...]}

``count`` is the number of items on all pages together; ``next`` and ``previous`` are
absolute links keeping the request's other parameters (null at either end). A page past
the last answers 200 with no results, so a client that pages until ``next`` is null never
sees an error. Each list has a fixed order (newest first unless its route says
otherwise), with the id breaking ties, so pages never repeat or skip an item while
nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# Deep pages cost an ever larger OFFSET: past this, narrow the list with its filters instead.
PAGE_MAX = 1000

DESCRIPTION = (
    "Every list is paged the same way: `page` (from 1) and `page_size` (1 to "
    f"{PAGE_SIZE_MAX}, default {PAGE_SIZE_DEFAULT}). The answer is `{{count, page, page_size, next, previous, "
    "results}`: `count` counts every item on all pages, `next` and `previous` are absolute links (null at either "
    "end) that keep the other parameters, and a page past the last has no results."
)


class PageQuery(Schema):
    page: int = Field(default=1, ge=1, le=PAGE_MAX, description="Which page, from 1.")
    page_size: int = Field(
        default=PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX, description=f"Items per page, at most {PAGE_SIZE_MAX}."
    )


class PageOut(Schema):
    """The envelope every list answers with; subclasses name the type of ``results``."""

    count: int = Field(description="Items on all pages together (a lower bound when count_exact is false).")
    count_exact: bool = Field(
        default=True,
        description="False when the list stopped counting (a broad search): there are at least `count` items.",
    )
    page: int
    page_size: int
    next: str | None = Field(description="The next page's absolute URL; null on the last page.")
    previous: str | None = Field(description="The previous page's absolute URL; null on the first page.")


def _link(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(
    request: HttpRequest,
    items: Any,
    query: PageQuery,
    *,
    hydrate: Callable[[Sequence], Sequence] | None = None,
) -> dict:
    """One page of ``items`` (a queryset, or a list) as the envelope above.

    ``hydrate`` turns the page's slice into what the response shows (e.g. fetching
    related rows for just these items); by default the slice itself, evaluated.
    """
    count = items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
    start = (query.page - 1) * query.page_size
    window = items[start : start + query.page_size] if start < count else items[:0]
    results = list(hydrate(window) if hydrate else window)
    return {**page_envelope(request, query, count=count), "results": results}


def page_envelope(request: HttpRequest, query: PageQuery, *, count: int, count_exact: bool = True) -> dict:
    """The envelope without its results, for a list paged elsewhere (a search engine pages its own hits).

    With an inexact count there is a next page while this one is full: the count is only a floor.
    """
    start = (query.page - 1) * query.page_size
    more = start + query.page_size < count or (not count_exact and start + query.page_size <= count)
    return {
        "count": count,
        "count_exact": count_exact,
        "page": query.page,
        "page_size": query.page_size,
        "next": _link(request, query.page + 1) if more else None,
        "previous": _link(request, min(query.page - 1, _last_page(count, query.page_size))) if query.page > 1 else None,
    }


def _last_page(count: int, page_size: int) -> int:
    return max(1, -(-count // page_size))
