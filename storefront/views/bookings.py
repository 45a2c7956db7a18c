"""The customer's bookings: list, detail, checkout, confirm completion, cancel, review."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.bookings.models import BookingStatus
from marketplace.bookings.selectors import booking_get_for_user, booking_list_for_user
from marketplace.bookings.services import booking_cancel, booking_confirm_completion, booking_pay
from marketplace.catalog.models import PricingModel
from marketplace.core.errors import DomainError, NotFound, PaymentFailed
from marketplace.reviews.services import review_create

from ..forms import TEST_PAYMENT_METHODS, CancelForm, PaymentForm, ReviewForm
from .common import customer_required, not_found_from, paginate, show_domain_error

OPEN_STATUSES = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.DISPUTED)


def _own_booking(request, booking_id: int):
    try:
        return booking_get_for_user(user=request.user, booking_id=booking_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _is_paid(booking) -> bool:
    return hasattr(booking, "transaction")


def _can_pay(booking) -> bool:
    return (
        booking.status == BookingStatus.REQUESTED
        and booking.price_minor is not None
        and not _is_paid(booking)
        and booking.starts_at > timezone.now()
    )


def _next_step(booking) -> str:
    """One line telling the customer what happens next."""
    now = timezone.now()
    if booking.status == BookingStatus.REQUESTED:
        if booking.price_minor is None:
            return f"{booking.vendor.business_name} is preparing your quote."
        if not _is_paid(booking):
            return "Pay to secure this time." if not booking.quoted_at else "Your quote is ready: pay to confirm."
        return f"Paid and held in escrow. Waiting for {booking.vendor.business_name} to accept."
    if booking.status == BookingStatus.CONFIRMED:
        if booking.starts_at > now:
            return "Confirmed. Your organizer will see you then."
        return "Was the work done? Confirm it to release the payment."
    if booking.status == BookingStatus.COMPLETED and not hasattr(booking, "review"):
        return "Completed. How did it go? Leave a review."
    return ""


@customer_required
def booking_list(request):
    bookings = booking_list_for_user(user=request.user)
    open_bookings = list(bookings.filter(status__in=OPEN_STATUSES).order_by("starts_at", "id"))
    history = paginate(request, bookings.exclude(status__in=OPEN_STATUSES), per_page=10)
    return render(
        request,
        "storefront/account/booking_list.html",
        {
            "open_bookings": [(booking, _next_step(booking)) for booking in open_bookings],
            "history": history,
            "history_rows": [(booking, _next_step(booking)) for booking in history.object_list],
            "time_zone": request.user.time_zone,
        },
    )


CLOSED_STATUSES = (BookingStatus.DECLINED, BookingStatus.EXPIRED, BookingStatus.CANCELLED, BookingStatus.REFUNDED)


def _progress(booking) -> list[tuple[str, str]]:
    """The four steps of a booking with 'done', 'current' or '' for each; empty once it is closed."""
    if booking.status in CLOSED_STATUSES:
        return []
    paid = _is_paid(booking)
    completed = booking.status == BookingStatus.COMPLETED
    if booking.service.pricing_model == PricingModel.QUOTE:
        done = [True, booking.quoted_at is not None, paid, completed]
        labels = ["Requested", "Quote received", "Paid", "Completed"]
    else:
        confirmed = booking.confirmed_at is not None or completed
        done = [True, paid, confirmed, completed]
        labels = ["Requested", "Paid", "Confirmed", "Completed"]
    current = done.index(False) if False in done else -1
    return [
        (label, "done" if is_done else ("current" if index == current else ""))
        for index, (label, is_done) in enumerate(zip(labels, done, strict=True))
    ]


def _detail_context(request, booking, **forms) -> dict:
    now = timezone.now()
    return {
        "booking": booking,
        "progress": _progress(booking),
        "is_closed": booking.status in CLOSED_STATUSES,
        "next_step": _next_step(booking),
        "time_zone": request.user.time_zone,
        "can_pay": _can_pay(booking),
        "can_cancel": booking.status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED) and booking.starts_at > now,
        "can_confirm": booking.status == BookingStatus.CONFIRMED and booking.starts_at <= now,
        "can_review": booking.status == BookingStatus.COMPLETED and not hasattr(booking, "review"),
        "review": getattr(booking, "review", None),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "review_form": forms.get("review_form") or ReviewForm(),
        "payment_window_minutes": settings.BOOKING_PAYMENT_WINDOW_MINUTES,
    }


@customer_required
def booking_detail(request, booking_id: int):
    booking = _own_booking(request, booking_id)
    return render(request, "storefront/account/booking_detail.html", _detail_context(request, booking))


@customer_required
@require_http_methods(["GET", "POST"])
def booking_checkout(request, booking_id: int):
    """Pay the booking's full price into escrow with one of the local gateway's test cards."""
    booking = _own_booking(request, booking_id)
    if not _can_pay(booking):
        if _is_paid(booking):
            messages.info(request, "This booking is already paid.")
        elif booking.price_minor is None:
            messages.info(request, "The organizer has not sent a quote yet. You can pay once they do.")
        else:
            messages.info(request, "This booking can no longer be paid.")
        return redirect("storefront:booking_detail", booking_id=booking.pk)

    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking = booking_pay(
                customer=request.user, booking_id=booking.pk, payment_method=form.cleaned_data["payment_method"]
            )
        except PaymentFailed as error:
            form.add_error(None, f"{error.message} No money was taken. Try another card.")
        except DomainError as error:
            not_found_from(error)
            messages.error(request, error.message)
            return redirect("storefront:booking_detail", booking_id=booking.pk)
        else:
            if booking.status == BookingStatus.CONFIRMED:
                messages.success(
                    request,
                    f"Payment received: {booking.price} is held in escrow. Your booking is confirmed.",
                )
            else:
                messages.success(
                    request,
                    f"Payment received: {booking.price} is held in escrow. "
                    f"{booking.vendor.business_name} will accept or decline your request; "
                    "if they decline you are refunded in full.",
                )
            return redirect("storefront:booking_detail", booking_id=booking.pk)

    payment_deadline = None
    if booking.quoted_at is None:
        payment_deadline = booking.created_at + timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES)
    return render(
        request,
        "storefront/account/checkout.html",
        {
            "booking": booking,
            "form": form,
            "test_cards": [
                {"value": value, "label": label, "description": description, "radio": radio}
                for (value, label, description), radio in zip(TEST_PAYMENT_METHODS, form["payment_method"], strict=True)
            ],
            "time_zone": request.user.time_zone,
            "payment_deadline": payment_deadline,
        },
    )


@customer_required
@require_POST
def booking_confirm(request, booking_id: int):
    booking = _own_booking(request, booking_id)
    try:
        booking_confirm_completion(customer=request.user, booking_id=booking.pk)
    except DomainError as error:
        not_found_from(error)
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Thank you for confirming. The payment is released to {booking.vendor.business_name}. "
            "Tell others how it went below.",
        )
    return redirect("storefront:booking_detail", booking_id=booking.pk)


@customer_required
@require_POST
def booking_cancel_view(request, booking_id: int):
    booking = _own_booking(request, booking_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "storefront/account/booking_detail.html",
            _detail_context(request, booking, cancel_form=form),
        )
    try:
        booking = booking_cancel(user=request.user, booking_id=booking.pk, reason=form.cleaned_data["reason"])
    except DomainError as error:
        not_found_from(error)
        messages.error(request, error.message)
    else:
        booking = _own_booking(request, booking.pk)
        if _is_paid(booking):
            messages.success(request, f"Booking cancelled. Your payment of {booking.price} is refunded in full.")
        else:
            messages.success(request, "Booking cancelled. Nothing was charged.")
    return redirect("storefront:booking_detail", booking_id=booking.pk)


@customer_required
@require_POST
def booking_review(request, booking_id: int):
    booking = _own_booking(request, booking_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "storefront/account/booking_detail.html",
            _detail_context(request, booking, review_form=form),
        )
    try:
        review_create(customer=request.user, booking_id=booking.pk, **form.cleaned_data)
    except DomainError as error:
        not_found_from(error)
        if error.field:
            show_domain_error(form, error)
            return render(
                request,
                "storefront/account/booking_detail.html",
                _detail_context(request, booking, review_form=form),
            )
        messages.error(request, error.message)
    else:
        messages.success(request, "Thank you! Your review is published on the organizer's page.")
    return redirect("storefront:booking_detail", booking_id=booking.pk)
