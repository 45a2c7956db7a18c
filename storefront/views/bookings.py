"""The customer's bookings: list, detail, checkout, confirm completion, cancel, move, review.

What a booking allows and what happens to its money are the booking policy's answers
(marketplace.bookings.policy, marketplace.reviews.policy); these views only word them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.bookings import policy
from marketplace.bookings.calendar import google_calendar_link, offers_calendar_event
from marketplace.bookings.models import BookingStatus
from marketplace.bookings.policy import WaitingFor
from marketplace.bookings.selectors import booking_get_for_user, booking_list_for_user
from marketplace.bookings.services import (
    PaymentOutcome,
    booking_cancel,
    booking_confirm_completion,
    booking_pay,
    booking_payment_action,
    booking_payment_authenticate_locally,
    booking_payment_confirm,
    booking_reschedule,
    booking_reschedule_answer,
)
from marketplace.catalog.cancellation import CancellationPolicy, terms_lines
from marketplace.catalog.models import PricingModel
from marketplace.core.errors import DomainError, NotFound, PaymentFailed
from marketplace.payments.models import TransactionStatus
from marketplace.payments.policy import payment_of
from marketplace.reviews.policy import can_review, review_of
from marketplace.reviews.services import review_create

from ..forms import (
    TEST_PAYMENT_METHODS,
    CancelForm,
    LocalAuthenticationForm,
    PaymentConfirmForm,
    PaymentForm,
    ProposalAnswerForm,
    RescheduleForm,
    ReviewForm,
)
from ..security import stripe_js_url
from .common import customer_required, not_found_from, paginate, show_domain_error, visitor_time_zone
from .disputes import ACCOUNT, dispute_context
from .slots import local_time_text, move_picker


def _own_booking(request, booking_id: int):
    try:
        return booking_get_for_user(user=request.user, booking_id=booking_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _next_step(booking, user) -> str:
    """One line telling the customer what happens next."""
    wait = policy.waiting_for(booking)
    if wait == WaitingFor.QUOTE:
        return f"{booking.vendor.business_name} is preparing your quote."
    if wait == WaitingFor.PAYMENT:
        return "Pay to secure this time."
    if wait == WaitingFor.QUOTE_PAYMENT:
        return "Your quote is ready: pay to confirm."
    if wait == WaitingFor.ANSWER:
        return f"Paid and held in escrow. Waiting for {booking.vendor.business_name} to accept."
    if booking.status == BookingStatus.DISPUTED:
        return "A problem was reported: the payment is on hold until our support team decides."
    if booking.status == BookingStatus.CONFIRMED:
        if policy.can_answer_proposal(booking, user=user):
            return f"{booking.vendor.business_name} asks to move this booking to another time: accept or decline it."
        if policy.can_confirm_completion(booking, user=user):
            return "Was the work done? Confirm it to release the payment."
        return "Confirmed. Your organizer will see you then."
    if can_review(booking, user=user):
        return "Completed. How did it go? Leave a review."
    return ""


@customer_required
def booking_list(request):
    bookings = booking_list_for_user(user=request.user)
    open_bookings = list(bookings.filter(status__in=policy.OPEN_STATUSES).order_by("starts_at", "id"))
    history = paginate(request, bookings.exclude(status__in=policy.OPEN_STATUSES), per_page=10)
    return render(
        request,
        "storefront/account/booking_list.html",
        {
            "open_bookings": [(booking, _next_step(booking, request.user)) for booking in open_bookings],
            "history": history,
            "history_rows": [(booking, _next_step(booking, request.user)) for booking in history.object_list],
            "time_zone": request.user.time_zone,
        },
    )


def _progress(booking) -> list[tuple[str, str]]:
    """The four steps of a booking with 'done', 'current' or '' for each; empty once it is closed."""
    if booking.status in policy.CLOSED_STATUSES:
        return []
    paid = policy.is_paid(booking)
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


def _terms(booking) -> dict:
    """The booking's own cancellation terms (copied from the service when it was made), in words."""
    return {
        "terms_policy": CancellationPolicy(booking.cancellation_terms["policy"]).label,
        "terms_lines": terms_lines(booking.cancellation_terms),
    }


