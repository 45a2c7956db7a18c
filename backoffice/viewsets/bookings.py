from backoffice.views.bookings import BookingIndexView, BookingInspectView
from backoffice.views.exports import BookingExportView
from marketplace.bookings.models import Booking

from .base import BOOKINGS, BackOfficeViewSet


class BookingViewSet(BackOfficeViewSet):
    """Every booking, read-only, with its payment and audit trail."""

    model = Booking
    name = BOOKINGS
    icon = "calendar"
    menu_label = "Bookings"
    index_view_class = BookingIndexView
    inspect_view_class = BookingInspectView
    export_view_class = BookingExportView
