"""Finding and booking: search, the service page with live slots, and an organizer's public profile."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from marketplace.bookings.policy import takes_new_bookings
from marketplace.bookings.selectors import service_slots
from marketplace.bookings.services import booking_price_minor, booking_request
from marketplace.catalog.cancellation import cancellation_terms, policy_summary, terms_lines
from marketplace.catalog.models import PricingModel
from marketplace.catalog.selectors import (
    category_list,
    service_get_public,
    service_list_for_vendor,
    service_list_hydrated,
    service_search,
)
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.money import Money
from marketplace.reviews.selectors import review_list_for_vendor, vendor_rating_summary
from marketplace.vendors.selectors import vendor_list_verified

from ..forms import BookingForm, SearchForm, SlotLengthForm
from .common import paginate, show_domain_error, visitor_time_zone
from .slots import group_slots_by_day

SLOT_DAYS = 14
SEARCH_PAGE_SIZE = 12


def search(request):
    """Full-text search with category and pricing filters: /search/?q=&category=&pricing=."""
    categories = list(category_list())
    form = SearchForm(request.GET or None, categories=categories)
    form.is_valid()  # invalid filters are shown on the form and ignored; valid ones still apply
    data = getattr(form, "cleaned_data", {})
    query = data.get("q") or ""
    category = data.get("category")
    pricing = data.get("pricing") or None
    results = service_search(query=query, category_id=category.pk if category else None, pricing_model=pricing)
    page_obj = paginate(request, results, per_page=SEARCH_PAGE_SIZE)
    services = service_list_hydrated(page_obj.object_list)
    return render(
        request,
        "storefront/search.html",
        {
            "form": form,
            "query": query,
            "selected_category": category,
            "selected_pricing": pricing,
            "page_obj": page_obj,
            "services": services,
            "categories": categories,
            "pricing_choices": PricingModel.choices,
        },
    )


@require_http_methods(["GET", "POST"])
def service_detail(request, service_id: int, slug: str):
    """The service, its cancellation terms, organizer and reviews, two weeks of free slots, and the booking form."""
    service = service_get_public(service_id=service_id)
    if service is None:
        raise Http404("Service not found.")
    if slug != service.slug:
        return redirect("storefront:service_detail", service_id=service.pk, slug=service.slug, permanent=True)
    vendor = service.vendor
    user = request.user
    is_hourly = service.pricing_model == PricingModel.HOURLY

    form = BookingForm(service=service)
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_customer:
            messages.error(request, "Only customer accounts can book services.")
            return redirect(request.path)
        form = BookingForm(request.POST, service=service)
        if form.is_valid():
            try:
                booking = booking_request(
                    customer=user,
                    service_id=service.pk,
                    starts_at=form.cleaned_data["starts_at"],
                    address=form.cleaned_data["address"],
                    duration_minutes=form.cleaned_data.get("duration_minutes"),
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                show_domain_error(form, error)
            else:
                if booking.price_minor is None:
                    messages.success(
                        request,
                        f"Request sent to {vendor.business_name}. They will send you a quote; "
                        "you pay only when you accept it.",
                    )
                    return redirect("storefront:booking_detail", booking_id=booking.pk)
                return redirect("storefront:booking_pay", booking_id=booking.pk)

    # The length of an hourly booking decides which start times fit.
    length_form = SlotLengthForm(request.GET or None, service=service) if is_hourly else None
    duration = service.duration_minutes
    if is_hourly:
        posted = getattr(form, "cleaned_data", {}).get("duration_minutes")
        if posted:
            duration = posted
        elif length_form.is_bound and length_form.is_valid() and length_form.cleaned_data["duration"]:
            duration = length_form.cleaned_data["duration"]
    # Shown in the customer's own time zone, the organizer's noted beside it.
    zone = ZoneInfo(visitor_time_zone(request, default=vendor.time_zone))
    first_day = timezone.now().astimezone(zone).date()
    last_day = first_day + timedelta(days=SLOT_DAYS - 1)
    window = {"service": service, "first_day": first_day, "last_day": last_day, "time_zone": zone.key}
    try:
        found = service_slots(**window, duration_minutes=duration)
    except ValidationFailed:
        found = service_slots(**window)
    duration = found.duration_minutes
    slot_days = group_slots_by_day(found.slots, zone=zone, first_day=first_day, days=SLOT_DAYS)

    estimate = booking_price_minor(service=service, duration_minutes=duration)
    reviews = list(review_list_for_vendor(vendor=vendor)[:5])
    takes_bookings = takes_new_bookings(vendor)
    return render(
        request,
        "storefront/service_detail.html",
        {
            "service": service,
            "vendor": vendor,
            "form": form,
            "length_form": length_form,
            "duration": duration,
            "estimate": Money(estimate, service.currency) if estimate is not None else None,
            "slot_days": slot_days,
            "slot_count": len(found.slots),
            "selected_slot": form.data.get("starts_at", "") if form.is_bound else "",
            "open_day": _open_day(slot_days, form),
            "time_zone": found.time_zone,
            "organizer_time_zone": found.organizer_time_zone,
            "rating": vendor_rating_summary(vendor=vendor),
            "cancellation_summary": policy_summary(service.cancellation_policy),
            "cancellation_lines": terms_lines(cancellation_terms(service.cancellation_policy)),
            "reviews": reviews,
            "more_services": list(service_list_for_vendor(vendor=vendor).exclude(pk=service.pk)[:3]),
            "can_book": user.is_authenticated and user.is_customer and takes_bookings.allowed,
            "not_taking_bookings": "" if takes_bookings else takes_bookings.refusal.message,
            "login_url": f"{reverse('account_login')}?next={request.path}",
            "signup_url": f"{reverse('account_signup')}?next={request.path}",
        },
    )


def _open_day(slot_days: list[dict], form) -> str:
    """The day shown open: the one holding the picked slot, else the first day with free times."""
    picked = form.data.get("starts_at", "") if form.is_bound else ""
    for day in slot_days:
        for _, items in day["periods"]:
            if any(item["value"] == picked for item in items):
                return day["key"]
    return next((day["key"] for day in slot_days if day["count"]), "")


def vendor_detail(request, slug: str):
    """An organizer's public profile, for organizers without a portfolio page in the CMS."""
    vendor = vendor_list_verified().filter(slug=slug).first()
    if vendor is None:
        raise Http404("Organizer not found.")
    page = getattr(vendor, "portfolio_page", None)  # the reverse one-to-one may not exist
    if page is not None and page.live:
        url = page.get_url(request=request)
        if url:
            return redirect(url)
    return render(
        request,
        "storefront/vendor_detail.html",
        {
            "vendor": vendor,
            "services": service_list_for_vendor(vendor=vendor),
            "reviews": review_list_for_vendor(vendor=vendor)[:10],
            "rating": vendor_rating_summary(vendor=vendor),
        },
    )
