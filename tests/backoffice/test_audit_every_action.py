"""Every back-office action is audited: who, when, what, the reason, the state before and after.

The table below names every back-office URL that takes a POST. A new action that is not in it
fails ``test_every_back_office_action_is_in_the_table``, so nothing in the back office can change
money or a status without this file checking its audit entry and the object's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from marketplace.core.models import AuditLogEntry
from marketplace.disputes.services import dispute_open
from marketplace.payments.services import payout_hold
from marketplace.vendors.models import VerificationStatus
from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking
from tests.factories.documents import uploaded_document
from tests.factories.jobs import failed_job

from .conftest import client_for, make_vendor, paid_booking

pytestmark = pytest.mark.django_db

REASON = "Checked with the <b>customer</b> by phone"


@dataclass
class Case:
    """One action: what to set up, what to post, the entry expected and the page that shows it."""

    prepare: Callable[[dict], dict]  # fixtures -> {"pk", "history"(url)} and any extra post data ("id", "data")
    action: str  # the audit action the post writes, with the user as actor and the reason
    data: dict | None = None  # more form fields
    changes_state: bool = True  # the entry says the state before and after
    before_after: tuple[str, str] = ("from", "to")  # under these keys


def _vendor(status):
    def prepare(f):
        vendor = make_vendor("Tidy <Tina>", status)
        return {"pk": vendor.pk, "history": reverse("backoffice_vendors:inspect", args=[vendor.pk])}

    return prepare


def _document(f):
    vendor = f["vendor"]
    document = uploaded_document(vendor, title="Liability <insurance>")
    return {"pk": document.pk, "history": reverse("backoffice_vendors:inspect", args=[vendor.pk])}


def _booking_page(booking, pk=None):
    return {
        "pk": booking.pk if pk is None else pk,
        "history": reverse("backoffice_bookings:inspect", args=[booking.pk]),
    }


def _booked(f):
    return _booking_page(paid_booking(customer=f["customer"], service=f["service"]))


def _booked_to_move(f):
    """A confirmed booking, and the next day's start as the move form takes it (the organizer's wall time)."""
    booking = paid_booking(customer=f["customer"], service=f["service"])
    to = local_slot(days_ahead=4).strftime("%Y-%m-%dT%H:%M")
    return {**_booking_page(booking), "data": {"starts_at": to}}


def _awaiting(f):
    booking = f["awaiting_payout"]
    return _booking_page(booking, pk=booking.transaction.pk)


def _awaiting_bulk(f):
    booking = f["awaiting_payout"]
    return {**_booking_page(booking, pk=None), "url_args": [], "id": [booking.transaction.pk]}


def _held_by_an_admin(f):
    booking = f["awaiting_payout"]
    payout_hold(booking_id=booking.pk, actor=f["admin_user"], note="A first look")
    return _booking_page(booking, pk=booking.transaction.pk)


def _dispute(f):
    booking = past_paid_booking(customer=f["customer"], service=f["service"], starts_at=local_slot(days_ahead=-1))
    dispute = dispute_open(
        user=f["customer"], booking_id=booking.pk, reason="poor_quality", description="Closets left as they were."
    )
    return {"pk": dispute.pk, "history": reverse("backoffice_disputes:inspect", args=[dispute.pk])}


def _category(f):
    category = f["category"]
    return {"pk": category.pk, "history": reverse("backoffice_categories:edit", args=[category.pk])}


def _new_category(f):
    return {"url_args": [], "history": None}


def _failed_job(f):
    # A job that is safe to run again at once (it finds nothing to expire): Retry runs it inline in tests.
    failure = failed_job(func="marketplace.bookings.tasks.expire_stale_requests")
    return {"pk": failure.pk, "history": reverse("backoffice_failed_jobs:index")}


CASES: dict[str, Case] = {
    "backoffice_vendors:verify": Case(_vendor(VerificationStatus.PENDING), "vendor.verified"),
    "backoffice_vendors:reject": Case(_vendor(VerificationStatus.PENDING), "vendor.rejected"),
    "backoffice_vendors:suspend": Case(_vendor(VerificationStatus.VERIFIED), "vendor.suspended"),
    "backoffice_vendors:reinstate": Case(_vendor(VerificationStatus.SUSPENDED), "vendor.reinstated"),
    "backoffice_vendors:document_accept": Case(_document, "vendor_document.accepted"),
    "backoffice_vendors:document_reject": Case(_document, "vendor_document.rejected"),
    "backoffice_bookings:cancel": Case(_booked, "booking.cancelled"),
    "backoffice_bookings:move": Case(_booked_to_move, "booking.rescheduled"),
    # A part refunded: the money stays held, what was refunded goes from nothing to $50.00.
    "backoffice_bookings:refund": Case(
        _booked,
        "payment.refunded",
        data={"amount": "50.00"},
        before_after=("refunded_before_minor", "refunded_after_minor"),
    ),
    "backoffice_payouts:approve": Case(_awaiting, "escrow.released"),
    "backoffice_payouts:hold": Case(_awaiting, "escrow.held"),
    "backoffice_payouts:lift_hold": Case(_held_by_an_admin, "escrow.hold_lifted"),
    "backoffice_payouts:bulk_approve": Case(_awaiting_bulk, "escrow.released"),
    "backoffice_payouts:bulk_hold": Case(_awaiting_bulk, "escrow.held"),
    "backoffice_disputes:resolve": Case(_dispute, "dispute.resolved", data={"outcome": "split", "refund": "100.00"}),
    "backoffice_categories:edit": Case(
        _category,
        "category.commission_changed",
        data={"name": "Home decluttering", "commission_percent": "11", "position": "0", "is_active": "on"},
    ),
    "backoffice_failed_jobs:retry": Case(_failed_job, "job.retried"),
    "backoffice_failed_jobs:discard": Case(_failed_job, "job.deleted"),
    "backoffice_categories:add": Case(
        _new_category,
        "category.created",
        data={"name": "Attic clearing", "commission_percent": "12.5", "position": "4"},
        changes_state=False,
    ),
}


def _post_urls(patterns, namespace=""):
    """Every named URL under the back office's namespaces whose view takes a POST."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _post_urls(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and namespace.startswith("backoffice_"):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None and hasattr(view, "post"):
                yield f"{namespace}:{pattern.name}"


