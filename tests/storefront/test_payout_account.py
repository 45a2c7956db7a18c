"""The organizer area's payouts account page, the local onboarding stand-in, and the pause as customers see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketplace.payments.gateways.base import AccountStatus
from marketplace.payments.models import LocalGatewayAccount
from marketplace.payments.payout_accounts import payout_account_sync
from marketplace.vendors.models import VendorProfile, VerificationStatus
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking, paid_booking
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of, service_url

pytestmark = pytest.mark.django_db

PAGE = "/vendor/payouts/"


@pytest.fixture
def newcomer(make_vendor):
    return make_vendor(business_name="Fresh Start", slug="fresh-start", profile__stripe_account_id="")


def follow_onboarding(browser, outcome: str = "submit"):
    """Set up payouts, act on the local onboarding page, and come back, as the organizer's browser would."""
    to_gateway = browser.post(reverse("storefront:vendor_payout_account_setup"))
    assert to_gateway.status_code == 302
    onboarding = to_gateway.url.removeprefix("http://127.0.0.1:8000")
    assert onboarding.startswith("/local-gateway/onboarding/")
    assert "Set up payout account acct_local_" in browser.get(onboarding).content.decode()
    back = browser.post(onboarding, {"outcome": outcome})
    assert back.url == "http://testserver/vendor/payouts/return/"
    return browser.get(back.url, follow=True)


def test_an_organizer_sets_up_payouts_from_the_vendor_area(browser_as, newcomer):
    browser = browser_as(newcomer.user)

    page = browser.get(PAGE).content.decode()
    assert 'data-payout-account-state="none"' in page
    assert "Set up payouts" in page

    done = follow_onboarding(browser)

    assert messages_of(done) == ["Your payout account is ready: payouts go out to it."]
    assert 'data-payout-account-state="enabled">Payouts enabled</span>' in done.content.decode()
    assert VendorProfile.objects.get(vendor=newcomer).payouts_enabled is True


def test_past_due_information_is_shown_in_plain_words_and_pauses_new_bookings(browser_as, newcomer):
    browser = browser_as(newcomer.user)
    follow_onboarding(browser)

    done = follow_onboarding(browser, outcome="past_due")

    page = done.content.decode()
    assert 'data-payout-account-state="past_due"' in page
    assert "an identity document" in page
    assert "data-new-bookings-paused" in page  # the banner on every organizer page
    assert "Continue setup" in page


def test_waiting_payouts_are_listed_with_the_reason(browser_as, customer, newcomer, category):
    service = ServiceFactory(vendor=newcomer, category=category, base_price_minor=30000)
    completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    browser = browser_as(newcomer.user)

    page = browser.get(PAGE).content.decode()
    dashboard = browser.get(reverse("storefront:vendor_dashboard")).content.decode()

    assert "Waiting for your account" in page
    assert "No payout account is set up yet. The payout goes out once the account can receive it." in page
    assert "$255.00 of payouts is waiting for your payout account" in dashboard


def test_the_organizer_s_booking_page_says_the_payout_waits_for_the_account(browser_as, customer, newcomer, category):
    service = ServiceFactory(vendor=newcomer, category=category, base_price_minor=30000)
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    page = browser_as(newcomer.user).get(reverse("storefront:vendor_booking", args=[booking.pk])).content.decode()

    assert (
        "Released to you: $255.00 waits for your payout account. No payout account is set up yet. "
        "The payout goes out once the account can receive it." in page
    )


def test_an_unverified_organizer_is_told_and_nothing_is_opened(browser_as, make_vendor):
    pending = make_vendor(status=VerificationStatus.PENDING, profile__stripe_account_id="")
    browser = browser_as(pending.user)
    assert "You can set up payouts once our team has verified your profile." in browser.get(PAGE).content.decode()
    before = data_snapshot()

    response = browser.post(reverse("storefront:vendor_payout_account_setup"), follow=True)

    assert messages_of(response) == ["Your organizer profile must be verified before you set up payouts."]
    assert changed_tables(before, data_snapshot()) == []


def test_customers_cannot_open_the_payouts_page(browser_as, customer):
    response = browser_as(customer).get(PAGE)

    assert response.status_code == 403


def test_the_return_without_an_account_says_so(browser_as, newcomer):
    response = browser_as(newcomer.user).get(reverse("storefront:vendor_payout_account_return"), follow=True)

    assert messages_of(response) == ["You have not set up a payout account yet: start with “Set up payouts”."]


