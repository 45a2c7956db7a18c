"""The organizer area: bookings to answer (with each booking's money timeline), profile, services and weekly hours."""

from __future__ import annotations

from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.availability.services import WeeklyWindow, availability_rules_replace
from marketplace.bookings import policy
from marketplace.bookings.models import BookingStatus
from marketplace.bookings.selectors import (
    booking_cancellations_by_organizer,
    booking_get_for_user,
    booking_list_for_user,
)
from marketplace.bookings.services import (
    booking_accept,
    booking_cancel,
    booking_decline,
    booking_quote,
    booking_reschedule_propose,
)
from marketplace.catalog.models import PricingModel
from marketplace.catalog.selectors import category_list, service_list_owned
from marketplace.catalog.services import service_create, service_update
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.money import Money, to_major_units
from marketplace.payments.selectors import vendor_earnings
from marketplace.payments.timeline import booking_money_timeline
from marketplace.reviews.selectors import vendor_rating_summary
from marketplace.vendors.models import VerificationStatus
from marketplace.vendors.selectors import vendor_for_user
from marketplace.vendors.services import vendor_profile_upsert

from ..forms import (
    AcceptForm,
    CancelForm,
    DeclineForm,
    QuoteForm,
    RescheduleProposalForm,
    ServiceForm,
    VendorProfileForm,
    WeeklyHoursForm,
)
from .common import not_found_from, paginate, show_domain_error, vendor_required
from .disputes import VENDOR, dispute_context
from .slots import local_time_text, move_picker

SERVICE_FIELDS = {"base_price_minor": "price", "category_id": "category"}


def with_vendor(view):
    """An organizer with a profile; without one, the profile form comes first."""

    @vendor_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        vendor = vendor_for_user(user=request.user)
        if vendor is None:
            messages.info(request, "Tell customers about your business first: create your organizer profile.")
            return redirect("storefront:vendor_profile")
        return view(request, vendor, *args, **kwargs)

    return wrapper