def test_every_back_office_action_is_in_the_table():
    assert sorted(set(_post_urls(get_resolver().url_patterns))) == sorted(CASES)


@pytest.mark.parametrize("url_name", sorted(CASES))
def test_the_action_is_audited_with_who_when_what_why_before_and_after(
    url_name, request, admin_user, customer, service, category, payout_needs_approval
):
    case = CASES[url_name]
    fixtures = {
        "admin_user": admin_user,
        "customer": customer,
        "service": service,
        "category": category,
        "vendor": service.vendor,
    }
    if case.prepare in (_awaiting, _awaiting_bulk, _held_by_an_admin):
        fixtures["awaiting_payout"] = request.getfixturevalue("awaiting_payout")
    target = case.prepare(fixtures)
    url = reverse(url_name, args=target.get("url_args", [target.get("pk")]))
    last = AuditLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = timezone.now()

    post = {"reason": REASON, **(case.data or {}), **target.get("data", {})}
    if "id" in target:
        post["id"] = target["id"]
    response = client_for(admin_user).post(url, post)

    assert response.status_code == 302, response.content.decode()[:2000]
    entries = AuditLogEntry.objects.filter(pk__gt=last, action=case.action)
    assert entries.count() == 1, list(AuditLogEntry.objects.filter(pk__gt=last).values_list("action", flat=True))
    entry = entries.get()
    assert entry.actor == admin_user  # who
    assert started - timedelta(seconds=1) <= entry.created_at <= timezone.now()  # when
    assert REASON in entry.reason  # why
    if case.changes_state:  # before and after
        before, after = case.before_after
        assert before in entry.data and after in entry.data and entry.data[before] != entry.data[after], entry.data
    else:
        assert entry.data, "a creation records what was created"

    # ...and the object's own page shows it, with the reason escaped.
    history = target["history"] or reverse("backoffice_categories:edit", args=[entry.target_id])
    html = client_for(admin_user).get(history).content.decode()
    assert f"<code>{case.action}</code>" in html
    assert "Checked with the &lt;b&gt;customer&lt;/b&gt; by phone" in html
    assert "<b>customer</b>" not in html


def test_the_history_says_before_and_after_in_words(admin_user, awaiting_payout, category):
    payout_hold(booking_id=awaiting_payout.pk, actor=admin_user, note="A first look")
    client = client_for(admin_user)
    client.post(
        reverse("backoffice_categories:edit", args=[category.pk]),
        {"name": "Closets", "position": "2", "is_active": "on", "reason": "Renamed"},
    )

    booking_page = client.get(reverse("backoffice_bookings:inspect", args=[awaiting_payout.pk])).content.decode()
    category_page = client.get(reverse("backoffice_categories:edit", args=[category.pk])).content.decode()

    assert "before: Waiting for payout approval, after: On hold" in booking_page
    assert "before: name: Home decluttering; position: 0, after: name: Closets; position: 2" in category_page
