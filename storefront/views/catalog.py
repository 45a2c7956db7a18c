"""Finding and booking: search, the service page with live slots, and an organizer's public profile."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from marketplace.bookings.policy import takes_new_bookings
from marketplace.bookings.search import service_find
from marketplace.bookings.selectors import service_slots
from marketplace.bookings.services import booking_price_minor, booking_request
from marketplace.catalog.cancellation import cancellation_terms, policy_summary, terms_lines
from marketplace.catalog.models import PricingModel
from marketplace.catalog.search.criteria import SearchCriteria, Sort, search_criteria
from marketplace.catalog.selectors import (
    category_list,
    service_get_public,
    service_list_for_vendor,
)
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.money import Money, to_major_units
from marketplace.reviews.selectors import review_list_for_vendor, vendor_rating_summary
from marketplace.vendors.selectors import vendor_list_verified

from ..forms import BookingForm, SearchForm, SlotLengthForm
from ..seo import organizer_url
from .common import show_domain_error, visitor_time_zone
from .slots import group_slots_by_day

SLOT_DAYS = 14
SEARCH_PAGE_SIZE = 12
SEARCH_PAGE_MAX = 1000


def search(request):
    """Find services: /search/?q=&place=&free_on=&part_of_day=&category=&pricing=&min_price=&max_price=
    &min_rating=&sort=&page=, with facet counts to narrow by and each result's distance and next free time.

    A filter that is wrong (badly typed, or refused by ``search_criteria``: an unknown place, a past
    date, a price range the wrong way round) is shown next to its field and left out; the others
    still apply, so the page always answers with results.
    """
    categories = list(category_list())
    form = SearchForm(request.GET or None, categories=categories)
    form.is_valid()  # errors stay on the form; the valid filters still apply
    criteria = _search_criteria_showing_refusals(form)
    number = _page_number(request)
    results = service_find(criteria, page=number, page_size=SEARCH_PAGE_SIZE, with_facets=True)
    if not results.services and number > 1 and results.total:
        # Past the last page (an old link): show the last one, as Paginator.get_page does.
        number = max(1, -(-results.total // SEARCH_PAGE_SIZE))
        results = service_find(criteria, page=number, page_size=SEARCH_PAGE_SIZE, with_facets=True)
    # The selector pages itself: a paginator over the count alone gives the pagination its page numbers.
    page_obj = Paginator(range(results.total), SEARCH_PAGE_SIZE).get_page(number)
    category_slugs = {str(category.pk): category.slug for category in categories}
    # Times in the visitor's zone when known, else in each organizer's own (as the service page does).
    visitor_zone = visitor_time_zone(request, default="")
    for service in results.services:
        service.shown_time_zone = visitor_zone or service.vendor.time_zone
    return render(
        request,
        "storefront/search.html",
        {
            "form": form,
            "criteria": criteria,
            "query": criteria.text,
            "selected_category": next((c for c in categories if c.pk == criteria.category_id), None),
            "page_obj": page_obj,
            "services": results.services,
            "results_text": results_count_text(results.total, exact=results.total_exact),
            "corrected_query": corrected_query(criteria.text, results.corrections),
            "facets": _facet_links(request, results.facets, criteria, category_slugs),
            "place_name": criteria.place_name,
            "clear_place_url": _search_url(
                request,
                {"place": None, "latitude": None, "longitude": None}
                | ({"sort": None} if criteria.sort == Sort.DISTANCE else {}),
            ),
            "visitor_zone": visitor_zone,
            "currency": form.currency,
            "suggestions_url": reverse("api-v1:search_suggestions"),
        },
    )


# search_criteria's arguments -> the form field a refusal is shown on, and the arguments left out with it.
_LOCATION = ("place", "latitude", "longitude")
CRITERIA_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "q": ("q", ("q",)),
    "category_id": ("category", ("category_id",)),
    "pricing_model": ("pricing", ("pricing_model",)),
    "min_price_minor": ("min_price", ("min_price_minor",)),
    "max_price_minor": ("max_price", ("max_price_minor",)),
    "min_rating": ("min_rating", ("min_rating",)),
    "place": ("place", _LOCATION),
    "latitude": ("place", _LOCATION),
    "longitude": ("place", _LOCATION),
    "free_on": ("free_on", ("free_on", "part_of_day")),  # a part of the day means nothing without its date
    "part_of_day": ("part_of_day", ("part_of_day",)),
    "sort": ("sort", ("sort",)),
}
# The criteria name their arguments as the API does; the page names them as its fields do.
ARGUMENT_WORDS = {
    "min_price_minor": "the lowest price",
    "max_price_minor": "the highest price",
    "free_on": "the date",
    "part_of_day": "the time of day",
    "pricing_model": "the pricing",
    "min_rating": "the rating",
}


def _search_criteria_showing_refusals(form: SearchForm) -> SearchCriteria:
    """The criteria from the form's valid fields; each one ``search_criteria`` refuses is put on
    its field and left out, until what is left is accepted."""
    arguments = form.criteria_arguments()
    for _ in range(len(CRITERIA_FIELDS) + 1):
        try:
            return search_criteria(**arguments)
        except ValidationFailed as error:
            field, left_out = CRITERIA_FIELDS.get(error.field or "", (None, tuple(arguments)))
            form.add_error(field, _message_for_people(error.message))
            for name in left_out:
                arguments[name] = None
            if arguments["place"] is None and arguments["latitude"] is None and arguments["sort"] == Sort.DISTANCE:
                arguments["sort"] = None  # "Nearest" went with the place; its refusal would say so twice
    return search_criteria()


def _message_for_people(message: str) -> str:
    for argument, words in ARGUMENT_WORDS.items():
        message = message.replace(argument, words)
    return message[:1].upper() + message[1:]


def _page_number(request) -> int:
    """The asked page, from 1; a number past any count (the engine stops counting at 1,000) is cut."""
    try:
        return min(max(1, int(request.GET.get("page", 1))), SEARCH_PAGE_MAX)
    except (TypeError, ValueError):
        return 1


def results_count_text(total: int, *, exact: bool) -> str:
    """'1 result', '24 results', '1,000+ results' (a count the engine stopped at)."""
    if not exact:
        return f"{total:,}+ results"
    return f"{total:,} result{'' if total == 1 else 's'}"


def corrected_query(text: str, corrections: dict[str, str]) -> str:
    """The query as searched: each misspelt word replaced by the word searched for (empty: no corrections)."""
    if not corrections:
        return ""
    words = [corrections.get(word.lower(), word) for word in text.split()]
    return " ".join(words) if words else " ".join(corrections.values())


def _facet_links(request, facets, criteria: SearchCriteria, category_slugs: dict[str, str]) -> list[dict]:
    """The sidebar's facet groups: each value with its count and the address that picks it (or, when
    picked, drops it), and each group with the address that clears it; the other filters are kept.

    In the address the values are as the form names them: a category's slug, a price band as its
    lowest and highest price in the currency's main unit.
    """
    if facets is None:
        return []
    currency = settings.MARKETPLACE_CURRENCY

    def group(title: str, clear: dict, active: bool, values: list[tuple[str, int, dict, bool]]) -> dict:
        return {
            "title": title,
            "active": active,
            "clear_url": _search_url(request, clear),
            "values": [
                {
                    "label": label,
                    "count": count,
                    "selected": selected,
                    "url": _search_url(request, clear if selected else picks),
                }
                for label, count, picks, selected in values
            ],
        }

    bands = []
    for band in facets.price_bands:
        low_text, _, high_text = band.value.partition("-")
        low, high = int(low_text), int(high_text) if high_text else None
        # A band is [low, high) and the highest price filter includes its price: stop one minor unit short.
        highest = high - 1 if high is not None else None
        picks = {
            "min_price": str(to_major_units(low, currency)) if low else None,
            "max_price": str(to_major_units(highest, currency)) if highest is not None else None,
        }
        selected = (criteria.min_price_minor or 0) == low and criteria.max_price_minor == highest
        bands.append((band.label, band.count, picks, selected))
    groups = [
        group(
            "Category",
            {"category": None},
            criteria.category_id is not None,
            [
                (f.label, f.count, {"category": category_slugs[f.value]}, str(criteria.category_id) == f.value)
                for f in facets.categories
                if f.value in category_slugs
            ],
        ),
        group(
            "Pricing",
            {"pricing": None},
            criteria.pricing_model is not None,
            [
                (f.label, f.count, {"pricing": f.value}, criteria.pricing_model == f.value)
                for f in facets.pricing_models
            ],
        ),
        group(
            "Price",
            {"min_price": None, "max_price": None},
            criteria.min_price_minor is not None or criteria.max_price_minor is not None,
            bands,
        ),
    ]
    return [g for g in groups if g["values"] or g["active"]]


def _search_url(request, changes: dict) -> str:
    """This search's address with ``changes`` made (None removes a parameter), from its first page,
    without the parameters the form sent empty."""
    query = request.GET.copy()
    for key in ("page", *changes):
        query.pop(key, None)
    for key, value in changes.items():
        if value is not None:
            query[key] = value
    for key in [key for key, values in query.lists() if not any(value.strip() for value in values)]:
        del query[key]
    return f"{request.path}?{query.urlencode()}" if query else request.path


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
    url = organizer_url(vendor, request=request)  # their live portfolio, when they have one
    if url != request.path:
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
