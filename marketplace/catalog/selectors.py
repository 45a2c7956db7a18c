"""Reads for the catalog: what customers may see and search."""

from __future__ import annotations

from django.db.models import Avg, Count, QuerySet
from wagtail.search.backends import get_search_backend

from marketplace.core.audit import audit_log_for
from marketplace.core.models import AuditLogEntry
from marketplace.vendors.models import Vendor
from marketplace.vendors.policy import listed_filter

from .models import Category, PricingModel, Service


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


def service_search(
    *,
    query: str = "",
    category_id: int | None = None,
    pricing_model: str | None = None,
    min_price_minor: int | None = None,
    max_price_minor: int | None = None,
):
    """Full-text search over public services through Wagtail's search backend.

    Filters are applied by the backend (they are FilterFields), so the same call
    works on the database backend and on OpenSearch. Without a query the results
    are ordered by newest first.
    """
    queryset = Service.objects.filter(listed_filter("vendor__"), is_active=True)
    if category_id is not None:
        queryset = queryset.filter(category_id=category_id)
    if pricing_model:
        queryset = queryset.filter(pricing_model=pricing_model)
    if min_price_minor is not None:
        queryset = queryset.filter(base_price_minor__gte=min_price_minor)
    if max_price_minor is not None:
        queryset = queryset.filter(base_price_minor__lte=max_price_minor)
    # Wagtail's SQLite (FTS5) backend wraps the text in double quotes without escaping
    # the ones inside, so a stray quote is a syntax error (a 500). A plain-text search
    # gives quotes no meaning on any backend, so they are dropped.
    query = (query or "").replace('"', " ").strip()
    if not query:
        return queryset.select_related("vendor", "category").order_by("-created_at", "-id")
    return get_search_backend().search(query, queryset, operator="and")


def service_list_hydrated(hits, *, queryset: QuerySet[Service] | None = None) -> list[Service]:
    """Read a page of search hits again through ``queryset`` (default: public services with
    their vendor, category and rating), keeping the hits' order.

    Search backends return bare rows; every face that shows results needs them joined.
    A hit that is no longer in ``queryset`` (unpublished meanwhile) is dropped.
    """
    ids = [hit.pk for hit in hits]
    found = {
        service.pk: service
        for service in (queryset if queryset is not None else service_list_public()).filter(pk__in=ids)
    }
    return [found[pk] for pk in ids if pk in found]


def price_description(service: Service) -> str:
    if service.pricing_model == PricingModel.HOURLY:
        return f"{service.base_price} / hour"
    if service.pricing_model == PricingModel.QUOTE:
        return f"From {service.base_price}" if service.base_price_minor else "On quote"
    return str(service.base_price)
