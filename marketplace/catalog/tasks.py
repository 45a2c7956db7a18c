"""Background jobs of the catalog. Each is safe to run twice."""

from wagtail.search import index

from .models import Service


def service_reindex(*, vendor_id: int | None = None, category_id: int | None = None) -> int:
    """Refresh the search entries of a vendor's or a category's services; returns how many.

    Lower layers queue this by name when something services are found by changes (a
    vendor's verification, a category's name), so they never import the catalog.
    """
    services = Service.objects.select_related("vendor", "category")
    if vendor_id is not None:
        services = services.filter(vendor_id=vendor_id)
    if category_id is not None:
        services = services.filter(category_id=category_id)
    count = 0
    for service in services:
        index.insert_or_update_object(service)
        count += 1
    return count
