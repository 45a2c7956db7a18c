"""Payout approvals: risk flags beside each waiting payout; approve or hold one, or several with one reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.core.audit import audit_log_for
from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import HoldReason, LedgerLine, ReleaseHold, TransactionStatus
from marketplace.payments.services import escrow_release

from .conftest import client_for, completed_booking, messages_of

pytestmark = pytest.mark.django_db

PERMISSION_MESSAGE = "Sorry, you do not have permission to access this area."


@pytest.fixture
def three_awaiting(payout_needs_approval, customer, service):
    """Three completed $300.00 bookings of Calm Spaces, each payout waiting for approval."""
    return [completed_booking(customer=customer, service=service, days_ahead=days) for days in (3, 4, 5)]


def nothing_written():
    return (LedgerLine.objects.count(), AuditLogEntry.objects.count(), ReleaseHold.objects.count())


def status_of(booking) -> str:
    booking.transaction.refresh_from_db()
    return booking.transaction.status


def test_the_list_shows_each_payouts_risk_flags_and_its_actions(finance, awaiting_payout):
    response = client_for(finance).get(reverse("backoffice_payouts:index"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "First payout" in html
    assert "No payout to this organizer has succeeded yet." in html
    assert "Over threshold" in html
    assert "$300.00 is above the approval threshold of $100.00." in html
    payment = awaiting_payout.transaction
    assert reverse("backoffice_payouts:approve", args=[payment.pk]) in html
    assert reverse("backoffice_payouts:hold", args=[payment.pk]) in html
    assert f'name="id" value="{payment.pk}" form="payout-bulk"' in html
    assert reverse("backoffice_payouts:bulk_approve") in html
    assert reverse("backoffice_payouts:bulk_hold") in html


def test_the_list_costs_the_same_queries_whatever_the_number_of_payouts(
    finance, payout_needs_approval, customer, service, django_assert_max_num_queries
):
    client = client_for(finance)
    completed_booking(customer=customer, service=service, days_ahead=3)
    client.get(reverse("backoffice_payouts:index"))  # warm the caches (content types, permissions)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("backoffice_payouts:index"))
    for days in (4, 5, 6, 7):
        completed_booking(customer=customer, service=service, days_ahead=days)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("backoffice_payouts:index"))

    assert len(response.context["object_list"]) == 5


def test_holding_one_payout_with_a_reason(finance, awaiting_payout):
    payment = awaiting_payout.transaction

    response = client_for(finance).post(
        reverse("backoffice_payouts:hold", args=[payment.pk]), {"reason": "Customer emailed about a broken shelf"}
    )

    assert response.status_code == 302
    assert response.url == reverse("backoffice_payouts:index")
    assert messages_of(response) == ["Payout of $255.00 to Calm Spaces put on hold."]
    payment.refresh_from_db()
    assert payment.status == TransactionStatus.HELD
    assert payment.hold_reasons == [HoldReason.ADMIN]
    hold = ReleaseHold.objects.get(transaction=payment)
    assert (hold.reason, hold.note, hold.placed_by) == (
        HoldReason.ADMIN,
        "Customer emailed about a broken shelf",
        finance,
    )
    entry = audit_log_for(payment).get(action="escrow.held")
    assert (entry.actor, entry.reason, entry.data) == (
        finance,
        "Customer emailed about a broken shelf",
        {"hold": "admin", "from": "awaiting_approval", "to": "on_hold"},
    )


def test_a_held_payout_stays_listed_marked_held_without_approve_or_hold(finance, awaiting_payout):
    client = client_for(finance)
    payment = awaiting_payout.transaction
    client.post(reverse("backoffice_payouts:hold", args=[payment.pk]), {"reason": "Checking"})

    response = client.get(reverse("backoffice_payouts:index"))

    html = response.content.decode()
    assert [row.pk for row in response.context["object_list"]] == [payment.pk]
    assert "On hold: held by an admin" in html
    assert reverse("backoffice_payouts:approve", args=[payment.pk]) not in html
    assert reverse("backoffice_payouts:hold", args=[payment.pk]) not in html


def test_holding_without_a_reason_changes_nothing(finance, awaiting_payout):
    before = nothing_written()

    response = client_for(finance).post(
        reverse("backoffice_payouts:hold", args=[awaiting_payout.transaction.pk]), {"reason": "  "}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Reason is required."]}
    assert nothing_written() == before
    awaiting_payout.transaction.refresh_from_db()
    assert awaiting_payout.transaction.hold_reasons == []


def test_holding_a_payout_already_held_by_an_admin_is_refused(finance, awaiting_payout):
    client = client_for(finance)
    url = reverse("backoffice_payouts:hold", args=[awaiting_payout.transaction.pk])
    client.post(url, {"reason": "First look"}, follow=True)
    before = nothing_written()

    response = client.post(url, {"reason": "Second look"})

    assert messages_of(response) == ["This payout is already on hold by an admin."]
    assert nothing_written() == before


def test_approving_a_held_payout_is_refused_and_changes_nothing(finance, awaiting_payout):
    client = client_for(finance)
    payment = awaiting_payout.transaction
    client.post(reverse("backoffice_payouts:hold", args=[payment.pk]), {"reason": "Checking"}, follow=True)
    before = nothing_written()

    response = client.post(reverse("backoffice_payouts:approve", args=[payment.pk]), {"reason": "Looks fine"})

    assert messages_of(response) == ["The escrow is on hold: held by an admin."]
    assert nothing_written() == before
    assert status_of(awaiting_payout) == TransactionStatus.HELD


def test_the_bulk_form_lists_the_selected_payouts_with_their_flags(finance, three_awaiting):
    ids = [booking.transaction.pk for booking in three_awaiting[:2]]

    response = client_for(finance).get(reverse("backoffice_payouts:bulk_approve"), {"id": ids})

    assert response.status_code == 200
    html = response.content.decode()
    for booking in three_awaiting[:2]:
        assert f'name="id" value="{booking.transaction.pk}"' in html
    assert f'value="{three_awaiting[2].transaction.pk}"' not in html
    assert "First payout" in html
    assert "Approve payouts (2)" in html


def test_bulk_approve_releases_each_and_reports_the_one_already_released(finance, admin_user, three_awaiting):
    first, second, third = three_awaiting
    escrow_release(booking_id=second.pk, approved_by=admin_user, reason="Released earlier")
    ids = [booking.transaction.pk for booking in three_awaiting]

    response = client_for(finance).post(
        reverse("backoffice_payouts:bulk_approve"), {"id": ids, "reason": "Weekly review of large payouts"}
    )

    assert response.status_code == 302
    assert response.url == reverse("backoffice_payouts:index")
    assert messages_of(response) == [
        f"Released 2 payouts: {first.reference} ($255.00 to Calm Spaces); {third.reference} ($255.00 to Calm Spaces).",
        f"Refused 1 payout, nothing changed for them: {second.reference}: "
        "The payout for this booking was already released.",
    ]
    assert [status_of(booking) for booking in three_awaiting] == [TransactionStatus.RELEASED] * 3
    for booking in (first, third):
        entry = audit_log_for(booking.transaction).get(action="escrow.released")
        assert (entry.actor, entry.reason) == (finance, "Weekly review of large payouts")
    entry = audit_log_for(second.transaction).get(action="escrow.released")
    assert (entry.actor, entry.reason) == (admin_user, "Released earlier")


def test_bulk_hold_holds_each_with_the_one_reason(finance, three_awaiting):
    held = three_awaiting[:2]

    response = client_for(finance).post(
        reverse("backoffice_payouts:bulk_hold"),
        {"id": [booking.transaction.pk for booking in held], "reason": "Organizer under review"},
    )

    assert messages_of(response) == [
        f"Put on hold 2 payouts: {held[0].reference} ($255.00 to Calm Spaces); "
        f"{held[1].reference} ($255.00 to Calm Spaces)."
    ]
    for booking in held:
        booking.transaction.refresh_from_db()
        assert booking.transaction.hold_reasons == [HoldReason.ADMIN]
        entry = audit_log_for(booking.transaction).get(action="escrow.held")
        assert (entry.actor, entry.reason) == (finance, "Organizer under review")
    three_awaiting[2].transaction.refresh_from_db()
    assert three_awaiting[2].transaction.hold_reasons == []


@pytest.mark.parametrize("url_name", ["backoffice_payouts:bulk_approve", "backoffice_payouts:bulk_hold"])
def test_bulk_without_a_reason_shows_the_form_again_and_changes_nothing(finance, three_awaiting, url_name):
    before = nothing_written()

    response = client_for(finance).post(
        reverse(url_name), {"id": [booking.transaction.pk for booking in three_awaiting], "reason": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Reason is required."]}
    assert "Nothing was changed. Please correct the error below." in messages_of(response)
    assert nothing_written() == before
    assert [status_of(booking) for booking in three_awaiting] == [TransactionStatus.HELD] * 3


def test_bulk_without_a_selection_is_refused(finance, three_awaiting):
    before = nothing_written()

    response = client_for(finance).post(reverse("backoffice_payouts:bulk_approve"), {"reason": "All of them"})

    assert response.status_code == 302
    assert response.url == reverse("backoffice_payouts:index")
    assert messages_of(response) == ["Select at least one payout. Nothing was changed."]
    assert nothing_written() == before


@pytest.mark.parametrize("role", ["support", "editor"])
def test_support_and_editors_can_neither_hold_nor_approve_in_bulk(request, role, three_awaiting):
    client = client_for(request.getfixturevalue(role))
    ids = [booking.transaction.pk for booking in three_awaiting]
    before = nothing_written()

    for url in (
        reverse("backoffice_payouts:hold", args=[ids[0]]),
        reverse("backoffice_payouts:bulk_approve"),
        reverse("backoffice_payouts:bulk_hold"),
    ):
        response = client.post(url, {"id": ids, "reason": "Trying"})
        assert response.status_code == 302, url
        assert response.url == reverse("wagtailadmin_home"), url
        assert PERMISSION_MESSAGE in messages_of(response), url

    assert nothing_written() == before
    assert [status_of(booking) for booking in three_awaiting] == [TransactionStatus.HELD] * 3


def test_an_admin_hold_is_lifted_with_a_reason_and_the_payout_can_be_approved_again(finance, awaiting_payout):
    client = client_for(finance)
    payment = awaiting_payout.transaction
    client.post(reverse("backoffice_payouts:hold", args=[payment.pk]), {"reason": "Checking"}, follow=True)
    lift_url = reverse("backoffice_payouts:lift_hold", args=[payment.pk])
    assert lift_url in client.get(reverse("backoffice_payouts:index")).content.decode()

    response = client.post(lift_url, {"reason": "The customer confirmed by phone"})

    assert messages_of(response) == ["The hold on the payout of $255.00 to Calm Spaces is lifted."]
    payment.refresh_from_db()
    assert payment.hold_reasons == []
    hold = ReleaseHold.objects.get(transaction=payment)
    assert (hold.lifted_by, hold.lift_note) == (finance, "The customer confirmed by phone")
    html = client.get(reverse("backoffice_payouts:index")).content.decode()
    assert reverse("backoffice_payouts:approve", args=[payment.pk]) in html
    assert lift_url not in html


def test_lifting_without_a_reason_or_without_an_admin_hold_changes_nothing(finance, awaiting_payout):
    client = client_for(finance)
    payment = awaiting_payout.transaction
    lift_url = reverse("backoffice_payouts:lift_hold", args=[payment.pk])
    before = nothing_written()

    no_hold = client.post(lift_url, {"reason": "Nothing to lift"})

    assert messages_of(no_hold) == ["Nothing to lift: the escrow is not on hold for this reason (held by an admin)."]
    assert nothing_written() == before
    client.post(reverse("backoffice_payouts:hold", args=[payment.pk]), {"reason": "Checking"}, follow=True)
    before = nothing_written()

    no_reason = client.post(lift_url, {"reason": " "})

    assert no_reason.status_code == 200
    assert no_reason.context["form"].errors == {"reason": ["Reason is required."]}
    assert nothing_written() == before
    payment.refresh_from_db()
    assert payment.hold_reasons == [HoldReason.ADMIN]
