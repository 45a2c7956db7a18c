"""Organizers' payout accounts on the local gateway: opening, onboarding, and what their state does.

A payout to an account that cannot receive it waits (owed, not moved) and goes out when the
account can; requirements that fall past due after setup pause new bookings (a flag of its
own, never the verification status) until they are met.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from marketplace.core.models import AuditLogEntry
from marketplace.core.money import Money
from marketplace.payments import services as payments
from marketplace.payments.errors import (
    NoPayoutAccount,
    PaymentProviderUnavailable,
    PayoutAccountNotFound,
    TransferDeclined,
)
from marketplace.payments.gateways.base import AccountStatus
from marketplace.payments.gateways.local import (
    LocalGateway,
    OnboardingLinkInvalid,
    local_gateway_account_ready,
    local_gateway_faults,
    local_gateway_onboarding_submit,
    local_gateway_onboarding_token,
)
from marketplace.payments.models import (
    LocalGatewayAccount,
    LocalGatewayOperation,
    MovementState,
    Payout,
    TransactionStatus,
)
from marketplace.payments.payout_accounts import (
    payout_account_for_user,
    payout_account_link,
    payout_account_open,
    payout_account_refresh,
    payout_account_sync,
)
from marketplace.payments.selectors import vendor_earnings
from marketplace.payments.services import payouts_execute
from marketplace.vendors.errors import NotAVendor, VendorNotVerified
from marketplace.vendors.models import VendorProfile, VerificationStatus
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking
from tests.payments.money_checks import assert_money_invariants
from tests.races import run_at_once
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

URLS = {"refresh_url": "http://testserver/vendor/payouts/refresh/", "return_url": "http://testserver/vendor/payouts/"}
SHARE = 25500  # $300.00 less the 15% commission


@pytest.fixture
def newcomer(make_vendor):
    """A verified organizer who has not set up a payout account."""
    return make_vendor(business_name="Fresh Start", slug="fresh-start", profile__stripe_account_id="")


@pytest.fixture
def newcomer_service(newcomer, category):
    return ServiceFactory(vendor=newcomer, category=category, base_price_minor=30000)


def onboard(user, outcome: str = "submit") -> dict:
    """The organizer follows the account link and acts on the local onboarding page."""
    url = payout_account_link(user=user, **URLS)
    return local_gateway_onboarding_submit(local_gateway_onboarding_token(url), outcome=outcome)


def status(reference: str, **fields) -> AccountStatus:
    return AccountStatus(reference=reference, **{"payouts_enabled": False, "details_submitted": False, **fields})


# --- Opening and onboarding ------------------------------------------------------------------------


def test_the_account_is_opened_once_with_stripe_s_first_requirements(newcomer):
    first = payout_account_open(user=newcomer.user)
    second = payout_account_open(user=newcomer.user)

    assert first.stripe_account_id == second.stripe_account_id
    assert first.stripe_account_id.startswith("acct_local_")
    account = LocalGatewayAccount.objects.get()
    assert account.idempotency_key == f"vendor-{newcomer.pk}:payout-account"
    assert (first.payouts_enabled, first.payout_details_submitted) == (False, False)
    assert first.payout_requirements_due == [
        "business_profile.url",
        "external_account",
        "individual.dob.day",
        "tos_acceptance.date",
    ]
    assert first.payout_disabled_reason == "requirements.past_due"
    # A new account's first requirements are past due at Stripe too: that is setup, not a pause.
    newcomer.refresh_from_db()
    assert newcomer.new_bookings_paused is False
    assert list(AuditLogEntry.objects.filter(action__startswith="vendor.payout").values_list("action", flat=True)) == [
        "vendor.payout_account_opened"
    ]


def test_a_retried_opening_gets_the_same_account_from_the_gateway(newcomer):
    gateway = LocalGateway()
    key = f"vendor-{newcomer.pk}:payout-account"

    first = gateway.create_account(email="a@example.com", country="", idempotency_key=key)
    again = gateway.create_account(email="a@example.com", country="", idempotency_key=key)

    assert first == again
    assert LocalGatewayAccount.objects.count() == 1


def test_onboarding_enables_payouts_and_the_return_reads_the_account(newcomer):
    link = onboard(newcomer.user)

    assert link["return_url"] == URLS["return_url"]
    profile = payout_account_refresh(user=newcomer.user)
    assert (profile.payouts_enabled, profile.payout_details_submitted) == (True, True)
    assert (profile.payout_requirements_due, profile.payout_requirements_past_due) == ([], [])
    assert profile.payout_account_synced_at is not None
    assert AuditLogEntry.objects.filter(action="vendor.payouts_enabled").count() == 1


def test_unverified_organizers_and_customers_get_no_account(make_vendor, customer):
    pending = make_vendor(status=VerificationStatus.PENDING, profile__stripe_account_id="")
    before = data_snapshot()

    with pytest.raises(VendorNotVerified):
        payout_account_link(user=pending.user, **URLS)
    with pytest.raises(NotAVendor):
        payout_account_link(user=customer, **URLS)

    assert changed_tables(before, data_snapshot()) == []


def test_an_organizer_without_an_account_is_told_so(newcomer):
    with pytest.raises(NoPayoutAccount, match="not set up a payout account"):
        payout_account_for_user(user=newcomer.user)


def test_a_gateway_that_does_not_answer_opens_nothing(newcomer):
    before = data_snapshot()

    with local_gateway_faults(account=["error"]), pytest.raises(PaymentProviderUnavailable):
        payout_account_link(user=newcomer.user, **URLS)

    assert changed_tables(before, data_snapshot()) == []


def test_a_tampered_onboarding_link_changes_nothing(newcomer, vendor):
    url = payout_account_link(user=newcomer.user, **URLS)
    token = local_gateway_onboarding_token(url)
    before = data_snapshot()

    # Another organizer's account id put in the link: its signature no longer matches.
    forged = signing.b64_encode(json.dumps({"account": vendor.profile.stripe_account_id, **URLS}).encode()).decode()
    with pytest.raises(OnboardingLinkInvalid):
        local_gateway_onboarding_submit(forged + token[token.index(":") :], outcome="submit")

    assert changed_tables(before, data_snapshot()) == []


def test_an_expired_onboarding_link_sends_the_organizer_to_the_refresh_url(newcomer, time_machine):
    url = payout_account_link(user=newcomer.user, **URLS)
    time_machine.move_to(timezone.now() + timedelta(minutes=6))

    with pytest.raises(OnboardingLinkInvalid) as expired:
        local_gateway_onboarding_submit(local_gateway_onboarding_token(url), outcome="submit")

    assert expired.value.refresh_url == URLS["refresh_url"]
    assert VendorProfile.objects.get(vendor=newcomer).payouts_enabled is False


def test_a_link_for_an_unknown_account_is_refused():
    with pytest.raises(PayoutAccountNotFound):
        LocalGateway().account_link(account_reference="acct_local_nobody", **URLS)


# --- Transfers at the local gateway ----------------------------------------------------------------


def test_the_local_gateway_refuses_a_transfer_to_an_account_that_cannot_receive(newcomer):
    profile = payout_account_open(user=newcomer.user)
    gateway = LocalGateway()
    send = {"amount": Money(100, "USD"), "transfer_group": "BK-1", "idempotency_key": "t"}

    with pytest.raises(TransferDeclined):
        gateway.transfer(destination=profile.stripe_account_id, **send)
    with pytest.raises(PayoutAccountNotFound):
        gateway.transfer(destination="vendor_7", **send)
    assert not LocalGatewayOperation.objects.exists()
    assert gateway.transfer(destination=local_gateway_account_ready().reference, **send).status == "succeeded"


# --- Payouts that wait for the account ------------------------------------------------------------------


def test_a_payout_to_an_organizer_without_an_account_waits_owed_not_moved(customer, newcomer, newcomer_service):
    booking = completed_booking(customer=customer, service=newcomer_service, starts_at=local_slot(days_ahead=-2))

    payout = Payout.objects.get(booking=booking)
    assert payout.transaction.status == TransactionStatus.RELEASED
    assert (payout.state, payout.amount_minor, payout.destination, payout.attempts) == (
        MovementState.WAITING,
        SHARE,
        "",
        0,
    )
    assert payout.details["waited_for_account"] == "No payout account is set up yet."
    assert not LocalGatewayOperation.objects.filter(kind="transfer").exists()
    assert vendor_earnings(vendor=newcomer)["payout_waiting_minor"] == SHARE
    totals = assert_money_invariants()
    assert totals["paid_out"] == 0


def test_waiting_payouts_go_out_once_the_account_can_receive(customer, newcomer, newcomer_service):
    bookings = [
        completed_booking(customer=customer, service=newcomer_service, starts_at=local_slot(days_ahead=-day))
        for day in (2, 3)
    ]
    onboard(newcomer.user, outcome="past_due")  # submitted, but not enabled: still waiting
    assert set(Payout.objects.values_list("state", flat=True)) == {MovementState.WAITING}

    onboard(newcomer.user)

    account = VendorProfile.objects.get(vendor=newcomer).stripe_account_id
    payouts = Payout.objects.filter(booking__in=bookings)
    assert (
        sorted(payouts.values_list("state", "destination", "amount_minor"))
        == [(MovementState.SUCCEEDED, account, SHARE)] * 2
    )
    assert LocalGatewayOperation.objects.filter(kind="transfer", destination=account).count() == 2
    assert AuditLogEntry.objects.filter(action="vendor.waiting_payouts_sent").count() == 1
    assert assert_money_invariants()["paid_out"] == 2 * SHARE


def test_a_payout_queued_before_payouts_were_disabled_waits_instead_of_failing(customer, vendor, service, monkeypatch):
    real_enqueue = payments.enqueue

    def enqueue(func, *args, **kwargs):  # the payout job runs later
        if not func.endswith("payouts_execute"):
            real_enqueue(func, *args, **kwargs)

    monkeypatch.setattr(payments, "enqueue", enqueue)
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    monkeypatch.undo()
    payout = Payout.objects.get(booking=booking)
    assert payout.state == MovementState.PENDING
    profile = vendor.profile
    LocalGatewayAccount.objects.filter(reference=profile.stripe_account_id).update(payouts_enabled=False)
    payout_account_sync(
        status=LocalGateway().account_status(account_reference=profile.stripe_account_id),
        as_of=timezone.now(),
        source="test",
    )

    [after] = payouts_execute(payout_ids=[payout.pk])

    assert after.state == MovementState.WAITING
    assert after.details["waited_for_account"] == "The payment processor is still reviewing the payout account."
    assert not LocalGatewayOperation.objects.filter(kind="transfer").exists()
    assert_money_invariants()


# --- Pausing new bookings ----------------------------------------------------------------------------------


def test_requirements_past_due_after_setup_pause_new_bookings_and_meeting_them_resumes(newcomer):
    onboard(newcomer.user)

    onboard(newcomer.user, outcome="past_due")

    newcomer.refresh_from_db()
    assert newcomer.new_bookings_paused is True
    assert newcomer.new_bookings_paused_reason == "Payout account information is past due: an identity document."
    assert newcomer.verification_status == VerificationStatus.VERIFIED
    profile = VendorProfile.objects.get(vendor=newcomer)
    assert (profile.payouts_enabled, profile.payout_requirements_past_due) == (
        False,
        ["individual.verification.document"],
    )

    onboard(newcomer.user)

    newcomer.refresh_from_db()
    assert (newcomer.new_bookings_paused_at, newcomer.new_bookings_paused_reason) == (None, "")
    assert newcomer.verification_status == VerificationStatus.VERIFIED
    assert list(
        AuditLogEntry.objects.filter(action__startswith="vendor.").order_by("pk").values_list("action", flat=True)
    )[-5:] == [
        "vendor.payouts_enabled",
        "vendor.payouts_disabled",
        "vendor.new_bookings_paused",
        "vendor.payouts_enabled",
        "vendor.new_bookings_resumed",
    ]


def test_an_older_report_changes_nothing(newcomer):
    profile = payout_account_open(user=newcomer.user)
    reference = profile.stripe_account_id
    now = timezone.now()
    payout_account_sync(status=status(reference, payouts_enabled=True, details_submitted=True), as_of=now, source="a")

    note = payout_account_sync(
        status=status(reference, details_submitted=True, requirements_past_due=("external_account",)),
        as_of=now - timedelta(seconds=1),
        source="b",
    )

    assert note == f"A newer report of {reference} was applied already: this older one changes nothing."
    profile.refresh_from_db()
    newcomer.refresh_from_db()
    assert (profile.payouts_enabled, newcomer.new_bookings_paused) == (True, False)


def test_a_report_about_an_account_that_is_no_organizer_s_changes_nothing(vendor):
    before = data_snapshot()

    note = payout_account_sync(status=status("acct_foreign", payouts_enabled=True), as_of=timezone.now(), source="x")

    assert note == "Account acct_foreign is not an organizer's: another system's object."
    assert changed_tables(before, data_snapshot()) == []


# --- A release and the account's enabling at once (PostgreSQL: row locks) ------------------------------

racing = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.postgres
@racing
def test_a_release_racing_the_account_s_enabling_never_leaves_a_payout_waiting(customer, vendor, service, monkeypatch):
    real_enqueue = payments.enqueue

    def enqueue(func, *args, **kwargs):  # the release job is run by the race below, not on commit
        if not func.endswith("tasks.escrow_release_due"):
            real_enqueue(func, *args, **kwargs)

    monkeypatch.setattr(payments, "enqueue", enqueue)
    reference = vendor.profile.stripe_account_id
    LocalGatewayAccount.objects.filter(reference=reference).update(payouts_enabled=False)
    VendorProfile.objects.filter(vendor=vendor).update(payouts_enabled=False)
    bookings = [
        completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-day))
        for day in (2, 3, 4)
    ]
    LocalGatewayAccount.objects.filter(reference=reference).update(payouts_enabled=True)  # the processor enables it
    enabled = LocalGateway().account_status(account_reference=reference)

    def work(index: int):
        if index == 0:
            return payments.escrow_release_due(limit=10)
        return payout_account_sync(status=enabled, as_of=timezone.now(), source="race")

    results = run_at_once(2, work)

    assert not [result for result in results if isinstance(result, BaseException)], results
    payouts = Payout.objects.filter(booking__in=bookings)
    assert sorted(payouts.values_list("state", flat=True)) == [MovementState.SUCCEEDED] * 3
    assert LocalGatewayOperation.objects.filter(kind="transfer", destination=reference).count() == 3
    assert assert_money_invariants()["paid_out"] == 3 * SHARE


def test_a_refund_after_release_makes_a_waiting_payout_smaller_instead_of_reversing(
    customer, newcomer, newcomer_service, admin_user
):
    from marketplace.payments.services import escrow_refund_by_admin

    booking = completed_booking(customer=customer, service=newcomer_service, starts_at=local_slot(days_ahead=-2))

    escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=Money(10000, "USD"), reason="Goodwill")

    payout = Payout.objects.get(booking=booking)
    assert (payout.state, payout.amount_minor) == (MovementState.WAITING, SHARE - 8500)  # 85% of $100 back
    assert payout.details["refunded_before_payout_minor"] == 8500
    assert not LocalGatewayOperation.objects.filter(kind__in=["transfer", "reversal"]).exists()
    assert assert_money_invariants()["vendor_debt"] == 0

    onboard(newcomer.user)

    assert Payout.objects.get(booking=booking).state == MovementState.SUCCEEDED
    assert LocalGatewayOperation.objects.get(kind="transfer").amount_minor == SHARE - 8500
    assert_money_invariants()


def test_a_full_refund_leaves_the_waiting_payout_with_nothing_to_send(customer, newcomer, newcomer_service, admin_user):
    from marketplace.payments.services import escrow_refund_by_admin

    booking = completed_booking(customer=customer, service=newcomer_service, starts_at=local_slot(days_ahead=-2))

    escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=None, reason="Work not done")

    payout = Payout.objects.get(booking=booking)
    assert (payout.state, payout.amount_minor) == (MovementState.SUCCEEDED, 0)
    assert not LocalGatewayOperation.objects.filter(kind="transfer").exists()
    assert_money_invariants()
