"""The organizer's booking rules (notice, horizon, start times, daily cap, buffers) and their days off.

Both pages only parse and show: the rules, their defaults and every check are the domain's
(``availability.limits`` and ``availability.services``).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.availability.limits import booking_rule_values
from marketplace.availability.selectors import exception_list_upcoming
from marketplace.availability.services import (
    EXCEPTION_RANGE_MAX_DAYS,
    availability_exception_add,
    availability_exception_remove,
    availability_exceptions_add_range,
    booking_rules_update,
)
from marketplace.core.errors import DomainError

from ..forms import BookingRulesForm, DaysOffForm, ExtraHoursForm, rule_value_text
from .common import not_found_from, show_domain_error
from .vendor_area import with_vendor

# The services' field names, as the days-off form calls them.
DAY_OFF_FIELDS = {"date": "first_date"}


@with_vendor
@require_http_methods(["GET", "POST"])
def booking_rules(request, vendor):
    form = BookingRulesForm(request.POST or None, initial=BookingRulesForm.initial_from_vendor(vendor))
    if request.method == "POST" and form.is_valid():
        try:
            booking_rules_update(vendor=vendor, actor=request.user, **form.rule_changes())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, "Booking rules saved. New bookings follow them; booked jobs keep their times.")
            return redirect("storefront:vendor_booking_rules")
    return render(
        request,
        "storefront/vendor/booking_rules.html",
        {
            "vendor": vendor,
            "form": form,
            "rule_rows": [
                {
                    "name": name,
                    "label": form.fields[name].label,
                    "own": None if rule.own is None else rule_value_text(name, rule.own),
                    "default": rule_value_text(name, rule.default),
                    "effective": rule_value_text(name, rule.effective),
                }
                for name, rule in booking_rule_values(vendor).items()
            ],
            "nav": "booking_rules",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _days_off_page(request, vendor, *, days_off_form=None, extra_hours_form=None):
    bound = [form for form in (days_off_form, extra_hours_form) if form is not None]
    return render(
        request,
        "storefront/vendor/days_off.html",
        {
            "vendor": vendor,
            "exceptions": exception_list_upcoming(vendor=vendor),
            "days_off_form": days_off_form or DaysOffForm(),
            "extra_hours_form": extra_hours_form or ExtraHoursForm(),
            "range_max_days": EXCEPTION_RANGE_MAX_DAYS,
            "nav": "days_off",
        },
        status=400 if any(form.errors for form in bound) else 200,
    )


@with_vendor
@require_http_methods(["GET", "POST"])
def days_off(request, vendor):
    """The upcoming days off and extra hours; a POST closes a day, or every day of a vacation."""
    if request.method != "POST":
        return _days_off_page(request, vendor)
    form = DaysOffForm(request.POST)
    if form.is_valid():
        first, last, note = form.cleaned_data["first_date"], form.cleaned_data["last_date"], form.cleaned_data["note"]
        try:
            if last is None or last == first:
                availability_exception_add(vendor=vendor, on_date=first, note=note)
                added = 1
            else:
                added = len(
                    availability_exceptions_add_range(vendor=vendor, first_date=first, last_date=last, note=note)
                )
        except DomainError as error:
            show_domain_error(form, error, fields=DAY_OFF_FIELDS)
        else:
            if last is None or last == first:
                messages.success(request, f"{first.day} {first:%B %Y} is a day off: no one can book you then.")
            else:
                messages.success(
                    request,
                    f"{first.day} {first:%B %Y} to {last.day} {last:%B %Y} are days off "
                    f"({added} added): no one can book you then.",
                )
            return redirect("storefront:vendor_days_off")
    return _days_off_page(request, vendor, days_off_form=form)


@with_vendor
@require_POST
def extra_hours(request, vendor):
    form = ExtraHoursForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            availability_exception_add(
                vendor=vendor,
                on_date=data["date"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                is_available=True,
                note=data["note"],
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            on_date = data["date"]
            messages.success(
                request,
                f"Extra hours on {on_date.day} {on_date:%B %Y}, {data['start_time']:%H:%M} to "
                f"{data['end_time']:%H:%M}: customers can book them now.",
            )
            return redirect("storefront:vendor_days_off")
    return _days_off_page(request, vendor, extra_hours_form=form)


@with_vendor
@require_POST
def day_off_remove(request, vendor, exception_id: int):
    try:
        availability_exception_remove(vendor=vendor, exception_id=exception_id)
    except DomainError as error:
        not_found_from(error)
        raise
    messages.success(request, "Removed: your weekly hours apply on that day again.")
    return redirect("storefront:vendor_days_off")