def _back(request, default: str):
    """Return to the page the action came from, if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@with_vendor
def dashboard(request, vendor):
    now = timezone.now()
    bookings = booking_list_for_user(user=request.user)
    requests = [
        (booking, policy.waiting_for(booking))
        for booking in bookings.filter(status=BookingStatus.REQUESTED).order_by("starts_at", "id")
    ]
    to_answer = [(booking, wait) for booking, wait in requests if wait in policy.ORGANIZER_MOVES]
    waiting = [(booking, wait) for booking, wait in requests if wait not in policy.ORGANIZER_MOVES]
    upcoming = bookings.filter(status=BookingStatus.CONFIRMED, starts_at__gte=now).order_by("starts_at", "id")
    past = paginate(
        request,
        bookings.exclude(status=BookingStatus.REQUESTED).exclude(status=BookingStatus.CONFIRMED, starts_at__gte=now),
        per_page=10,
    )
    earnings = vendor_earnings(vendor=vendor)
    currency = settings.MARKETPLACE_CURRENCY
    return render(
        request,
        "storefront/vendor/dashboard.html",
        {
            "vendor": vendor,
            "to_answer": to_answer,
            "waiting": waiting,
            "upcoming": list(upcoming[:20]),
            "past": past,
            "paid_out": Money(earnings["paid_out_minor"], currency),
            "in_escrow": Money(earnings["in_escrow_minor"], currency),
            "payout_waiting": Money(earnings["payout_waiting_minor"], currency),
            "rating": vendor_rating_summary(vendor=vendor),
            "cancellations": booking_cancellations_by_organizer(vendor=vendor),
            "service_count": service_list_owned(vendor=vendor).filter(is_active=True).count(),
            "has_hours": vendor.availability_rules.exists(),
            "decline_form": DeclineForm(),
            "quote_form": QuoteForm(currency=currency),
            "accept_form": AcceptForm(),
            "time_zone": vendor.time_zone,
            "nav": "dashboard",
        },
    )


def _vendor_booking(request, booking_id: int):
    try:
        return booking_get_for_user(user=request.user, booking_id=booking_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _booking_detail_page(request, vendor, booking, *, proposal_form=None):
    can_cancel = policy.can_cancel(booking, user=request.user)
    can_propose = policy.can_propose_reschedule(booking, user=request.user)
    proposal_form = proposal_form or RescheduleProposalForm()
    picked = proposal_form.data.get("starts_at", "") if proposal_form.is_bound else ""
    return render(
        request,
        "storefront/vendor/booking_detail.html",
        {
            "vendor": vendor,
            "booking": booking,
            "state": policy.waiting_for(booking) or "",
            "money": policy.money_outlook(booking, audience="vendor"),
            "timeline": booking_money_timeline(booking=booking, audience="organizer"),
            "can_cancel": can_cancel,
            "cancellation": policy.cancellation_preview(booking, user=request.user) if can_cancel else None,
            "can_decline": policy.can_decline(booking, user=request.user),
            "decline_form": DeclineForm(),
            "quote_form": QuoteForm(currency=booking.currency),
            "accept_form": AcceptForm(),
            "cancel_form": CancelForm(),
            # Another time, in the organizer's own zone: the customer answers the proposal.
            "can_propose": can_propose,
            "move": move_picker(
                booking=booking, zone=ZoneInfo(vendor.time_zone), day=request.GET.get("move_day"), picked=picked
            )
            if can_propose
            else None,
            "proposal_form": proposal_form,
            "time_zone": vendor.time_zone,
            "nav": "dashboard",
            **dispute_context(request.user, booking, area=VENDOR),
        },
    )


@with_vendor
def booking_detail(request, vendor, booking_id: int):
    return _booking_detail_page(request, vendor, _vendor_booking(request, booking_id))


@with_vendor
@require_POST
def booking_propose_view(request, vendor, booking_id: int):
    """Propose another of the free times to the customer; the booking moves only if they accept."""
    booking = _vendor_booking(request, booking_id)
    form = RescheduleProposalForm(request.POST)
    if form.is_valid():
        try:
            booking = booking_reschedule_propose(
                vendor_user=request.user,
                booking_id=booking.pk,
                starts_at=form.cleaned_data["starts_at"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            not_found_from(error)
            if not policy.can_propose_reschedule(booking, user=request.user):
                messages.error(request, error.message)
                return redirect("storefront:vendor_booking", booking_id=booking.pk)
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                f"You proposed {local_time_text(booking.proposed_starts_at, vendor.time_zone)} to "
                f"{booking.customer.get_full_name() or 'the customer'}. The booking moves if they accept.",
            )
            return redirect("storefront:vendor_booking", booking_id=booking.pk)
    return _booking_detail_page(request, vendor, booking, proposal_form=form)


def _booking_action(request, booking_id: int, form_class, action, success: str, *, form_kwargs=None):
    """Run one organizer action on a booking and come back with its outcome as a message.

    ``form_kwargs(booking)``, if given, is what the form needs beyond the posted data.
    """
    booking = _vendor_booking(request, booking_id)
    form = form_class(request.POST, **(form_kwargs(booking) if form_kwargs else {}))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            action(booking, form.cleaned_data)
        except DomainError as error:
            not_found_from(error)
            messages.error(request, error.message)
        else:
            messages.success(request, success.format(booking=booking, customer=booking.customer))
    return _back(request, default=reverse("storefront:vendor_booking", args=[booking.pk]))


@with_vendor
@require_POST
def booking_accept_view(request, vendor, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        AcceptForm,
        lambda booking, data: booking_accept(vendor_user=request.user, booking_id=booking.pk, note=data["note"]),
        "Booking {booking.reference} accepted. {customer} has been told.",
    )


@with_vendor
@require_POST
def booking_decline_view(request, vendor, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        DeclineForm,
        lambda booking, data: booking_decline(vendor_user=request.user, booking_id=booking.pk, reason=data["reason"]),
        "Request {booking.reference} declined. Any payment is refunded to the customer in full.",
    )


@with_vendor
@require_POST
def booking_quote_view(request, vendor, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        QuoteForm,
        lambda booking, data: booking_quote(
            vendor_user=request.user,
            booking_id=booking.pk,
            price_minor=data["price"],
            note=data["note"],
        ),
        "Quote sent for {booking.reference}. The booking is confirmed when {customer} pays it.",
        form_kwargs=lambda booking: {"currency": booking.currency},
    )


@with_vendor
@require_POST
def booking_cancel_view(request, vendor, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        CancelForm,
        lambda booking, data: booking_cancel(user=request.user, booking_id=booking.pk, reason=data["reason"]),
        "Booking {booking.reference} cancelled. Any payment is refunded to the customer in full; "
        "the cancellation counts against you.",
    )


def _profile_initial(vendor) -> dict:
    if vendor is None:
        return {"time_zone": "America/New_York", "service_radius_km": 25}
    profile = getattr(vendor, "profile", None)
    return {
        "business_name": vendor.business_name,
        "tagline": vendor.tagline,
        "bio": vendor.bio,
        "city": vendor.city,
        # Empty for profiles made before places were named: the form asks for one on the next save.
        "place": vendor.service_area_place,
        "service_radius_km": vendor.service_radius_km,
        "time_zone": vendor.time_zone,
        "phone": profile.phone if profile else "",
        "website": profile.website if profile else "",
        "years_in_business": profile.years_in_business if profile else None,
        "certifications": "\n".join(profile.certifications) if profile else "",
    }


@vendor_required
@require_http_methods(["GET", "POST"])
def profile(request):
    vendor = vendor_for_user(user=request.user)
    form = VendorProfileForm(request.POST or None, initial=_profile_initial(vendor))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        was_rejected = vendor is not None and vendor.verification_status == VerificationStatus.REJECTED
        try:
            vendor, created = vendor_profile_upsert(
                user=request.user,
                service_area_geojson=vendor.service_area_geojson if vendor else None,
                **data,
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            if created:
                messages.success(
                    request, "Profile submitted. Our team reviews new organizers, usually within one business day."
                )
                return redirect("storefront:vendor_dashboard")
            if was_rejected:
                messages.success(request, "Profile updated and sent back for review.")
            else:
                messages.success(request, "Profile saved.")
            return redirect("storefront:vendor_profile")
    return render(
        request,
        "storefront/vendor/profile.html",
        {"vendor": vendor, "form": form, "nav": "profile"},
    )


@with_vendor
def service_list(request, vendor):
    return render(
        request,
        "storefront/vendor/service_list.html",
        {"vendor": vendor, "services": service_list_owned(vendor=vendor), "nav": "services"},
    )


@with_vendor
@require_http_methods(["GET", "POST"])
def service_new(request, vendor):
    categories = list(category_list())
    form = ServiceForm(
        request.POST or None,
        categories=categories,
        currency=settings.MARKETPLACE_CURRENCY,
        initial={"pricing_model": PricingModel.FIXED},
    )
    if request.method == "POST" and form.is_valid():
        try:
            service = service_create(user=request.user, **form.service_values())
        except DomainError as error:
            show_domain_error(form, error, fields=SERVICE_FIELDS)
        else:
            messages.success(request, f"'{service.title}' is published. Customers can find and book it now.")
            return redirect("storefront:vendor_services")
    return render(
        request,
        "storefront/vendor/service_form.html",
        {"vendor": vendor, "form": form, "service": None, "nav": "services"},
    )


@with_vendor
@require_http_methods(["GET", "POST"])
def service_edit(request, vendor, service_id: int):
    service = service_list_owned(vendor=vendor).filter(pk=service_id).first()
    if service is None:
        raise Http404("Service not found.")
    initial = {
        "title": service.title,
        "category": str(service.category_id),
        "summary": service.summary,
        "description": service.description,
        "pricing_model": service.pricing_model,
        "price": to_major_units(service.base_price_minor, service.currency),
        "duration_minutes": service.duration_minutes,
        "allowed_durations": service.allowed_durations,
        "instant_booking": service.instant_booking,
        "cancellation_policy": service.cancellation_policy,
        "is_active": service.is_active,
    }
    form = ServiceForm(
        request.POST or None,
        categories=list(category_list()),
        editing=True,
        currency=service.currency,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            service = service_update(user=request.user, service_id=service.pk, **form.service_values())
        except DomainError as error:
            not_found_from(error)
            show_domain_error(form, error, fields=SERVICE_FIELDS)
        else:
            messages.success(request, f"'{service.title}' is saved.")
            return redirect("storefront:vendor_services")
    return render(
        request,
        "storefront/vendor/service_form.html",
        {"vendor": vendor, "form": form, "service": service, "nav": "services"},
    )


@with_vendor
@require_http_methods(["GET", "POST"])
def weekly_hours(request, vendor):
    initial = WeeklyHoursForm.initial_from_rules(vendor.availability_rules.all())
    form = WeeklyHoursForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        windows = [WeeklyWindow(weekday=d, start_time=s, end_time=e) for d, s, e in form.cleaned_data["windows"]]
        try:
            availability_rules_replace(vendor=vendor, windows=windows, actor=request.user)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            if windows:
                messages.success(request, "Weekly hours saved. Customers see the new times right away.")
            else:
                messages.warning(request, "Weekly hours cleared: customers cannot book you until you add some.")
            return redirect("storefront:vendor_hours")
    return render(
        request,
        "storefront/vendor/hours.html",
        {"vendor": vendor, "form": form, "nav": "hours"},
    )
