"""The organizer's external calendars (Google, Outlook/Exchange, Apple): list, add, remove, refresh now.

A calendar is added by its secret iCal address; its busy times then block the organizer's
slots and bookings. The address is never shown back in full (only its scheme and host).
The rules live in marketplace.availability.calendars; these routes parse, call and answer.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from marketplace.availability.calendars import (
    calendar_state,
    external_calendar_add,
    external_calendar_get,
    external_calendar_list_for_vendor,
    external_calendar_refresh_request,
    external_calendar_remove,
    mask_url,
)
from marketplace.availability.errors import CalendarAddressRefused, CalendarNotFound
from marketplace.availability.models import ExternalCalendar
from marketplace.core.errors import ValidationFailed
from marketplace.vendors.errors import NoVendorProfile
from marketplace.vendors.selectors import vendor_for_user

from ..contract import raises
from ..pagination import PageOut, PageQuery, paginate
from ..schemas import ObjectId
from ..security import jwt_auth

router = Router(tags=["vendors"], auth=jwt_auth)


class CalendarIn(Schema):
    name: str = Field(description="What you call this calendar (e.g. Work, Family), up to 80 characters.")
    url: str = Field(
        description="The calendar's secret address in iCal format (https://, http:// or webcal://), "
        "from Google Calendar, Outlook/Exchange or Apple iCloud's sharing settings."
    )


class CalendarOut(Schema):
    id: int
    name: str
    address: str = Field(description="The address masked: its scheme and host only (the rest is the secret).")
    status: str = Field(description="pending (not read yet), ok (the last read was good) or error.")
    status_text: str = Field(
        description="The status in words, with the reason of a failed read and the last good read."
    )
    last_error: str = Field(description="Why the last read failed, in words; empty when it did not.")
    last_fetched_at: datetime | None = Field(description="The last read, good or not.")
    last_good_at: datetime | None = Field(description="The last good read; its busy times block your slots.")
    refresh_minutes: int = Field(description="How often the calendar is read again.")
    created_at: datetime

    @staticmethod
    def resolve_address(obj: ExternalCalendar) -> str:
        return mask_url(obj.url)

    @staticmethod
    def resolve_status(obj: ExternalCalendar) -> str:
        return calendar_state(obj).code

    @staticmethod
    def resolve_status_text(obj: ExternalCalendar) -> str:
        return calendar_state(obj).sentence


class CalendarPage(PageOut):
    results: list[CalendarOut]


def _own_vendor(request):
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet: create one with POST /api/v1/vendors/profile.")
    return vendor


@router.get("/me/calendars", response={200: CalendarPage})
@raises(NoVendorProfile)
def list_calendars(request, page: Query[PageQuery]):
    """Your external calendars by name, each with its status (and why a read failed)."""
    return paginate(request, external_calendar_list_for_vendor(vendor=_own_vendor(request)), page)


@router.post("/me/calendars", response={201: CalendarOut})
@raises(ValidationFailed, CalendarAddressRefused, NoVendorProfile)
def add_calendar(request, payload: CalendarIn):
    """Add a calendar by its secret iCal address; it is read at once, then every CALENDAR_REFRESH_MINUTES.

    An address that is not http(s) (webcal:// is read as https://) or that points at a private
    network is refused (400 `calendar_address_refused`) and nothing is stored.
    """
    vendor = _own_vendor(request)
    calendar = external_calendar_add(vendor=vendor, name=payload.name, url=payload.url, actor=request.auth)
    return Status(201, external_calendar_get(vendor=vendor, calendar_id=calendar.pk))


@router.post("/me/calendars/{calendar_id}/refresh", response={202: CalendarOut})
@raises(CalendarNotFound, NoVendorProfile)
def refresh_calendar(request, calendar_id: ObjectId):
    """Read the calendar again now (in the background: its status changes when the read is done)."""
    vendor = _own_vendor(request)
    calendar = external_calendar_refresh_request(vendor=vendor, calendar_id=calendar_id)
    return Status(202, external_calendar_get(vendor=vendor, calendar_id=calendar.pk))


@router.delete("/me/calendars/{calendar_id}", response={204: None})
@raises(CalendarNotFound, NoVendorProfile)
def remove_calendar(request, calendar_id: ObjectId):
    """Remove a calendar; its busy times stop blocking your slots at once."""
    external_calendar_remove(vendor=_own_vendor(request), calendar_id=calendar_id, actor=request.auth)
    return Status(204, None)
