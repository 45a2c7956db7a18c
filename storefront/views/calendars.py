"""Calendars: the organizer's subscribed feed of bookings and its page, the customer's .ics of a booking.

What a calendar event says and which bookings are in the feed are the domain's answers
(marketplace.bookings.calendar); the secret address is the vendors app's
(vendor_calendar_feed_reset / _turn_off, vendor_for_calendar_feed). These views only serve them.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_POST, require_safe

from marketplace.bookings.calendar import FEED_PAST_DAYS, booking_ics, vendor_calendar_feed
from marketplace.bookings.selectors import booking_get_for_user
from marketplace.core.errors import NotFound
from marketplace.vendors.selectors import vendor_for_calendar_feed
from marketplace.vendors.services import vendor_calendar_feed_reset, vendor_calendar_feed_turn_off

from .vendor_area import with_vendor

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
# Calendar apps poll on their own schedule (REFRESH-INTERVAL asks for an hour); a few minutes
# of caching spares us a burst of fetches without hiding a change for long.
FEED_MAX_AGE_SECONDS = 300


def _calendar_response(request, body: bytes, *, filename: str, max_age: int):
    """An iCalendar answer with an ETag of its bytes (a 304 when the client has them), never indexed."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    patch_cache_control(response, private=True, max_age=max_age)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def calendar_feed(request, token: str):
    """The organizer's bookings for calendar apps, by the secret in its address: no sign-in, 404 unless it is live."""
    vendor = vendor_for_calendar_feed(token=token)
    if vendor is None:
        raise Http404("No such calendar.")
    body = vendor_calendar_feed(vendor=vendor, site_url=settings.SITE_URL)
    return _calendar_response(request, body, filename="tidy-nest-bookings.ics", max_age=FEED_MAX_AGE_SECONDS)


def feed_addresses(vendor) -> dict[str, str]:
    """The feed's address for copying (https) and for opening in a calendar app (webcal)."""
    if not vendor.calendar_feed_token:
        return {}
    path = reverse("storefront:calendar_feed", kwargs={"token": vendor.calendar_feed_token})
    https = f"{settings.SITE_URL.rstrip('/')}{path}"
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@with_vendor
@require_safe
def vendor_calendar(request, vendor):
    return render(
        request,
        "storefront/vendor/calendar.html",
        {"vendor": vendor, "feed": feed_addresses(vendor), "past_days": FEED_PAST_DAYS, "nav": "calendar"},
    )


@with_vendor
@require_POST
def vendor_calendar_reset(request, vendor):
    had_feed = bool(vendor.calendar_feed_token)
    vendor_calendar_feed_reset(vendor_user=request.user)
    if had_feed:
        messages.success(request, "Your calendar has a new address. The old one has stopped working: subscribe again.")
    else:
        messages.success(request, "Your calendar address is ready. Add it to your calendar app.")
    return redirect("storefront:vendor_calendar")


@with_vendor
@require_POST
def vendor_calendar_turn_off(request, vendor):
    vendor_calendar_feed_turn_off(vendor_user=request.user)
    messages.success(request, "Your calendar address no longer works. Calendar apps will stop updating it.")
    return redirect("storefront:vendor_calendar")


@login_required
@require_safe
def booking_ics_download(request, booking_id: int):
    """The customer's booking as an .ics file: for that customer only (404 for anyone else)."""
    try:
        booking = booking_get_for_user(user=request.user, booking_id=booking_id)
    except NotFound as error:
        raise Http404(error.message) from error
    if booking.customer_id != request.user.pk:
        raise Http404("Booking not found.")
    body = booking_ics(booking, site_url=settings.SITE_URL)
    response = _calendar_response(request, body, filename=f"{booking.reference}.ics", max_age=0)
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return response
