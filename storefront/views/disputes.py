"""Disputes on the booking pages: report a problem (customer) or a no-show (organizer), answer,
add evidence, withdraw, and download evidence.

Each side sees the dispute on its own booking page (``/account/bookings/<id>/`` or
``/vendor/bookings/<id>/``). Which controls show is the dispute policy's answer; the
services enforce the same verdicts, and a refusal comes back as a message on the page.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from marketplace.bookings.selectors import booking_get_for_user
from marketplace.core.errors import DomainError, NotFound
from marketplace.disputes.downloads import evidence_response
from marketplace.disputes.models import Dispute, Outcome, Side
from marketplace.disputes.policy import (
    can_add_evidence,
    can_open_dispute,
    can_respond,
    can_withdraw,
    dispute_of,
    side_of,
)
from marketplace.disputes.selectors import dispute_get_for_user, evidence_get_for_user
from marketplace.disputes.services import dispute_evidence_add, dispute_open, dispute_respond, dispute_withdraw

from ..dispute_forms import DisputeOpenForm, DisputeResponseForm, EvidenceForm
from .common import customer_required, vendor_required

# The two areas a dispute is handled from, and the booking page each comes back to.
ACCOUNT = "account"
VENDOR = "vendor"
BOOKING_PAGE = {ACCOUNT: "storefront:booking_detail", VENDOR: "storefront:vendor_booking"}
URL_PREFIX = {ACCOUNT: "storefront:account_dispute", VENDOR: "storefront:vendor_dispute"}


def decision_sentence(dispute: Dispute, *, side: str) -> str:
    """What staff's decision did with the money, for one side."""
    refunded = dispute.refunded
    if dispute.outcome == Outcome.REFUND:
        return f"{refunded} was refunded to {'you' if side == Side.CUSTOMER else 'the customer'} in full."
    if dispute.outcome == Outcome.SPLIT:
        if side == Side.CUSTOMER:
            return f"{refunded} was refunded to you; the rest goes to the organizer."
        return f"{refunded} was refunded to the customer; the rest is paid out to you, less the commission."
    return "The payment goes to the organizer as usual." if side == Side.CUSTOMER else "The payment is paid out to you."


def dispute_context(user, booking, *, area: str, forms: dict | None = None) -> dict:
    """What the booking pages need to show the dispute section (``storefront/includes/dispute.html``)."""
    forms = forms or {}
    side = side_of(booking, user)
    dispute = dispute_of(booking)
    context = {
        "dispute_area": area,
        "dispute_side": side,
        "dispute": dispute,
        "dispute_urls": URL_PREFIX[area],
        "response_hours": settings.DISPUTE_RESPONSE_HOURS,
    }
    if dispute is None:
        allowed = bool(can_open_dispute(booking, user=user))
        context.update(
            can_open_dispute=allowed,
            dispute_open_form=forms.get("open") or DisputeOpenForm(side=side) if allowed else None,
        )
        return context
    context.update(
        can_open_dispute=False,
        can_respond=bool(can_respond(dispute, user=user)),
        can_add_evidence=bool(can_add_evidence(dispute, user=user)),
        can_withdraw=bool(can_withdraw(dispute, user=user)),
        dispute_response_form=forms.get("respond") or DisputeResponseForm(),
        evidence_form=forms.get("evidence") or EvidenceForm(),
        opened_by_you=dispute.opened_by_side == side,
        dispute_decision=decision_sentence(dispute, side=side) if dispute.outcome else "",
    )
    return context


def area_required(view):
    """The customer's area (``account``) is for customers, the organizer area (``vendor``) for organizers."""

    @wraps(view)
    def wrapper(request, *args, area: str, **kwargs):
        guard = customer_required if area == ACCOUNT else vendor_required
        return guard(lambda request: view(request, *args, area=area, **kwargs))(request)

    return wrapper


def _booking_page(area: str, booking_id: int):
    return redirect(reverse(BOOKING_PAGE[area], args=[booking_id]) + "#dispute")


def _show_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _uploads(form) -> list[tuple[object, str]]:
    return [(file, file.name or "") for file in form.cleaned_data.get("files") or []]


def _own_dispute(request, dispute_id: int) -> Dispute:
    try:
        return dispute_get_for_user(user=request.user, dispute_id=dispute_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _run(request, action, *, success: str) -> bool:
    try:
        action()
    except DomainError as error:
        if isinstance(error, NotFound):
            raise Http404(error.message) from error
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


@require_POST
@area_required
def dispute_open_view(request, booking_id: int, *, area: str):
    try:
        booking = booking_get_for_user(user=request.user, booking_id=booking_id)
    except NotFound as error:
        raise Http404(error.message) from error
    form = DisputeOpenForm(request.POST, request.FILES, side=side_of(booking, request.user))
    if not form.is_valid():
        _show_errors(request, form)
    else:
        data = form.cleaned_data
        _run(
            request,
            lambda: dispute_open(
                user=request.user,
                booking_id=booking.pk,
                reason=data["reason"],
                description=data["description"],
                files=_uploads(form),
            ),
            success="Thank you: we have your report. The payment stays on hold while the other side answers "
            "and our support team decides.",
        )
    return _booking_page(area, booking.pk)


@require_POST
@area_required
def dispute_respond_view(request, dispute_id: int, *, area: str):
    dispute = _own_dispute(request, dispute_id)
    form = DisputeResponseForm(request.POST, request.FILES)
    if not form.is_valid():
        _show_errors(request, form)
    else:
        _run(
            request,
            lambda: dispute_respond(
                user=request.user, dispute_id=dispute.pk, statement=form.cleaned_data["statement"], files=_uploads(form)
            ),
            success="Your answer is sent. Our support team will review both sides and decide.",
        )
    return _booking_page(area, dispute.booking_id)


@require_POST
@area_required
def dispute_evidence_view(request, dispute_id: int, *, area: str):
    dispute = _own_dispute(request, dispute_id)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        _show_errors(request, form)
    else:
        _run(
            request,
            lambda: dispute_evidence_add(user=request.user, dispute_id=dispute.pk, files=_uploads(form)),
            success="Your files were added to the dispute.",
        )
    return _booking_page(area, dispute.booking_id)


@require_POST
@area_required
def dispute_withdraw_view(request, dispute_id: int, *, area: str):
    dispute = _own_dispute(request, dispute_id)
    _run(
        request,
        lambda: dispute_withdraw(user=request.user, dispute_id=dispute.pk),
        success="The dispute is withdrawn. The booking is completed and the payment goes to the organizer.",
    )
    return _booking_page(area, dispute.booking_id)


@require_GET
@login_required
def evidence_download(request, dispute_id: int, evidence_id: int):
    """An evidence file, for the dispute's two sides (and staff, who normally use the back office); 404 otherwise."""
    try:
        evidence = evidence_get_for_user(user=request.user, dispute_id=dispute_id, evidence_id=evidence_id)
    except NotFound as error:
        raise Http404(error.message) from error
    return evidence_response(evidence)
