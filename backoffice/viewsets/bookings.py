from django.urls import path

from backoffice.views.bookings import (
    BookingCancelView,
    BookingIndexView,
    BookingInspectView,
    BookingMoveView,
    BookingRefundView,
)
from backoffice.views.exports import BookingExportView
from marketplace.bookings.models import Booking

from .base import BOOKINGS, BackOfficeViewSet


class BookingViewSet(BackOfficeViewSet):
    """Every booking, with its payment and audit trail; staff cancel, move and refund from it."""

    model = Booking
    name = BOOKINGS
    icon = "calendar"
    menu_label = "Bookings"
    index_view_class = BookingIndexView
    inspect_view_class = BookingInspectView
    export_view_class = BookingExportView

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            cancel_url_name=f"{self.url_namespace}:cancel",
            move_url_name=f"{self.url_namespace}:move",
            refund_url_name=f"{self.url_namespace}:refund",
            **kwargs,
        )

    def get_urlpatterns(self):
        inspect = f"{self.url_namespace}:inspect"
        return super().get_urlpatterns() + [
            path("cancel/<int:pk>/", self.construct_view(BookingCancelView, inspect_url_name=inspect), name="cancel"),
            path("move/<int:pk>/", self.construct_view(BookingMoveView, inspect_url_name=inspect), name="move"),
            path("refund/<int:pk>/", self.construct_view(BookingRefundView, inspect_url_name=inspect), name="refund"),
        ]
