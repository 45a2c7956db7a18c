"""The booking lifecycle: one function per transition.

Each opens a transaction, locks the booking row, asks the booking policy whether the
actor may make the move (the same answer the faces show), changes the booking and
its money together through the money service, writes the audit log, and queues
notifications. A refused move raises a DomainError and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.availability.limits import BookingRules, duration_text
from marketplace.availability.schedule import Refusal
from marketplace.catalog.cancellation import cancellation_terms
from marketplace.catalog.errors import ServiceNotFound
from marketplace.catalog.limits import MAX_PRICE_MINOR
from marketplace.catalog.models import PricingModel, Service
from marketplace.core.audit import audit_log
from marketplace.core.db import unit_of_work
from marketplace.core.errors import DomainError, NotFound, PaymentFailed, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.metrics import record_booking_requested
from marketplace.core.models import AuditLogEntry
from marketplace.core.money import Money, divide_round_half_up
from marketplace.core.validation import clean_text
from marketplace.payments import services as payments
from marketplace.payments.errors import PaymentProcessing
from marketplace.payments.models import MovementState, TransactionStatus
from marketplace.payments.policy import payment_of
from marketplace.payments.selectors import captured_on_acceptance
from marketplace.vendors.models import Vendor

from .calendar import calendar_fields_changed
from .errors import CustomersOnly, OutsideAvailability, SlotUnavailable
from .models import Booking, BookingStatus, CancelledBy
from .policy import (
    CLOSED_STATUSES,
    SUSPENSION_CUSTOMER_REASON,
    SuspensionStep,
    can_accept,
    can_answer_proposal,
    can_cancel,
    can_confirm_completion,
    can_confirm_payment,
    can_decline,
    can_pay,
    can_propose_reschedule,
    can_quote,
    can_reschedule,
    cancellation_refund,
    confirms_on_payment,
    is_due_for_automatic_completion,
    request_deadline,
    suspension_step,
    takes_new_bookings,
    transition_verdict,
)
from .selectors import schedule_for_start

ADDRESS_MAX_LENGTH = 255
NOTE_MAX_LENGTH = 2000


def _notify(booking: Booking, event: str, occurrence: int | None = None) -> None:
    """Queue the booking's ``event`` email; ``occurrence`` tells apart the times an event can happen again (a move)."""
    if occurrence is None:
        enqueue("marketplace.notifications.tasks.send_booking_notification", booking.pk, event)
    else:
        enqueue("marketplace.notifications.tasks.send_booking_notification", booking.pk, event, occurrence)


