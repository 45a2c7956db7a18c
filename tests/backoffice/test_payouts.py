"""Payouts that wait for an admin, and approving them through the form."""

import pytest
from django.urls import reverse

from marketplace.core.audit import audit_log_for
from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import LedgerEntry, LedgerLine, TransactionStatus
from marketplace.payments.selectors import escrow_held, payout_list_awaiting_approval

from .conftest import completed_booking, messages_of, paid_booking

pytestmark = pytest.mark.django_db


def test_list_shows_completed_bookings_whose_payout_waits_for_approval(
    admin_client, awaiting_payout, customer, hourly_service
):
    # a paid booking that is not completed yet does not wait for a payout
    paid_booking(customer=customer, service=hourly_service, days_ahead=5)

    response = admin_client.get(reverse("backoffice_payouts:index"))

    assert response.status_code == 200
    assert [payment.booking.reference for payment in response.context["object_list"]] == [awaiting_payout.reference]
    html = response.content.decode()
    assert "$300.00" in html
    assert "$45.00" in html  # 15% commission
    assert "$255.00" in html
    assert "Amount above the approval threshold" in html
    assert reverse("backoffice_payouts:approve", args=[awaiting_payout.transaction.pk]) in html


def test_a_payout_without_approval_is_released_by_the_job_and_not_listed(admin_client, customer, service):
    booking = completed_booking(customer=customer, service=service)  # $300.00, under the default threshold

    assert booking.transaction.status == TransactionStatus.RELEASED
    assert list(admin_client.get(reverse("backoffice_payouts:index")).context["object_list"]) == []


def test_approving_through_the_form_releases_the_payout(admin_client, admin_user, awaiting_payout):
    payment = awaiting_payout.transaction

    response = admin_client.post(
        reverse("backoffice_payouts:approve", args=[payment.pk]), {"reason": "Photos of the finished garage checked"}
    )

    assert response.status_code == 302
    assert response.url == reverse("backoffice_payouts:index")
    assert messages_of(response) == ["Payout of $255.00 to Calm Spaces released."]
    payment.refresh_from_db()
    assert payment.status == TransactionStatus.RELEASED
    assert payment.released_by == admin_user
    assert payment.released_at is not None
    assert payment.transfer_reference.startswith("tr_local_")
    assert sorted(LedgerEntry.objects.filter(transaction=payment).values_list("kind", flat=True)) == [
        "capture",
        "payout",
        "release",
    ]
    entry = audit_log_for(payment).get(action="escrow.released")
    assert (entry.actor, entry.reason) == (admin_user, "Photos of the finished garage checked")
    assert entry.data == {
        "vendor_payout_minor": 25500,
        "platform_fee_minor": 4500,
        "from": "awaiting_approval",
        "to": "released",
    }
    assert escrow_held(currency="USD") == 0
    assert list(payout_list_awaiting_approval()) == []


def test_approving_without_a_reason_shows_the_form_again_and_changes_nothing(admin_client, awaiting_payout):
    payment = awaiting_payout.transaction
    lines_before = LedgerLine.objects.count()
    entries_before = AuditLogEntry.objects.count()

    response = admin_client.post(reverse("backoffice_payouts:approve", args=[payment.pk]), {"reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Reason is required."]}
    payment.refresh_from_db()
    assert payment.status == TransactionStatus.HELD
    assert LedgerLine.objects.count() == lines_before
    assert AuditLogEntry.objects.count() == entries_before


def test_a_second_approval_is_refused_cleanly(admin_client, awaiting_payout):
    payment = awaiting_payout.transaction
    url = reverse("backoffice_payouts:approve", args=[payment.pk])
    first = admin_client.post(url, {"reason": "Checked"}, follow=True)  # shows, and so uses up, its message
    assert "Payout of $255.00 to Calm Spaces released." in first.content.decode()
    lines_before = LedgerLine.objects.count()
    entries_before = AuditLogEntry.objects.count()

    response = admin_client.post(url, {"reason": "Checked again"})

    assert response.status_code == 302
    assert response.url == reverse("backoffice_payouts:index")
    assert messages_of(response) == ["The payout for this booking was already released."]
    assert LedgerLine.objects.count() == lines_before
    assert AuditLogEntry.objects.count() == entries_before
    payment.refresh_from_db()
    assert payment.status == TransactionStatus.RELEASED


def test_the_form_of_a_released_payout_says_there_is_nothing_to_approve(admin_client, awaiting_payout):
    url = reverse("backoffice_payouts:approve", args=[awaiting_payout.transaction.pk])
    admin_client.post(url, {"reason": "Checked"})

    response = admin_client.get(url)

    assert response.status_code == 200
    # the money policy's words, the ones the service refuses a second approval with
    assert "The payout for this booking was already released. It cannot be approved now." in response.content.decode()


def test_the_forms_of_a_payout_on_hold_say_so_in_the_policy_s_words(admin_client, awaiting_payout):
    hold_url = reverse("backoffice_payouts:hold", args=[awaiting_payout.transaction.pk])
    admin_client.post(hold_url, {"reason": "Checking the organizer's documents"})

    approve = admin_client.get(reverse("backoffice_payouts:approve", args=[awaiting_payout.transaction.pk]))
    hold = admin_client.get(hold_url)

    assert "The escrow is on hold: held by an admin. It cannot be approved now." in approve.content.decode()
    assert "This payout is already on hold by an admin." in hold.content.decode()


def test_approving_a_booking_that_is_not_completed_is_refused(admin_client, customer, service, payout_needs_approval):
    booking = paid_booking(customer=customer, service=service)
    lines_before = LedgerLine.objects.count()

    response = admin_client.post(
        reverse("backoffice_payouts:approve", args=[booking.transaction.pk]), {"reason": "Early"}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["The payout is released only after the booking is completed."]
    booking.transaction.refresh_from_db()
    assert booking.transaction.status == TransactionStatus.HELD
    assert LedgerLine.objects.count() == lines_before
