"""Reads for the catalog: what customers may see and search."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Avg, Count, QuerySet

from marketplace.core.audit import audit_log_for
from marketplace.core.models import AuditLogEntry
from marketplace.vendors.models import Vendor
from marketplace.vendors.policy import listed_filter

from .models import Category, PricingModel, Service
from .search.criteria import PRICE_BANDS, QUERY_MAX_LENGTH, SearchCriteria, price_band_label, price_band_value
from .search.engine import Facets, Hit, search_engine


def category_list() -> QuerySet[Category]:
    """Active categories in list order: the ones a service can be put in and a search filtered by."""
    return Category.objects.filter(is_active=True).order_by("position", "name", "id")


def category_list_for_backoffice() -> QuerySet[Category]:
    """Every category, active or not, with how many services it holds."""
    return Category.objects.annotate(service_count=Count("services")).order_by("position", "name", "id")


def category_audit_trail(*, category: Category) -> QuerySet[AuditLogEntry]:
    """Everything logged about a category (created, its money rules and other fields changed), oldest first."""
    return audit_log_for(category).select_related("actor").order_by("created_at", "id")


def service_list_in_category(*, category: Category) -> QuerySet[Service]:
    """Every service in the category, published or not, with its vendor: what keeps it in use."""
    return Service.objects.filter(category=category).select_related("vendor").order_by("title", "id")


def service_list_public() -> QuerySet[Service]:
    """Active services of listed vendors (verified, documents in date: ``vendors.policy.listed_filter``):
    the only ones anyone may find or book."""
    return (
        Service.objects.filter(listed_filter("vendor__"), is_active=True)
        .select_related("vendor", "category")
        .annotate(rating_average=Avg("vendor__reviews__rating"), rating_count=Count("vendor__reviews", distinct=True))
    )


def service_get_public(*, service_id: int) -> Service | None:
    return service_list_public().filter(pk=service_id).first()


def service_list_for_category(*, category) -> QuerySet[Service]:
    return service_list_public().filter(category=category).order_by("-rating_average", "title", "id")


def service_list_for_vendor(*, vendor: Vendor) -> QuerySet[Service]:
    return service_list_public().filter(vendor=vendor).order_by("title", "id")


def service_list_owned(*, vendor: Vendor) -> QuerySet[Service]:
    """Every service of the vendor, published or not (the vendor's own view)."""
    return Service.objects.filter(vendor=vendor).select_related("category").order_by("title", "id")


def service_list_featured(*, limit: int = 6) -> list[Service]:
    return list(service_list_public().order_by("-rating_count", "-rating_average", "id")[:limit])


@dataclass
class SearchResults:
    """A page of a search, as every face shows it.

    ``services`` are public services in the engine's order, each with ``search_distance_m``
    (metres from the searched point, or None) and ``next_available_at`` set. ``total`` counts
    every hit up to ``search.engine.COUNT_LIMIT``; past it ``total_exact`` is false and the
    total is that limit ("1,000+"). ``facets`` are there when asked for.
    """

    criteria: SearchCriteria
    services: list[Service]
    total: int
    total_exact: bool
    facets: SearchFacets | None = None
    corrections: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchFacets:
    categories: list[FacetValue]
    pricing_models: list[FacetValue]
    price_bands: list[FacetValue]


def _facets_for_people(facets: Facets) -> SearchFacets:
    names = dict(category_list().filter(pk__in=list(facets.categories)).values_list("pk", "name"))
    pricing_labels = dict(PricingModel.choices)
    return SearchFacets(
        categories=sorted(
            (FacetValue(str(pk), names[pk], n) for pk, n in facets.categories.items() if pk in names),
            key=lambda f: (-f.count, f.label),
        ),
        pricing_models=[
            FacetValue(model, pricing_labels[model], facets.pricing_models[model])
            for model in PricingModel.values
            if facets.pricing_models.get(model)
        ],
        price_bands=[
            FacetValue(price_band_value(*PRICE_BANDS[band]), price_band_label(*PRICE_BANDS[band]), count)
            for band, count in sorted(facets.price_bands.items())
        ],
    )


def service_search(
    criteria: SearchCriteria, *, offset: int = 0, limit: int = 20, with_facets: bool = False, hydrate: bool = True
) -> SearchResults:
    """One page of public services matching ``criteria`` (``catalog.search.criteria.search_criteria``),
    found by the engine the settings choose (``catalog.search.engine``) and read back through
    ``service_list_public``. Availability (free on a date, the next available time) is added
    above, by ``bookings.search.service_find``: every face calls that, not this.

    ``hydrate=False`` leaves ``services`` empty, for a caller that reads only some of the hits
    back (``service_list_hydrated``).
    """
    found = search_engine().search(criteria, offset=offset, limit=limit, with_facets=with_facets)
    return SearchResults(
        criteria=criteria,
        services=service_list_hydrated(found.hits) if hydrate else [],
        total=found.total,
        total_exact=found.total_exact,
        facets=_facets_for_people(found.facets) if found.facets is not None else None,
        corrections=found.corrections,
        hits=found.hits,
    )


def service_autocomplete(prefix: str, *, limit: int = 8) -> list[str]:
    """Titles of public services for the search box, from the first letters typed."""
    prefix = (prefix or "").strip()[:QUERY_MAX_LENGTH]
    return search_engine().autocomplete(prefix, limit=limit) if prefix else []


def service_list_hydrated(hits, *, queryset: QuerySet[Service] | None = None) -> list[Service]:
    """Read a page of search hits again through ``queryset`` (default: public services with
    their vendor, category and rating), keeping the hits' order.

    Search backends return bare rows; every face that shows results needs them joined.
    A hit that is no longer in ``queryset`` (unpublished meanwhile) is dropped.
    """
    hits = list(hits)
    ids = [getattr(hit, "service_id", None) or hit.pk for hit in hits]
    found = {
        service.pk: service
        for service in (queryset if queryset is not None else service_list_public()).filter(pk__in=ids)
    }
    services = []
    for pk, hit in zip(ids, hits, strict=True):
        if pk in found:
            service = found[pk]
            service.search_distance_m = getattr(hit, "distance_m", None)
            service.next_available_at = getattr(hit, "next_available_at", None)
            services.append(service)
    return services


def price_description(service: Service) -> str:
    if service.pricing_model == PricingModel.HOURLY:
        return f"{service.base_price} / hour"
    if service.pricing_model == PricingModel.QUOTE:
        return f"From {service.base_price}" if service.base_price_minor else "On quote"
    return str(service.base_price)