def _move_context(request, booking, reschedule_form) -> dict:
    """Moving the booking: the free times to move it to while the policy allows, and the organizer's open proposal."""
    user = request.user
    zone = visitor_time_zone(request, default=booking.vendor.time_zone)
    can_reschedule = policy.can_reschedule(booking, user=user)
    picked = reschedule_form.data.get("starts_at", "") if reschedule_form.is_bound else ""
    return {
        "can_reschedule": can_reschedule,
        "reschedule_deadline": policy.reschedule_deadline(booking) if can_reschedule else None,
        "move": move_picker(booking=booking, zone=ZoneInfo(zone), day=request.GET.get("move_day"), picked=picked)
        if can_reschedule
        else None,
        "reschedule_form": reschedule_form,
        "can_answer_proposal": policy.can_answer_proposal(booking, user=user),
    }


def _detail_context(request, booking, **forms) -> dict:
    user = request.user
    can_confirm = policy.can_confirm_completion(booking, user=user)
    can_cancel = policy.can_cancel(booking, user=user)
    return {
        **_move_context(request, booking, forms.get("reschedule_form") or RescheduleForm()),
        "booking": booking,
        "progress": _progress(booking),
        "is_closed": booking.status in policy.CLOSED_STATUSES,
        "next_step": _next_step(booking, user),
        "time_zone": user.time_zone,
        "money": policy.money_outlook(booking, audience="customer"),
        "can_pay": policy.can_pay(booking, user=user),
        "can_cancel": can_cancel,
        "cancellation": policy.cancellation_preview(booking, user=user) if can_cancel else None,
        **_terms(booking),
        "can_confirm": can_confirm,
        "confirmation_preview": policy.confirmation_preview(booking) if can_confirm else "",
        "can_review": can_review(booking, user=user),
        "review": review_of(booking),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "review_form": forms.get("review_form") or ReviewForm(),
        "payment_window_minutes": settings.BOOKING_PAYMENT_WINDOW_MINUTES,
        "calendar_links": offers_calendar_event(booking),
        "google_calendar_url": google_calendar_link(booking, site_url=settings.SITE_URL),
        **dispute_context(user, booking, area=ACCOUNT),
    }


@customer_required
def booking_detail(request, booking_id: int):
    booking = _own_booking(request, booking_id)
    return render(request, "storefront/account/booking_detail.html", _detail_context(request, booking))


@customer_required
@require_http_methods(["GET", "POST"])
def booking_checkout(request, booking_id: int):
    """Pay the booking's full price into escrow: a card entered in Stripe Elements with Stripe, a test card locally."""
    booking = _own_booking(request, booking_id)
    verdict = policy.can_pay(booking, user=request.user)
    if not verdict:
        # A paid booking has moved on from the checkout; saying so beats naming its new status.
        messages.info(request, "This booking is already paid." if policy.is_paid(booking) else verdict.refusal.message)
        return redirect("storefront:booking_detail", booking_id=booking.pk)

    if request.method == "GET" and booking_payment_action(customer=request.user, booking_id=booking.pk):
        # A card already waits for the customer's bank: paying again would answer the same step.
        return redirect("storefront:booking_pay_authenticate", booking_id=booking.pk)
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = booking_pay(
                customer=request.user, booking_id=booking.pk, payment_method=form.cleaned_data["payment_method"]
            )
        except PaymentFailed as error:
            form.add_error(None, f"{error.message} No money was taken. Try another card.")
        except DomainError as error:
            not_found_from(error)
            messages.error(request, error.message)
            return redirect("storefront:booking_detail", booking_id=booking.pk)
        else:
            return _after_payment(request, outcome)

    # With Stripe configured for the browser the customer types their card into Stripe Elements;
    # otherwise they choose one of the local gateway's test cards (the form asks the same helper).
    stripe_js = stripe_js_url()
    return render(
        request,
        "storefront/account/checkout.html",
        {
            "booking": booking,
            "form": form,
            "card_entry": form.card_entry,
            "stripe_js_url": stripe_js,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if stripe_js else "",
            # Stripe's test-mode keys start so; its test card numbers then work and no card is charged.
            "test_mode": settings.STRIPE_PUBLISHABLE_KEY.startswith("pk_test_") if stripe_js else False,
            "test_cards": []
            if form.card_entry
            else [
                {"value": value, "label": label, "description": description, "radio": radio}
                for (value, label, description), radio in zip(TEST_PAYMENT_METHODS, form["payment_method"], strict=True)
            ],
            "time_zone": request.user.time_zone,
            "payment_deadline": policy.payment_deadline(booking) if booking.quoted_at is None else None,
            **_terms(booking),
        },
    )


