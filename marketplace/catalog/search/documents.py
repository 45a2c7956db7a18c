"""Keeping the search engine in step with the catalog: what each public service is found by.

Every write that changes what a service is found by queues ``catalog.tasks.service_reindex``
(django-q2, after the write commits; ``core.jobs.enqueue``): a service saved or deleted
(``catalog.apps`` connects the signals), an organizer's profile or status, a category's
name, a review. The job reads the services again and indexes the public ones, and removes
the others, so running it twice, or late, leaves the same index. ``search_index_rebuild``
(``manage.py search_reindex``) does the same for every service.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Service
from ..selectors import service_list_public
from . import geo
from .engine import Document, ProgressCallback, search_engine

REBUILD_BATCH = 1000


def _services():
    """Public services with what their documents need (their vendor, category and rating), unordered."""
    return service_list_public().order_by()


def _documents(ids: list[int]) -> list[Document]:
    return [document_for(service) for service in _services().filter(pk__in=ids)]


def document_for(service: Service) -> Document:
    """The document of a public service read through ``service_list_public`` (with its rating annotated)."""
    vendor = service.vendor
    centre = geo.Point(float(vendor.latitude), float(vendor.longitude))
    area = vendor.service_area_geojson or geo.circle(centre, vendor.service_radius_km)
    box = geo.bounding_box(area)
    return Document(
        service_id=service.pk,
        vendor_id=vendor.pk,
        category_id=service.category_id,
        pricing_model=service.pricing_model,
        price_minor=service.base_price_minor,
        rating_average=float(service.rating_average) if service.rating_average is not None else None,
        rating_count=service.rating_count or 0,
        text_a=service.title,
        text_b=f"{service.category.name} {vendor.business_name}",
        text_c=service.summary,
        text_d=f"{service.description} {vendor.city}",
        latitude=centre.latitude,
        longitude=centre.longitude,
        area=area,
        min_latitude=box.min_latitude,
        max_latitude=box.max_latitude,
        min_longitude=box.min_longitude,
        max_longitude=box.max_longitude,
        created_at=service.created_at,
    )


def search_index_refresh(
    *, service_ids: Iterable[int] | None = None, vendor_id: int | None = None, category_id: int | None = None
) -> int:
    """Index the public services among those named, remove the rest; returns how many are indexed."""
    services = Service.objects.all()
    if service_ids is not None:
        services = services.filter(pk__in=list(service_ids))
    if vendor_id is not None:
        services = services.filter(vendor_id=vendor_id)
    if category_id is not None:
        services = services.filter(category_id=category_id)
    named = list(services.values_list("pk", flat=True))
    if service_ids is not None:
        named = sorted(set(named) | set(service_ids))  # deleted services are removed too
    engine = search_engine()
    indexed = 0
    for start in range(0, len(named), REBUILD_BATCH):
        batch = named[start : start + REBUILD_BATCH]
        documents = _documents(batch)
        engine.index(documents)
        public = {document.service_id for document in documents}
        engine.remove([pk for pk in batch if pk not in public])
        indexed += len(documents)
    return indexed


def search_index_rebuild(*, progress: ProgressCallback | None = None) -> int:
    """Index every public service again from scratch, in batches; ``progress(n)`` after each batch."""
    engine = search_engine()
    engine.clear()
    ids = list(_services().values_list("pk", flat=True).order_by("pk"))
    for start in range(0, len(ids), REBUILD_BATCH):
        batch = ids[start : start + REBUILD_BATCH]
        engine.index(_documents(batch))
        if progress:
            progress(len(batch))
    return len(ids)


def search_index_size() -> int:
    """How many public services a rebuild indexes (the progress bar's total)."""
    return _services().count()