def test_the_local_onboarding_page_exists_only_with_the_local_gateway(browser_as, newcomer, settings):
    browser = browser_as(newcomer.user)
    onboarding = browser.post(reverse("storefront:vendor_payout_account_setup")).url.removeprefix(
        "http://127.0.0.1:8000"
    )
    # The signed link is the credential, as Stripe's is: no sign-in with the marketplace needed.
    assert Client().get(onboarding).status_code == 200
    settings.PAYMENTS_GATEWAY = "stripe"

    assert browser.get(onboarding).status_code == 404


def test_a_forged_onboarding_link_is_not_found_and_changes_nothing(client, vendor):
    before = data_snapshot()

    response = client.post("/local-gateway/onboarding/not-a-signed-token/", {"outcome": "submit"})

    assert response.status_code == 404
    assert changed_tables(before, data_snapshot()) == []


def test_an_unknown_outcome_is_refused(browser_as, newcomer):
    browser = browser_as(newcomer.user)
    onboarding = browser.post(reverse("storefront:vendor_payout_account_setup")).url.removeprefix(
        "http://127.0.0.1:8000"
    )

    response = browser.post(onboarding, {"outcome": "approve_everything"})

    assert response.status_code == 400
    assert LocalGatewayAccount.objects.get().payouts_enabled is False


def test_customers_see_that_a_paused_organizer_is_not_taking_new_bookings(browser_as, customer, service):
    vendor = service.vendor
    payout_account_sync(
        status=AccountStatus(
            reference=vendor.profile.stripe_account_id,
            payouts_enabled=False,
            details_submitted=True,
            requirements_past_due=("individual.dob.day",),
        ),
        as_of=timezone.now(),
        source="test",
    )

    page = browser_as(customer).get(service_url(service)).content.decode()

    assert (
        "This organizer is not taking new bookings at the moment. Payout account information is past due: "
        "date of birth." in page
    )
    assert 'name="starts_at"' not in page  # no booking form
    profile_page = browser_as(customer).get(reverse("storefront:vendor_detail", args=[vendor.slug]), follow=True)
    assert "Not taking new bookings at the moment. Payout account information is past due: date of birth." in (
        profile_page.content.decode()
    )


def test_an_expired_link_goes_to_the_refresh_url_which_makes_a_new_link(browser_as, newcomer, time_machine):
    browser = browser_as(newcomer.user)
    onboarding = browser.post(reverse("storefront:vendor_payout_account_setup")).url.removeprefix(
        "http://127.0.0.1:8000"
    )
    time_machine.move_to(timezone.now() + timedelta(minutes=6))

    expired = browser.get(onboarding)
    fresh = browser.get(expired.url.removeprefix("http://testserver"))

    assert expired.url == "http://testserver/vendor/payouts/refresh/"
    assert fresh.status_code == 302
    assert fresh.url.startswith("http://127.0.0.1:8000/local-gateway/onboarding/")
    assert fresh.url.removeprefix("http://127.0.0.1:8000") != onboarding
    assert browser.get(fresh.url.removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert LocalGatewayAccount.objects.count() == 1


def test_the_refresh_url_without_an_account_goes_back_to_the_payouts_page(browser_as, newcomer):
    response = browser_as(newcomer.user).get(reverse("storefront:vendor_payout_account_refresh"))

    assert (response.status_code, response.url) == (302, PAGE)


def test_a_paused_organizer_is_told_why_instead_of_being_offered_accept(browser_as, customer, service):
    service.instant_booking = False
    service.save()
    request = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
    vendor = service.vendor
    dashboard = browser_as(vendor.user).get("/vendor/").content.decode()
    assert reverse("storefront:vendor_booking_accept", args=[request.pk]) in dashboard
    payout_account_sync(
        status=AccountStatus(
            reference=vendor.profile.stripe_account_id,
            payouts_enabled=False,
            details_submitted=True,
            requirements_past_due=("individual.dob.day",),
        ),
        as_of=timezone.now(),
        source="test",
    )

    for page in ("/vendor/", f"/vendor/bookings/{request.pk}/"):
        html = browser_as(vendor.user).get(page).content.decode()
        assert reverse("storefront:vendor_booking_accept", args=[request.pk]) not in html, page
        assert "Payout account information is past due: date of birth." in html, page