def _after_payment(request, outcome: PaymentOutcome):
    """Where the customer goes once they paid: their bank's 3-D Secure step, or the booking, saying what happened."""
    booking = outcome.booking
    if outcome.requires_action:
        return redirect("storefront:booking_pay_authenticate", booking_id=booking.pk)
    if booking.status == BookingStatus.CONFIRMED:
        messages.success(request, f"Payment received: {booking.price} is held in escrow. Your booking is confirmed.")
    else:
        messages.success(
            request,
            f"Payment authorised: {booking.price} is held on your card, not taken yet. "
            f"{booking.vendor.business_name} will accept or decline your request; your card is "
            "charged only if they accept, and the hold is released if they decline.",
        )
    return redirect("storefront:booking_detail", booking_id=booking.pk)


@customer_required
@require_GET
def booking_pay_authenticate(request, booking_id: int):
    """The "Authenticate your payment" step: Stripe.js with Stripe, the bank's stand-in with the local gateway."""
    booking = _own_booking(request, booking_id)
    action = booking_payment_action(customer=request.user, booking_id=booking.pk)
    if action is None:  # finished meanwhile (or never asked): the booking page says where the payment stands
        if not policy.is_paid(booking) and policy.can_pay(booking, user=request.user):
            return redirect("storefront:booking_pay", booking_id=booking.pk)
        return redirect("storefront:booking_detail", booking_id=booking.pk)
    stripe_js = stripe_js_url() if action.gateway == "stripe" else ""
    return render(
        request,
        "storefront/account/payment_authenticate.html",
        {
            "booking": booking,
            "action": action,
            "stripe_js_url": stripe_js,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if stripe_js else "",
            "local_step": action.gateway == "local",
            "time_zone": request.user.time_zone,
        },
    )


def _confirmed(request, booking_id: int, confirm) -> object:
    """Run a confirmation of the 3-D Secure step and answer it: paid, failed (pay again), or still waiting."""
    try:
        outcome = confirm()
    except PaymentFailed as error:
        messages.error(request, f"{error.message} Try another card.")
        return redirect("storefront:booking_pay", booking_id=booking_id)
    except DomainError as error:
        not_found_from(error)
        messages.error(request, error.message)
        return redirect("storefront:booking_detail", booking_id=booking_id)
    if outcome.requires_action:
        messages.info(request, "Your bank has not confirmed the payment yet. Finish the authentication below.")
    return _after_payment(request, outcome)


@customer_required
@require_POST
def booking_pay_confirm(request, booking_id: int):
    """Back from the 3-D Secure step (Stripe.js posts here): the booking is paid only if the gateway says so."""
    booking = _own_booking(request, booking_id)
    form = PaymentConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That payment could not be found. Please pay again.")
        return redirect("storefront:booking_detail", booking_id=booking.pk)
    return _confirmed(
        request,
        booking.pk,
        lambda: booking_payment_confirm(
            customer=request.user, booking_id=booking.pk, payment_reference=form.cleaned_data["payment_reference"]
        ),
    )


