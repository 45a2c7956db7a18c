"""The organizer's external calendars: add one by its secret address, see how each read went, read again, remove."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.availability.calendars import (
    calendar_state,
    external_calendar_add,
    external_calendar_list_for_vendor,
    external_calendar_refresh_request,
    external_calendar_remove,
    mask_url,
)
from marketplace.core.errors import DomainError

from ..forms import ExternalCalendarForm
from .common import not_found_from, show_domain_error
from .vendor_area import with_vendor


@with_vendor
@require_http_methods(["GET", "POST"])
def external_calendars(request, vendor):
    form = ExternalCalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = external_calendar_add(
                vendor=vendor, name=form.cleaned_data["name"], url=form.cleaned_data["url"], actor=request.user
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"{calendar.name} is added: its busy times now block your slots.")
            return redirect("storefront:vendor_external_calendars")
    rows = [
        (calendar, mask_url(calendar.url), calendar_state(calendar))
        for calendar in external_calendar_list_for_vendor(vendor=vendor)
    ]
    return render(
        request,
        "storefront/vendor/external_calendars.html",
        {"vendor": vendor, "nav": "external_calendars", "form": form, "rows": rows},
        status=400 if form.is_bound and form.errors else 200,
    )


@with_vendor
@require_POST
def external_calendar_refresh(request, vendor, calendar_id: int):
    try:
        calendar = external_calendar_refresh_request(vendor=vendor, calendar_id=calendar_id)
    except DomainError as error:
        not_found_from(error)
        raise
    messages.info(request, f"{calendar.name} is being read again; its status changes when the read is done.")
    return redirect("storefront:vendor_external_calendars")


@with_vendor
@require_POST
def external_calendar_remove_view(request, vendor, calendar_id: int):
    try:
        external_calendar_remove(vendor=vendor, calendar_id=calendar_id, actor=request.user)
    except DomainError as error:
        not_found_from(error)
        raise
    messages.success(request, "The calendar is removed: its busy times no longer block your slots.")
    return redirect("storefront:vendor_external_calendars")
