"""What the back office shows of organizers' payout accounts, and of the payouts waiting for them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.payments.gateways.base import AccountStatus
from marketplace.payments.payout_accounts import payout_account_sync
from marketplace.vendors.models import VendorProfile

from .conftest import client_for, completed_booking

pytestmark = pytest.mark.django_db


def report_past_due(vendor) -> None:
    payout_account_sync(
        status=AccountStatus(
            reference=vendor.profile.stripe_account_id,
            payouts_enabled=False,
            details_submitted=True,
            requirements_due=("individual.verification.document", "external_account"),
            requirements_past_due=("individual.verification.document",),
            disabled_reason="requirements.past_due",
        ),
        as_of=timezone.now(),
        source="test",
    )


def test_the_vendor_page_shows_the_payout_account_and_the_pause(admin_client, customer, service):
    vendor = service.vendor
    booking = completed_booking(customer=customer, service=service)  # before the pause: it goes on
    report_past_due(vendor)  # the payout was sent already; a new one would wait

    html = admin_client.get(reverse("backoffice_vendors:inspect", args=[vendor.pk])).content.decode()

    assert "Payout account" in html
    assert "Information past due" in html
    assert vendor.profile.stripe_account_id in html
    assert "an identity document, a bank account for payouts" in html  # due, in plain words
    assert "requirements.past_due" in html
    assert "Paused since" in html
    assert "Payout account information is past due: an identity document." in html
    assert booking.reference not in html  # its payout went out before the account fell past due


def test_an_organizer_without_an_account_is_shown_as_not_set_up(admin_client, vendor):
    VendorProfile.objects.filter(vendor=vendor).update(stripe_account_id="", payouts_enabled=False)

    html = admin_client.get(reverse("backoffice_vendors:inspect", args=[vendor.pk])).content.decode()

    assert "Not set up" in html
    assert "No payout account is set up yet." in html


def test_payouts_waiting_for_accounts_are_listed_with_why(admin_client, customer, service, vendor):
    VendorProfile.objects.filter(vendor=vendor).update(stripe_account_id="", payouts_enabled=False)
    booking = completed_booking(customer=customer, service=service)

    index = admin_client.get(reverse("backoffice_payouts:index")).content.decode()
    waiting = admin_client.get(reverse("backoffice_payouts:waiting"))

    assert "Waiting for organizers&#x27; accounts (1)" in index
    assert waiting.status_code == 200
    html = waiting.content.decode()
    assert booking.reference in html
    assert "Calm Spaces" in html
    assert "$255.00" in html
    assert "No payout account is set up yet. The payout goes out once the account can receive it." in html
    assert reverse("backoffice_vendors:inspect", args=[vendor.pk]) in html


def test_the_waiting_list_is_for_back_office_users_only(vendor):
    response = client_for(vendor.user).get(reverse("backoffice_payouts:waiting"))

    assert response.status_code in (302, 403)


def test_the_dashboard_counts_waiting_payouts_and_paused_organizers(admin_client, customer, service, other_vendor):
    VendorProfile.objects.filter(vendor=service.vendor).update(stripe_account_id="", payouts_enabled=False)
    completed_booking(customer=customer, service=service)
    report_past_due(other_vendor)

    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    paused = admin_client.get(reverse("backoffice_vendors:index"), {"new_bookings": "paused"})

    assert "1 payout waiting for organizers' payout accounts" in html
    assert "1 organizer not taking new bookings (payout account past due)" in html
    assert reverse("backoffice_payouts:waiting") in html
    assert [vendor.business_name for vendor in paused.context["object_list"]] == ["Box & Order"]