@customer_required
@require_POST
def booking_pay_local_step(request, booking_id: int):
    """The local gateway's stand-in for the bank's challenge (Approve / Fail). Exists only with the local gateway."""
    if settings.PAYMENTS_GATEWAY != "local":
        raise Http404("There is no local payment step with this payment gateway.")
    booking = _own_booking(request, booking_id)
    form = LocalAuthenticationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That payment could not be found. Please pay again.")
        return redirect("storefront:booking_detail", booking_id=booking.pk)
    return _confirmed(
        request,
        booking.pk,
        lambda: booking_payment_authenticate_locally(
            customer=request.user,
            booking_id=booking.pk,
            payment_reference=form.cleaned_data["payment_reference"],
            approve=form.cleaned_data["decision"] == "approve",
        ),
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
        booking = _own_booking(request, booking.pk)
        messages.success(
            request, f"Thank you for confirming. {policy.release_sentence(booking)} Tell others how it went below."
        )
    return redirect("storefront:booking_detail", booking_id=booking.pk)


def _refund_changed(form, booking, user) -> bool:
    """Whether the refund differs from the one the cancel step showed (a refund tier ended meanwhile).

    The customer confirmed the amount on the page; cancelling for less would surprise them.
    The form then says so, and the page shows the new amounts to confirm again.
    """
    shown = form.cleaned_data.get("expected_refund_minor")
    preview = policy.cancellation_preview(booking, user=user)
    if shown is None or not preview.verdict or shown == preview.customer_gets_back.minor:
        return False
    form.add_error(
        None,
        f"The refund has changed since you opened this page: cancelling now gives you back "
        f"{preview.customer_gets_back}. Check the amounts below and confirm again to cancel.",
    )
    return True


def _cancelled_message(booking) -> str:
    """What the customer is told once the booking is cancelled, from the payment as it now stands."""
    payment = payment_of(booking)
    if payment is None:
        return "Booking cancelled. Nothing was charged."
    if payment.status in (TransactionStatus.AUTHORIZED, TransactionStatus.VOIDED):
        return f"Booking cancelled. Nothing was charged: the hold of {payment.amount} on your card is released."
    if payment.refunded_minor == payment.amount_minor:
        return f"Booking cancelled. Your payment of {payment.amount} is refunded in full."
    if not payment.refunded_minor:
        return f"Booking cancelled. Under the booking's cancellation terms, none of your {payment.amount} is refunded."
    return (
        f"Booking cancelled. {payment.refunded} of your {payment.amount} is refunded, "
        "under the booking's cancellation terms."
    )


@customer_required
@require_POST
def booking_cancel_view(request, booking_id: int):
    """Cancel after the cancel step showed the refund; if the refund changed since, show it again instead."""
    booking = _own_booking(request, booking_id)
    form = CancelForm(request.POST)
    if not form.is_valid() or _refund_changed(form, booking, request.user):
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
        messages.success(request, _cancelled_message(booking))
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


@customer_required
@require_POST
def booking_reschedule_view(request, booking_id: int):
    """Move the booking to one of the free times the page offered, while its policy allows."""
    booking = _own_booking(request, booking_id)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            booking = booking_reschedule(
                user=request.user, booking_id=booking.pk, starts_at=form.cleaned_data["starts_at"]
            )
        except DomainError as error:
            not_found_from(error)
            if not policy.can_reschedule(booking, user=request.user):
                # The window closed (or the booking changed) meanwhile: no form to show the error on.
                messages.error(request, error.message)
                return redirect("storefront:booking_detail", booking_id=booking.pk)
            show_domain_error(form, error)
        else:
            zone = visitor_time_zone(request, default=booking.vendor.time_zone)
            messages.success(
                request,
                f"Booking moved to {local_time_text(booking.starts_at, zone)}. "
                f"{booking.vendor.business_name} has been told; your calendar file has the new time.",
            )
            return redirect("storefront:booking_detail", booking_id=booking.pk)
    return render(
        request, "storefront/account/booking_detail.html", _detail_context(request, booking, reschedule_form=form)
    )


@customer_required
@require_POST
def booking_proposal_answer_view(request, booking_id: int):
    """Accept the organizer's proposed time (the booking moves, if it is still free) or decline it."""
    booking = _own_booking(request, booking_id)
    form = ProposalAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Accept or Decline.")
        return redirect("storefront:booking_detail", booking_id=booking.pk)
    accept = form.cleaned_data["answer"] == "accept"
    try:
        booking = booking_reschedule_answer(customer=request.user, booking_id=booking.pk, accept=accept)
    except DomainError as error:
        not_found_from(error)
        messages.error(request, error.message)
    else:
        if accept:
            zone = visitor_time_zone(request, default=booking.vendor.time_zone)
            messages.success(request, f"Booking moved to {local_time_text(booking.starts_at, zone)}.")
        else:
            messages.success(
                request,
                "The proposed time is declined; the booking stays as it is. "
                f"{booking.vendor.business_name} has been told.",
            )
    return redirect("storefront:booking_detail", booking_id=booking.pk)
