"""Organizer jobs (django-q2). Each is safe to run twice."""

from __future__ import annotations

from .documents import vendor_documents_expiry_run


def vendor_documents_expiry() -> dict[str, int]:
    """Remind organizers of documents about to expire and hide those whose required document expired (hourly)."""
    return vendor_documents_expiry_run()
