"""Storefront views: finding services (catalog), the customer's bookings, and the organizer area."""

from .common import paginate

__all__ = ["paginate"]
