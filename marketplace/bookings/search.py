"""Finding services: the catalog's search, with the organizers' real availability.

``service_find`` is the one selector behind the storefront's search page and
``GET /api/v1/catalog/search``. The catalog's engine finds, filters, places and orders the
services (``catalog.search``); this module adds what only the slot engine knows
(``availability.schedule`` through ``vendor_schedule``), for the candidates only:

- **free on a date** (optionally a part of the day): the engine keeps services whose stored
  next available time falls before that day ends, then the candidates, in the engine's order
  and ``FREE_ON_BATCH`` at a time, are asked the slot engine for that one day
  (``vendor_schedules``: the same queries for a batch's organizers), until the page is full
  or ``FREE_ON_CANDIDATES`` have been asked. The count is then of the services asked.
- **next available time** on each result: kept in the search entry with when it was worked
  out, and worked out again for a result older than ``SEARCH_NEXT_AVAILABLE_TTL_SECONDS``
  (or already past), so a page asks the slot engine for a few services at most; the
  ``search_next_available_refresh`` job keeps the rest fresh.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from marketplace.availability.limits import booking_rules
from marketplace.availability.schedule import Schedule
from marketplace.catalog.models import Service
from marketplace.catalog.search.criteria import PART_OF_DAY_HOURS, SearchCriteria
from marketplace.catalog.search.engine import Hit, search_engine
from marketplace.catalog.selectors import SearchResults, service_list_hydrated, service_list_public, service_search

from .selectors import vendor_schedule, vendor_schedules

# The most candidates one "free on" search asks the slot engine about.
FREE_ON_CANDIDATES = 200
# The fewest candidates read back and asked about at a time.
FREE_ON_BATCH = 20
# Days looked at in one go when working out a next available time (then the rest of the horizon).
NEXT_AVAILABLE_FIRST_DAYS = 14


def next_available(service: Service, *, now: datetime | None = None) -> datetime | None:
    """The first bookable start of the service from now, within the organizer's horizon (None: none)."""
    now = now or timezone.now()
    rules = booking_rules(service.vendor)
    first, last = rules.today(now), rules.last_day(now)
    length = timedelta(minutes=service.booking_lengths()[0])
    chunk_end = min(last, first + timedelta(days=NEXT_AVAILABLE_FIRST_DAYS - 1))
    while first <= last:
        starts = vendor_schedule(vendor=service.vendor, first_day=first, last_day=chunk_end, now=now).free_starts(
            length
        )
        if starts:
            return starts[0]
        first, chunk_end = chunk_end + timedelta(days=1), min(last, chunk_end + timedelta(days=60))
    return None


def _free_on(service: Service, schedule: Schedule, day: date, criteria: SearchCriteria) -> datetime | None:
    """The first start of the service on ``day`` (the organizer's local date, ``schedule`` theirs for that
    day) in the asked part of the day."""
    zone = ZoneInfo(service.vendor.time_zone)
    hours = PART_OF_DAY_HOURS.get(criteria.part_of_day) if criteria.part_of_day else None
    for start in schedule.free_starts(timedelta(minutes=service.booking_lengths()[0])):
        local = start.astimezone(zone)
        if local.date() == day and (hours is None or hours[0] <= local.time() < hours[1]):
            return start
    return None


def _stale(hit: Hit, now: datetime) -> bool:
    ttl = timedelta(seconds=settings.SEARCH_NEXT_AVAILABLE_TTL_SECONDS)
    return (
        hit.next_available_checked_at is None
        or hit.next_available_checked_at < now - ttl
        or (hit.next_available_at is not None and hit.next_available_at <= now)
    )


def _refresh_next_available(services: list[Service], hits: dict[int, Hit], now: datetime) -> None:
    """Set ``next_available_at`` on each service, working it out again where the stored one is stale."""
    fresh: dict[int, datetime | None] = {}
    for service in services:
        hit = hits.get(service.pk)
        if hit is None or _stale(hit, now):
            fresh[service.pk] = service.next_available_at = next_available(service, now=now)
        else:
            service.next_available_at = hit.next_available_at
    if fresh:
        search_engine().set_next_available(fresh, checked_at=now)


def service_find(
    criteria: SearchCriteria, *, page: int = 1, page_size: int = 20, with_facets: bool = False
) -> SearchResults:
    """A page (from 1) of public services matching ``criteria``, each with its next available time
    (``service.next_available_at``) and, when ``criteria.free_on`` is set, its first start that day
    (``service.free_from``)."""
    now = timezone.now()
    offset = (page - 1) * page_size
    if criteria.free_on is None:
        results = service_search(criteria, offset=offset, limit=page_size, with_facets=with_facets)
    else:
        results = _free_on_page(criteria, offset=offset, limit=page_size, with_facets=with_facets, now=now)
    _refresh_next_available(results.services, {hit.service_id: hit for hit in results.hits}, now)
    return results


def _free_on_page(
    criteria: SearchCriteria, *, offset: int, limit: int, with_facets: bool, now: datetime
) -> SearchResults:
    candidates = service_search(criteria, offset=0, limit=FREE_ON_CANDIDATES, with_facets=with_facets, hydrate=False)
    wanted = offset + limit + 1  # one more than the page: whether there is a next one
    kept: list[tuple[Service, datetime]] = []
    # The candidates are read back and their organizers' days worked out a batch at a time
    # (the first usually enough): each organizer's day once, however many of their services
    # are candidates, and the same five queries for a whole batch.
    schedules: dict[int, Schedule] = {}
    asked = first = 0
    while first < len(candidates.hits) and len(kept) < wanted:
        # Twice what the page still needs: at a weekend, when fewer work, one batch is still enough.
        batch = max(FREE_ON_BATCH, 2 * (wanted - len(kept)))
        services = service_list_hydrated(candidates.hits[first : first + batch])
        first += batch
        new_vendors = {service.vendor_id: service.vendor for service in services if service.vendor_id not in schedules}
        schedules |= vendor_schedules(
            list(new_vendors.values()), first_day=criteria.free_on, last_day=criteria.free_on, now=now
        )
        for service in services:
            if len(kept) >= wanted:
                break
            asked += 1
            first_start = _free_on(service, schedules[service.vendor_id], criteria.free_on, criteria)
            if first_start is not None:
                kept.append((service, first_start))
    everything_asked = asked == len(candidates.hits) and candidates.total_exact
    everything_asked = everything_asked and candidates.total == len(candidates.hits)
    page = kept[offset : offset + limit]
    for service, first_start in page:
        service.free_from = first_start
    by_id = {hit.service_id: hit for hit in candidates.hits}
    return replace(
        candidates,
        services=[service for service, _ in page],
        total=len(kept),
        total_exact=everything_asked,
        hits=[by_id[service.pk] for service, _ in page if service.pk in by_id],
    )


def search_next_available_refresh(*, limit: int = 500, now: datetime | None = None) -> int:
    """Work out again the next available time of the entries stalest first (a periodic job); returns how many."""
    now = now or timezone.now()
    ttl = timedelta(seconds=settings.SEARCH_NEXT_AVAILABLE_TTL_SECONDS)
    due = search_engine().stale_next_available(checked_before=now - ttl, now=now, limit=limit)
    services = list(service_list_public().filter(pk__in=due))
    values = {service.pk: next_available(service, now=now) for service in services}
    if values:
        search_engine().set_next_available(values, checked_at=now)
    return len(values)
