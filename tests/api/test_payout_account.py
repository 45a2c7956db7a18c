"""The organizer's payout account through the API: its state, the onboarding link, waiting payouts."""

from __future__ import annotations

import pytest

from marketplace.payments.gateways.local import local_gateway_onboarding_submit, local_gateway_onboarding_token
from marketplace.payments.models import LocalGatewayAccount
from marketplace.vendors.models import VerificationStatus
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

SHARE = 25500


@pytest.fixture
def newcomer(make_vendor):
    return make_vendor(business_name="Fresh Start", slug="fresh-start", profile__stripe_account_id="")


def test_an_organizer_without_an_account_gets_a_clear_404(api, newcomer):
    response = api.as_user(newcomer.user).get("vendors/me/payout-account")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "You have not set up a payout account yet: start with “Set up payouts”.",
        "code": "no_payout_account",
    }


def test_the_link_opens_the_account_once_and_leads_to_onboarding(api, newcomer):
    api.as_user(newcomer.user)

    first = api.post("vendors/me/payout-account/link")
    second = api.post("vendors/me/payout-account/link")

    assert first.status_code == second.status_code == 200, first.content
    assert first.json()["url"].startswith("http://127.0.0.1:8000/local-gateway/onboarding/")
    assert LocalGatewayAccount.objects.count() == 1
    account = api.get("vendors/me/payout-account").json()
    assert account["state"] == "incomplete"
    assert account["account_id"].startswith("acct_local_")
    assert account["requirements_due_text"] == [
        "business details (website, industry)",
        "a bank account for payouts",
        "date of birth",
        "acceptance of the payment processor's terms",
    ]
    assert account["problem"] == "The payout account setup is not finished."
    assert account["new_bookings_paused_reason"] == ""

    link = local_gateway_onboarding_submit(local_gateway_onboarding_token(first.json()["url"]), outcome="submit")

    assert link["return_url"] == "http://testserver/vendor/payouts/return/"
    assert link["refresh_url"] == "http://testserver/vendor/payouts/refresh/"
    ready = api.get("vendors/me/payout-account").json()
    assert (ready["state"], ready["payouts_enabled"], ready["problem"]) == ("enabled", True, "")


@pytest.mark.parametrize("who", ["customer", "unverified", "no_profile"])
def test_only_verified_organizers_get_a_link_and_nothing_is_written_otherwise(
    api, who, customer, make_vendor, unverified_vendor_user
):
    user = {
        "customer": lambda: customer,
        "unverified": lambda: make_vendor(status=VerificationStatus.PENDING, profile__stripe_account_id="").user,
        "no_profile": lambda: unverified_vendor_user,
    }[who]()
    api.as_user(user)
    before = data_snapshot()

    response = api.post("vendors/me/payout-account/link")

    expected = {
        "customer": (403, "not_a_vendor"),
        "unverified": (403, "vendor_not_verified"),
        "no_profile": (404, "no_vendor_profile"),
    }[who]
    assert (response.status_code, response.json()["code"]) == expected
    assert changed_tables(before, data_snapshot()) == []


def test_a_customer_has_no_payout_account(api, customer):
    response = api.as_user(customer).get("vendors/me/payout-account")

    assert (response.status_code, response.json()["code"]) == (403, "not_a_vendor")


def test_a_waiting_payout_says_why_in_the_payouts_and_the_earnings(api, customer, newcomer, category):
    service = ServiceFactory(vendor=newcomer, category=category, base_price_minor=30000)
    completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    api.as_user(newcomer.user)

    [payout] = api.get("payouts").json()["results"]
    earnings = api.get("payments/earnings").json()

    assert (payout["state"], payout["amount_minor"], payout["destination"]) == ("waiting", SHARE, "")
    assert payout["waiting_for"] == (
        "No payout account is set up yet. The payout goes out once the account can receive it."
    )
    assert (earnings["payout_waiting_minor"], earnings["payout_pending_minor"], earnings["paid_out_minor"]) == (
        SHARE,
        0,
        0,
    )


def test_the_public_profile_says_whether_the_organizer_takes_new_bookings(api, vendor):
    vendor.new_bookings_paused_reason = "Payout account information is past due: date of birth."
    vendor.new_bookings_paused_at = vendor.created_at
    vendor.save()

    body = api.anonymous().get(f"vendors/{vendor.pk}").json()

    assert (body["taking_new_bookings"], body["new_bookings_paused_reason"]) == (
        False,
        "Payout account information is past due: date of birth.",
    )
