"""Background jobs of the catalog. Each is safe to run twice."""

from .search.documents import search_index_refresh


def service_reindex(
    *, service_ids: list[int] | None = None, vendor_id: int | None = None, category_id: int | None = None
) -> int:
    """Refresh the search entries of some services, a vendor's or a category's; returns how many are indexed.

    Lower layers queue this by name when something services are found by changes (a
    vendor's verification, a category's name), so they never import the catalog; the
    catalog queues it when a service is saved or deleted (``catalog.apps``).
    """
    return search_index_refresh(service_ids=service_ids, vendor_id=vendor_id, category_id=category_id)