def _lock(booking_id: int) -> Booking:
    """The booking, locked for the rest of the unit of work.

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: the money service, holding a payment's lock,
    inserts rows that point at the booking (a payout), which takes a key-share lock on it.
    A full update lock would block that insert while the booking's holder waits for the
    payment: a deadlock (found by tests/disputes/test_dispute_races.py). We never change a
    booking's key, so the weaker lock keeps every booking step serialised all the same.
    """
    booking = (
        Booking.objects.select_for_update(of=("self",), no_key=True)
        .select_related("service__category", "vendor__user", "customer")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise NotFound("Booking not found.")
    return booking


def _save(booking: Booking, *fields: str) -> None:
    """Save the changed fields (and ``updated_at``); a change a calendar shows raises its SEQUENCE."""
    booking.save(update_fields=calendar_fields_changed(booking, [*fields, "updated_at"]))


def _move(
    booking: Booking, to_status: str, *, actor: User | None, reason: str = "", audit_data: dict | None = None, **fields
) -> None:
    """Apply one transition from BOOKING_TRANSITIONS and log it (``audit_data`` adds to the entry's data)."""
    transition_verdict(booking, to_status).require()
    previous = booking.status
    booking.status = to_status
    for name, value in fields.items():
        setattr(booking, name, value)
    _save(booking, "status", *fields)
    audit_log(
        actor=actor,
        action=f"booking.{to_status}",
        target=booking,
        reason=reason,
        data={"from": previous, "to": to_status, **(audit_data or {})},
    )


# The answers a response time is the median of: the last 12 months', from the third on.
RESPONSE_WINDOW_DAYS = 365
RESPONSE_MIN_ANSWERS = 3


def organizer_figures_refresh(*, vendor_id: int) -> None:
    """Work out again the organizer's trust figures the pages show (``Vendor.jobs_completed``,
    ``Vendor.response_minutes``), from their bookings: called as a booking completes and as the
    organizer answers a request, in the same transaction.

    A request waited for the organizer from when it was paid (a request to confirm) or made (a
    quote request, or one declined unpaid) until ``answered_at``; the figure is the median wait
    over the last ``RESPONSE_WINDOW_DAYS``, rounded up to the minute.
    """
    bookings = Booking.objects.filter(vendor_id=vendor_id)
    jobs = bookings.filter(completed_at__isnull=False).count()
    since = timezone.now() - timedelta(days=RESPONSE_WINDOW_DAYS)
    waits = sorted(
        answered - (paid if paid is not None and quoted is None else created)
        for created, paid, quoted, answered in bookings.filter(answered_at__gte=since)
        .order_by()
        .values_list("created_at", "paid_at", "quoted_at", "answered_at")
    )
    minutes = None
    if len(waits) >= RESPONSE_MIN_ANSWERS:
        middle = len(waits) // 2
        median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
        minutes = max(1, math.ceil(max(median.total_seconds(), 0) / 60))
    Vendor.objects.filter(pk=vendor_id).update(jobs_completed=jobs, response_minutes=minutes)


def booking_price_minor(*, service: Service, duration_minutes: int) -> int | None:
    """Fixed: the price. Hourly: rate x hours, rounded half-up to the cent. Quote: not yet known."""
    if service.pricing_model == PricingModel.FIXED:
        return service.base_price_minor
    if service.pricing_model == PricingModel.HOURLY:
        return divide_round_half_up(service.base_price_minor * duration_minutes, 60)
    return None


def _refused(refusal: Refusal, rules: BookingRules) -> DomainError:
    """The error a person reads when the organizer's schedule refuses a start (``Schedule.refusal``)."""
    field = {"field": "starts_at"}
    match refusal:
        case Refusal.PAST:
            return ValidationFailed("That time is in the past.", **field)
        case Refusal.NOTICE:
            return ValidationFailed(f"This organizer needs at least {rules.notice_text} of notice.", **field)
        case Refusal.HORIZON:
            return ValidationFailed(f"This organizer takes bookings up to {rules.horizon_days} days ahead.", **field)
        case Refusal.OUTSIDE_HOURS:
            return OutsideAvailability("The organizer is not available at that time.")
        case Refusal.OFF_STEP:
            step = duration_text(int(rules.step.total_seconds() // 60))
            return ValidationFailed(
                f"Bookings with this organizer start every {step} from the start of their hours: "
                "choose one of the times offered.",
                **field,
            )
        case Refusal.DAY_FULL:
            return SlotUnavailable(
                f"The organizer takes at most {rules.daily_cap} job{'' if rules.daily_cap == 1 else 's'} a day and "
                "that day is full. Please choose another day."
            )
        case Refusal.BOOKED:
            return SlotUnavailable("That time is already booked. Please choose another slot.")
        case Refusal.BUSY:
            return SlotUnavailable("The organizer is busy at that time. Please choose another slot.")
    raise AssertionError(refusal)


def _aware(starts_at: datetime) -> datetime:
    if timezone.is_naive(starts_at):
        raise ValidationFailed(
            "starts_at must include a time zone offset, e.g. 2026-12-01T10:00:00-05:00.", field="starts_at"
        )
    return starts_at


def _check_start(
    *, vendor: Vendor, starts_at: datetime, length: timedelta, moving: Booking | None = None
) -> BookingRules:
    """Refuse, with the reason, a start the organizer's schedule does not offer now; their rules if it does."""
    schedule = schedule_for_start(vendor=vendor, starts_at=starts_at, moving=moving)
    refusal = schedule.refusal(starts_at, length)
    if refusal is not None:
        raise _refused(refusal, schedule.rules)
    return schedule.rules


def booking_request(
    *,
    customer: User,
    service_id: int,
    starts_at: datetime,
    address: str,
    duration_minutes: int | None = None,
    note: str = "",
) -> Booking:
    """A customer asks for a service at a time.

    The start must be one the organizer's schedule offers now (``bookings.selectors.
    vendor_schedule``): inside their hours, on their slot step, within their notice and
    horizon, on a day below their daily cap, and, with the buffers before and after, clear of
    their active bookings and the busy times of their own calendars. The slot is held while
    the request is open; an unpaid request expires after the payment window.
    """
    if not customer.is_customer:
        raise CustomersOnly("Only customer accounts can book services.")
    _aware(starts_at)
    if not (address or "").strip():
        raise ValidationFailed("The address where the work takes place is required.", field="address")
    address = clean_text(address, field="address", label="The address", max_length=ADDRESS_MAX_LENGTH)
    note = clean_text(note, field="note", label="The note", max_length=NOTE_MAX_LENGTH, multiline=True)
    with unit_of_work():
        service = Service.objects.select_related("vendor", "category").filter(pk=service_id).first()
        if service is None or not service.is_bookable:
            raise ServiceNotFound("Service not found or not taking bookings.")
        # Serialize bookings of one vendor (PostgreSQL); SQLite's IMMEDIATE transaction already does.
        vendor = Vendor.objects.select_for_update().get(pk=service.vendor_id)
        takes_new_bookings(vendor).require()
        duration = service.booking_length(duration_minutes)
        rules = _check_start(vendor=vendor, starts_at=starts_at, length=timedelta(minutes=duration))
        ends_at = starts_at + timedelta(minutes=duration)
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    customer=customer,
                    vendor=vendor,
                    service=service,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    busy_from=starts_at - rules.buffer_before,
                    busy_until=ends_at + rules.buffer_after,
                    price_minor=booking_price_minor(service=service, duration_minutes=duration),
                    currency=service.currency,
                    address=address,
                    customer_note=note,
                    cancellation_terms=cancellation_terms(service.cancellation_policy),
                )
        except IntegrityError:
            # The PostgreSQL exclusion constraint caught a concurrent booking.
            raise SlotUnavailable("That time is already booked. Please choose another slot.") from None
        audit_log(actor=customer, action="booking.requested", target=booking)
        record_booking_requested()
        _notify(booking, "requested")
    return booking


# --- Moving a booking -------------------------------------------------------------------------


def _lock_with_vendor(booking_id: int) -> tuple[Booking, Vendor]:
    """The booking and its organizer, locked in the order booking_request takes them (organizer first).

    Holding the organizer's row serialises a move with every new booking of theirs (PostgreSQL;
    SQLite's IMMEDIATE transaction does it anyway), so the slot check and the write see the same week.
    """
    vendor_id = Booking.objects.filter(pk=booking_id).values_list("vendor_id", flat=True).first()
    if vendor_id is None:
        raise NotFound("Booking not found.")
    vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
    return _lock(booking_id), vendor


def _reschedule(booking: Booking, vendor: Vendor, starts_at: datetime, *, actor: User, reason: str, by: str) -> Booking:
    """Move the booking to ``starts_at``, keeping its length and its money; the schedule must offer the new time.

    The booking's own time does not count against the move (``moving``), so it can shift by
    less than its length. The new busy range takes the organizer's buffers as they stand now.
    """
    length = booking.ends_at - booking.starts_at
    rules = _check_start(vendor=vendor, starts_at=starts_at, length=length, moving=booking)
    if starts_at == booking.starts_at:
        raise ValidationFailed("The booking is already at that time.", field="starts_at")
    previous = booking.starts_at
    booking.starts_at = starts_at
    booking.ends_at = starts_at + length
    booking.busy_from = starts_at - rules.buffer_before
    booking.busy_until = booking.ends_at + rules.buffer_after
    booking.proposed_starts_at = None
    booking.proposal_note = ""
    try:
        with transaction.atomic():
            _save(booking, "starts_at", "ends_at", "busy_from", "busy_until", "proposed_starts_at", "proposal_note")
    except IntegrityError:
        # The PostgreSQL exclusion constraint caught a booking made at the same moment.
        raise SlotUnavailable("That time is already booked. Please choose another slot.") from None
    entry = audit_log(
        actor=actor,
        action="booking.rescheduled",
        target=booking,
        reason=reason,
        data={"from": previous.isoformat(), "to": starts_at.isoformat(), "by": by},
    )
    _notify(booking, "rescheduled", entry.pk)
    return booking


def booking_reschedule(*, user: User, booking_id: int, starts_at: datetime, reason: str = "") -> Booking:
    """Move a confirmed booking to another time the organizer's schedule offers.

    The customer may, until the reschedule window of the booking's policy closes; support
    staff may until it starts, and must say why. The length, the price and the payment stay as
    they are; the move is in the booking's history, emailed to both sides, and calendars see
    the same event (same UID) with a higher SEQUENCE.
    """
    _aware(starts_at)
    reason = clean_text(reason, field="reason", label="The reason", max_length=NOTE_MAX_LENGTH, multiline=True)
    with unit_of_work():
        booking, vendor = _lock_with_vendor(booking_id)
        can_reschedule(booking, user=user).require()
        by = "customer" if booking.customer_id == user.pk else "staff"
        if by == "staff" and not reason:
            raise ValidationFailed("Say why the booking is moved: both sides read it.", field="reason")
        return _reschedule(booking, vendor, starts_at, actor=user, reason=reason, by=by)


def booking_reschedule_propose(*, vendor_user: User, booking_id: int, starts_at: datetime, note: str = "") -> Booking:
    """The organizer proposes another time; the booking stays where it is until the customer accepts.

    The proposed time must be free now; it is checked again when the customer accepts. A new
    proposal replaces an open one.
    """
    _aware(starts_at)
    note = clean_text(note, field="note", label="The note", max_length=NOTE_MAX_LENGTH, multiline=True)
    with unit_of_work():
        booking, vendor = _lock_with_vendor(booking_id)
        can_propose_reschedule(booking, user=vendor_user).require()
        if starts_at == booking.starts_at:
            raise ValidationFailed("The booking is already at that time.", field="starts_at")
        _check_start(vendor=vendor, starts_at=starts_at, length=booking.ends_at - booking.starts_at, moving=booking)
        booking.proposed_starts_at = starts_at
        booking.proposal_note = note
        _save(booking, "proposed_starts_at", "proposal_note")
        entry = audit_log(
            actor=vendor_user,
            action="booking.reschedule_proposed",
            target=booking,
            reason=note,
            data={"from": booking.starts_at.isoformat(), "to": starts_at.isoformat()},
        )
        _notify(booking, "reschedule_proposed", entry.pk)
    return booking


def booking_reschedule_answer(*, customer: User, booking_id: int, accept: bool) -> Booking:
    """The customer accepts the organizer's proposed time (the booking moves, if it is still free) or declines it."""
    with unit_of_work():
        booking, vendor = _lock_with_vendor(booking_id)
        can_answer_proposal(booking, user=customer).require()
        if accept:
            proposed, note = booking.proposed_starts_at, booking.proposal_note
            return _reschedule(booking, vendor, proposed, actor=customer, reason=note, by="organizer")
        proposed = booking.proposed_starts_at
        booking.proposed_starts_at = None
        booking.proposal_note = ""
        _save(booking, "proposed_starts_at", "proposal_note")
        entry = audit_log(
            actor=customer,
            action="booking.reschedule_declined",
            target=booking,
            data={"proposed": proposed.isoformat()},
        )
        _notify(booking, "reschedule_declined", entry.pk)
    return booking


def booking_quote(*, vendor_user: User, booking_id: int, price_minor: int, note: str = "") -> Booking:
    """The organizer prices a quote request. Paying the quote confirms the booking."""
    if isinstance(price_minor, bool) or not isinstance(price_minor, int) or not 0 < price_minor <= MAX_PRICE_MINOR:
        currency = settings.MARKETPLACE_CURRENCY
        raise ValidationFailed(
            f"The quote must be above zero and at most {MAX_PRICE_MINOR} "
            f"(minor units of {currency}: at most {Money(MAX_PRICE_MINOR, currency)}).",
            field="price_minor",
        )
    note = clean_text(note, field="note", label="The note", max_length=NOTE_MAX_LENGTH, multiline=True)
    with unit_of_work():
        booking = _lock(booking_id)
        can_quote(booking, user=vendor_user).require()
        booking.price_minor = price_minor
        booking.vendor_note = note
        booking.quoted_at = timezone.now()
        booking.answered_at = booking.answered_at or booking.quoted_at
        _save(booking, "price_minor", "vendor_note", "quoted_at", "answered_at")
        audit_log(actor=vendor_user, action="booking.quoted", target=booking, data={"price_minor": price_minor})
        organizer_figures_refresh(vendor_id=booking.vendor_id)
        _notify(booking, "quoted")
    return booking


@dataclass(frozen=True)
class PaymentOutcome:
    """Where a customer's payment of a booking stands after they paid (or came back from their bank).

    ``action`` is set when the card needs the customer's 3-D Secure step: not an error but
    a state. The customer's browser finishes the step with it, then the face calls
    ``booking_payment_confirm``; until the gateway says the payment went through, the
    booking is not paid.
    """

    booking: Booking
    action: payments.PaymentAction | None = None

    @property
    def requires_action(self) -> bool:
        return self.action is not None


PAYMENT_NOT_CONFIRMED_YET = (
    "The payment provider has not confirmed your payment yet. We finish it automatically "
    "within minutes; please do not pay again."
)


def _outcome_of(booking_id: int, movement) -> PaymentOutcome:
    """A charge's state in the booking's words: settled, waiting for the customer's step, or still on its way."""
    if movement.state != MovementState.PENDING:
        return PaymentOutcome(booking=booking_payment_settled(booking_id=booking_id))
    action = payments.charge_action(booking_id=booking_id)
    if action is None or action.payment_reference != movement.gateway_reference:
        raise PaymentProcessing(PAYMENT_NOT_CONFIRMED_YET)
    return PaymentOutcome(booking=Booking.objects.get(pk=booking_id), action=action)


def booking_pay(*, customer: User, booking_id: int, payment_method: str) -> PaymentOutcome:
    """The customer pays the full price: into escrow at once, or authorised on their card for a request.

    The charge is recorded with the booking locked, made with nothing locked, and
    applied in a new transaction (``payments.movement_execute``); then the booking takes
    it into account (``booking_payment_settled``): an instantly bookable service, or a
    quote the organizer already priced, is captured and confirmed by the payment;
    otherwise the money is only authorised and the request waits for the organizer, who
    captures it by accepting (a declined or expired request releases it). Paying again
    while a charge is unconfirmed finishes that charge instead of making another.

    A card that needs 3-D Secure leaves the booking unpaid: the outcome carries the
    step (``PaymentOutcome.action``, asked of the gateway), and paying again while the step
    is open returns the same step, never a second charge. Paying again after the step
    failed pays with the new card.
    """
    with unit_of_work():
        booking = _lock(booking_id)
        can_pay(booking, user=customer).require()
        movement = payments.charge_begin(
            booking_id=booking.pk,
            reference=booking.reference,
            service=booking.service,
            amount=booking.price,
            payer=customer,
            payment_method=payment_method,
            description=f"{booking.service.title} ({booking.reference})",
            capture=confirms_on_payment(booking),
        )
    waiting = bool(movement.gateway_reference)  # a charge made before, waiting for the customer's step
    try:
        movement = payments.movement_execute(movement.pk, raise_refusal=True)
    except PaymentFailed:
        if not waiting:
            raise
        # The step the customer left open failed (or was abandoned): that charge is closed now,
        # and nothing was taken. Pay with the card they just gave.
        return booking_pay(customer=customer, booking_id=booking_id, payment_method=payment_method)
    return _outcome_of(booking_id, movement)


def booking_payment_action(*, customer: User, booking_id: int) -> payments.PaymentAction | None:
    """The 3-D Secure step the customer's payment waits for now (asked of the gateway); None if none."""
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("Booking not found.")
    can_confirm_payment(booking, user=customer).require()
    return payments.charge_action(booking_id=booking.pk)


def booking_payment_confirm(*, customer: User, booking_id: int, payment_reference: str) -> PaymentOutcome:
    """The customer is back from their bank's 3-D Secure step: the booking is paid only if the gateway says so.

    Refused, writing nothing: another customer's booking (not found), or a payment
    reference that is not this booking's charge (``payment_not_for_booking``). A failed
    step is refused (``authentication_failed``) and the customer may pay again with
    another card; a step still open returns it again. Safe to call twice, and after a
    webhook settled the payment first.
    """
    booking = Booking.objects.select_related("customer").filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("Booking not found.")
    can_confirm_payment(booking, user=customer).require()
    movement = payments.charge_confirm(booking_id=booking.pk, payment_reference=payment_reference)
    return _outcome_of(booking.pk, movement)


def booking_payment_authenticate_locally(
    *, customer: User, booking_id: int, payment_reference: str, approve: bool
) -> PaymentOutcome:
    """The local gateway's stand-in for the bank's 3-D Secure challenge, passed or failed, then confirmed.

    Only with the local gateway (the embedded default and tests), only for the customer's
    own booking and its charge waiting for the step. With Stripe, Stripe.js and the bank
    do this in the browser, and the face calls ``booking_payment_confirm`` directly.
    """
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("Booking not found.")
    can_confirm_payment(booking, user=customer).require()
    payments.charge_authenticate_locally(booking_id=booking.pk, payment_reference=payment_reference, approve=approve)
    return booking_payment_confirm(customer=customer, booking_id=booking.pk, payment_reference=payment_reference)


def booking_payment_settled(*, booking_id: int) -> Booking:
    """The booking takes its payment into account. Safe to run twice (``paid_at`` marks the first time).

    A payment captured for an instant booking (or a priced quote), or captured because
    the organizer accepted the request, confirms it; a request's authorised payment makes
    it wait for the organizer. A booking that closed while the charge was on its way (it
    expired, or was cancelled) gets the payment back in full (or released, when only
    authorised): the compensation of a late charge. An authorisation that could not be
    captured closes the request.
    """
    with unit_of_work():
        booking = _lock(booking_id)
        payment = payment_of(booking)
        if payment is None:
            return booking
        first = booking.paid_at is None and payment.status != TransactionStatus.VOIDED
        if first:
            booking.paid_at = payment.authorized_at or payment.captured_at
            _save(booking, "paid_at")
        if booking.status in CLOSED_STATUSES:  # given back at once (nothing left, if closing already did it)
            payments.escrow_refund(
                booking_id=booking.pk, actor=None, reason="The booking had closed before the payment went through."
            )
            return booking
        if booking.status != BookingStatus.REQUESTED:
            return booking  # already moved on with the payment
        if payment.status == TransactionStatus.VOIDED:
            reason = "The customer's card could not be charged when the organizer accepted."
            _move(
                booking,
                BookingStatus.DECLINED,
                actor=None,
                reason=reason,
                closed_at=timezone.now(),
                close_reason=reason,
            )
            _notify(booking, BookingStatus.DECLINED)
        elif payment.status == TransactionStatus.AUTHORIZED:
            if first:
                _notify(booking, "paid")
        elif confirms_on_payment(booking):
            _move(booking, BookingStatus.CONFIRMED, actor=booking.customer, confirmed_at=timezone.now())
            _notify(booking, "confirmed")
        elif captured_on_acceptance(booking_id=booking.pk):
            _move(booking, BookingStatus.CONFIRMED, actor=booking.vendor.user, confirmed_at=timezone.now())
            _notify(booking, "confirmed")
        elif first:
            _notify(booking, "paid")  # captured before requests were authorised: waits for the organizer
    return booking


def booking_accept(*, vendor_user: User, booking_id: int, note: str = "") -> Booking:
    """The organizer accepts a paid request: its authorised payment is captured, then the booking is confirmed.

    The capture is recorded with the booking locked and made after the commit; once the
    gateway has captured it, ``booking_payment_settled`` confirms the booking (also when
    a timeout leaves it to the recovery sweep). A card that can no longer be charged is
    refused to the organizer with the gateway's reason, and the request closes.
    """
    note = clean_text(note, field="note", label="The note", max_length=NOTE_MAX_LENGTH, multiline=True)
    with unit_of_work():
        booking = _lock(booking_id)
        can_accept(booking, user=vendor_user).require()
        if note:
            booking.vendor_note = note
        booking.answered_at = booking.answered_at or timezone.now()
        _save(booking, "vendor_note", "answered_at")
        organizer_figures_refresh(vendor_id=booking.vendor_id)
        capture = payments.charge_capture_request(booking_id=booking.pk)
        if capture is None:  # captured when paid (before requests were authorised): confirm now
            _move(booking, BookingStatus.CONFIRMED, actor=vendor_user, confirmed_at=timezone.now())
            _notify(booking, "confirmed")
            return booking
    capture = payments.movement_execute(capture.pk, raise_refusal=True)
    if capture.state != MovementState.SUCCEEDED:
        raise PaymentProcessing(
            "The payment provider has not confirmed the capture yet. The booking is confirmed automatically "
            "as soon as it does."
        )
    return booking_payment_settled(booking_id=booking_id)


def _close(booking: Booking, to_status: str, *, actor: User | None, reason: str, **fields) -> Booking:
    """Decline or expire: free the slot and refund any payment in full (paid by the gateway after commit)."""
    _move(booking, to_status, actor=actor, reason=reason, closed_at=timezone.now(), close_reason=reason, **fields)
    payments.escrow_refund(booking_id=booking.pk, actor=actor, reason=reason)
    _notify(booking, to_status)
    return booking


def booking_decline(*, vendor_user: User, booking_id: int, reason: str) -> Booking:
    """The organizer declines an open request, saying why; an authorised payment is released (captured: refunded)."""
    if not (reason or "").strip():
        raise ValidationFailed("Tell the customer why you decline.", field="reason")
    reason = clean_text(reason, field="reason", label="The reason", max_length=NOTE_MAX_LENGTH, multiline=True)
    with unit_of_work():
        booking = _lock(booking_id)
        can_decline(booking, user=vendor_user).require()
        declined = _close(
            booking,
            BookingStatus.DECLINED,
            actor=vendor_user,
            reason=reason,
            answered_at=booking.answered_at or timezone.now(),
        )
        organizer_figures_refresh(vendor_id=booking.vendor_id)
        return declined


def booking_cancel(*, user: User, booking_id: int, reason: str = "") -> Booking:
    """The customer or the organizer calls a booking off before it starts (an admin, at any time).

    The refund follows the booking's cancellation terms (``cancellation_refund``): in
    full when the organizer or an admin cancels, or before the organizer accepted; by
    the policy's tiers when the customer cancels a confirmed booking. What the customer
    does not get back is released to the organizer, less the platform's fee, at once.
    """
    reason = clean_text(reason, field="reason", label="The reason", max_length=NOTE_MAX_LENGTH, multiline=True)
    with unit_of_work():
        booking = _lock(booking_id)
        can_cancel(booking, user=user).require()
        refund = cancellation_refund(booking, user=user)
        reason = reason or "Cancelled"
        _move(
            booking,
            BookingStatus.CANCELLED,
            actor=user,
            reason=reason,
            closed_at=timezone.now(),
            close_reason=reason,
            cancelled_by=refund.by,
        )
        payment = payment_of(booking)
        if payment is not None:
            payments.escrow_refund(
                booking_id=booking.pk, actor=user, reason=f"{reason} ({refund.reason})", percent=refund.percent
            )
            payment.refresh_from_db()
            if payment.status == TransactionStatus.HELD and payment.kept.minor:
                payments.escrow_release_request(booking_id=booking.pk)
        _notify(booking, BookingStatus.CANCELLED)
    return booking


def _complete(booking: Booking, *, actor: User | None, reason: str = "") -> Booking:
    """The work is done: the booking completes and its escrow release is requested from the money service."""
    _move(booking, BookingStatus.COMPLETED, actor=actor, reason=reason, completed_at=timezone.now())
    organizer_figures_refresh(vendor_id=booking.vendor_id)
    payments.escrow_release_request(booking_id=booking.pk)
    _notify(booking, "completed")
    return booking


def booking_confirm_completion(*, customer: User, booking_id: int) -> Booking:
    """The customer confirms the work was done: escrow release is requested for the organizer."""
    with unit_of_work():
        booking = _lock(booking_id)
        can_confirm_completion(booking, user=customer).require()
        return _complete(booking, actor=customer)


def booking_complete_automatically(*, booking_id: int) -> Booking | None:
    """The release timer: complete a confirmed booking N days after it ended. Safe to run twice."""
    with unit_of_work():
        booking = _lock(booking_id)
        if not is_due_for_automatic_completion(booking):
            return None
        return _complete(
            booking, actor=None, reason=f"Automatic release {settings.ESCROW_AUTO_RELEASE_DAYS} days after the work"
        )


def booking_dispute_opened(*, booking_id: int, actor: User, reason: str) -> Booking:
    """A dispute was opened on the booking (``marketplace.disputes``, which holds its escrow): it is disputed."""
    with unit_of_work():
        booking = _lock(booking_id)
        _move(booking, BookingStatus.DISPUTED, actor=actor, reason=reason)
    return booking


def booking_dispute_closed(*, booking_id: int, actor: User, to_status: str, reason: str) -> Booking:
    """The booking's dispute ended: completed (paid to the organizer, in full or in part) or refunded in full.

    The dispute service moves the money first (through the money service); this only
    moves the booking. A booking disputed before it was completed gets its completion time now.
    """
    with unit_of_work():
        booking = _lock(booking_id)
        now = timezone.now()
        if to_status == BookingStatus.COMPLETED:
            fields = {} if booking.completed_at else {"completed_at": now}
        else:
            fields = {"closed_at": now, "close_reason": reason}
        _move(booking, to_status, actor=actor, reason=reason, **fields)
    return booking


def booking_close_for_suspension(*, booking_id: int, suspension: AuditLogEntry) -> Booking | None:
    """Apply ``policy.SUSPENSION_RULE`` to one booking of a suspended organizer. Safe to run twice.

    ``suspension`` is the ``vendor.suspended`` audit entry. A confirmed booking that has not
    started is cancelled by the platform (``cancelled_by`` admin, so it does not count
    against the organizer's own cancellations) and everything left of its payment is
    refunded; an open request is declined and any payment or card hold given back. Both
    are audited with the suspending admin as actor, the customer's reason
    (``SUSPENSION_CUSTOMER_REASON``) and the suspension's entry in the data. Returns None,
    changing nothing, for a booking the rule leaves alone (under way, done, already
    closed) or when the organizer is verified again (reinstated before the job came).
    """
    with unit_of_work():
        booking = _lock(booking_id)
        step = suspension_step(booking)
        if step is None or booking.vendor.is_verified:
            return None
        reason = SUSPENSION_CUSTOMER_REASON
        now = timezone.now()
        audit_data = {"suspension_entry": suspension.pk, "step": step.value}
        if step == SuspensionStep.CANCEL:
            fields = {"cancelled_by": CancelledBy.ADMIN}
            to_status = BookingStatus.CANCELLED
        else:
            fields = {}
            to_status = BookingStatus.DECLINED
        _move(
            booking,
            to_status,
            actor=suspension.actor,
            reason=reason,
            audit_data=audit_data,
            closed_at=now,
            close_reason=reason,
            **fields,
        )
        payments.escrow_refund(
            booking_id=booking.pk, actor=suspension.actor, reason=f"The organizer was suspended: {step.label.lower()}."
        )
        enqueue("marketplace.notifications.tasks.send_booking_suspension_notification", booking.pk)
    return booking


def booking_expire(*, booking_id: int) -> Booking | None:
    """Expire a request that was not paid, or not answered, in time. Safe to run twice."""
    with unit_of_work():
        booking = _lock(booking_id)
        deadline = request_deadline(booking)
        if deadline is None or deadline[0] > timezone.now():
            return None
        if payments.charge_pending(booking_id=booking.pk):
            return None  # a payment is on its way: expiring now would refund it; the next sweep decides
        return _close(booking, BookingStatus.EXPIRED, actor=None, reason=deadline[1])
