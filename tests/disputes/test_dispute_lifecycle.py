"""Disputes, step by step: who may do what and when, what happens to the booking, the hold and the money."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail

from marketplace.accounts.errors import NotPermitted
from marketplace.bookings.policy import booking_actions
from marketplace.bookings.services import booking_complete_automatically, booking_confirm_completion
from marketplace.core.errors import InvalidTransition, NotFound, ValidationFailed
from marketplace.core.models import AuditLogEntry
from marketplace.core.money import Money
from marketplace.disputes.errors import (
    AlreadyAnswered,
    AlreadyDisputed,
    DisputeClosed,
    DisputeNotAllowed,
    ResponseTooLate,
)
from marketplace.disputes.models import Dispute, Evidence
from marketplace.disputes.policy import can_resolve, can_respond
from marketplace.disputes.services import (
    dispute_open,
    dispute_resolve,
    dispute_respond,
    dispute_withdraw,
)
from marketplace.payments.errors import EscrowOnHold, RefundTooLarge
from marketplace.payments.models import Movement, MovementKind, Payout, ReleaseHold, Transaction
from marketplace.payments.services import escrow_release
from marketplace.payments.tasks import escrow_release_due
from tests.conftest import local_slot
from tests.factories import CustomerFactory
from tests.factories.bookings import completed_booking, paid_booking, past_paid_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def upload(content: bytes = PNG, name: str = "kitchen.png") -> tuple[BytesIO, str]:
    return BytesIO(content), name


@pytest.fixture
def worked(customer, service):
    """A $300 booking whose appointment took place yesterday: paid, confirmed, not yet completed."""
    return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))


def open_dispute(booking, user=None, **fields):
    values = {"reason": "poor_quality", "description": "Half the closets were left as they were.", **fields}
    return dispute_open(user=user or booking.customer, booking_id=booking.pk, **values)


# --- Opening -------------------------------------------------------------------------------------


def test_the_customer_opens_a_dispute_the_booking_is_disputed_and_its_escrow_held(worked):
    mail.outbox.clear()

    dispute = open_dispute(worked, files=[upload(), upload(PDF, "receipt.pdf")])

    worked.refresh_from_db()
    txn = Transaction.objects.get(booking=worked)
    assert worked.status == "disputed"
    assert (txn.status, txn.hold_reasons) == ("held", ["dispute"])
    assert ReleaseHold.objects.get(transaction=txn, lifted_at__isnull=True).reason == "dispute"
    assert (dispute.status, dispute.opened_by_side, dispute.responding_side) == (
        "awaiting_response",
        "customer",
        "organizer",
    )
    assert [(e.side, e.content_type, e.original_name) for e in dispute.evidence.all()] == [
        ("customer", "image/png", "kitchen.png"),
        ("customer", "application/pdf", "receipt.pdf"),
    ]
    assert dispute.evidence.first().file.read() == PNG
    # the organizer is asked to answer; the customer gets an acknowledgement
    assert sorted(m.to[0] for m in mail.outbox) == sorted([worked.customer.email, worked.vendor.user.email])
    to_organizer = next(m for m in mail.outbox if m.to == [worked.vendor.user.email])
    assert to_organizer.subject == f"Dispute opened: Whole-home declutter ({worked.reference})"
    assert "Half the closets were left as they were." in to_organizer.body
    assert AuditLogEntry.objects.filter(action="dispute.opened").count() == 1
    assert assert_money_invariants()["held"] == 30000


def test_an_open_dispute_stops_the_automatic_release(worked, settings):
    open_dispute(worked)

    with time_machine.travel(worked.ends_at + timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS + 1)):
        assert booking_complete_automatically(booking_id=worked.pk) is None
        assert escrow_release_due() == 0

    assert Transaction.objects.get(booking=worked).status == "held"


def test_a_completed_booking_whose_payout_waits_for_approval_can_still_be_disputed(
    customer, service, admin_user, settings
):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 100
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert Transaction.objects.get(booking=booking).status == "held"

    open_dispute(booking, reason="damage", description="A vase was broken.")

    with pytest.raises(EscrowOnHold, match="a dispute is open"):
        escrow_release(booking_id=booking.pk, approved_by=admin_user, reason="Looks fine")


def test_the_organizer_reports_a_customer_no_show(worked):
    dispute = open_dispute(
        worked, user=worked.vendor.user, reason="customer_no_show", description="Nobody opened the door at 10:00."
    )

    assert (dispute.opened_by_side, dispute.responding_side) == ("organizer", "customer")
    worked.refresh_from_db()
    assert worked.status == "disputed"


def test_the_customer_reports_an_organizer_no_show(worked):
    dispute = open_dispute(worked, reason="organizer_no_show", description="Nobody came.")

    assert dispute.get_reason_display() == "The organizer did not come"


def refused_and_nothing_written(call, error, match):
    before = data_snapshot()
    with pytest.raises(error, match=match):
        call()
    assert changed_tables(before, data_snapshot()) == []


def test_a_dispute_before_the_appointment_starts_is_refused(customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=2))

    refused_and_nothing_written(lambda: open_dispute(booking), DisputeNotAllowed, "has not started yet")


def test_a_dispute_after_the_money_was_paid_out_is_refused(customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert Transaction.objects.get(booking=booking).status == "released"

    refused_and_nothing_written(lambda: open_dispute(booking), DisputeNotAllowed, "already paid to the organizer")


def test_a_second_dispute_on_one_booking_is_refused(worked):
    open_dispute(worked)

    refused_and_nothing_written(lambda: open_dispute(worked), AlreadyDisputed, "already has a dispute")


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"reason": ""}, "Choose a reason from the list"),
        ({"reason": "customer_no_show"}, "Choose a reason from the list"),  # the organizer's reason
        ({"reason": "bored"}, "Choose a reason from the list"),
        ({"description": "   "}, "description"),
    ],
)
def test_a_dispute_without_a_valid_reason_or_description_is_refused(worked, fields, match):
    refused_and_nothing_written(lambda: open_dispute(worked, **fields), ValidationFailed, match)


def test_someone_else_cannot_dispute_the_booking(worked, other_customer):
    refused_and_nothing_written(lambda: open_dispute(worked, user=other_customer), NotFound, "Booking not found")


# --- Answering -----------------------------------------------------------------------------------


def test_the_organizer_answers_and_the_dispute_goes_to_staff(worked):
    dispute = open_dispute(worked)
    mail.outbox.clear()

    dispute = dispute_respond(
        user=worked.vendor.user,
        dispute_id=dispute.pk,
        statement="Every closet was done; photos attached.",
        files=[upload(b"\xff\xd8\xff\xe0" + b"1" * 32, "after.jpg")],
    )

    assert dispute.status == "under_review"
    assert (dispute.responded_by, dispute.response) == (worked.vendor.user, "Every closet was done; photos attached.")
    assert [(e.side, e.content_type) for e in Evidence.objects.filter(dispute=dispute)] == [("organizer", "image/jpeg")]
    assert [m.to for m in mail.outbox] == [[worked.customer.email]]
    assert "Every closet was done" in mail.outbox[0].body


def test_only_the_other_side_answers_once_and_in_time(worked, settings):
    dispute = open_dispute(worked)

    with pytest.raises(DisputeNotAllowed, match="the other side answers it"):
        dispute_respond(user=worked.customer, dispute_id=dispute.pk, statement="Me again")
    dispute_respond(user=worked.vendor.user, dispute_id=dispute.pk, statement="Done as agreed.")
    with pytest.raises(AlreadyAnswered):
        dispute_respond(user=worked.vendor.user, dispute_id=dispute.pk, statement="And another thing")

    late = open_dispute(
        past_paid_booking(customer=worked.customer, service=worked.service, starts_at=local_slot(days_ahead=-2))
    )
    with time_machine.travel(late.respond_by + timedelta(seconds=1)):
        refused_and_nothing_written(
            lambda: dispute_respond(user=worked.vendor.user, dispute_id=late.pk, statement="Sorry, I was away"),
            ResponseTooLate,
            "time to answer this dispute has passed",
        )


# --- Deciding ------------------------------------------------------------------------------------


def test_staff_release_to_the_organizer(worked, admin_user):
    dispute = open_dispute(worked)
    mail.outbox.clear()

    dispute = dispute_resolve(
        staff=admin_user, dispute_id=dispute.pk, outcome="release", reason="The photos show the work was done."
    )

    worked.refresh_from_db()
    txn = Transaction.objects.get(booking=worked)
    assert (dispute.status, dispute.outcome, dispute.refunded_minor) == ("resolved", "release", 0)
    assert worked.status == "completed" and worked.completed_at is not None
    assert (txn.status, txn.hold_reasons) == ("released", [])
    assert Payout.objects.get(booking=worked).amount_minor == 25500
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Dispute decided")) == sorted(
        [worked.customer.email, worked.vendor.user.email]
    )
    assert "The photos show the work was done." in mail.outbox[-1].body
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 30000,
        "refunded": 0,
        "held": 0,
        "commission": 4500,
        "paid_out": 25500,
    }


def test_staff_refund_the_customer_in_full(worked, admin_user):
    dispute = open_dispute(worked)

    dispute = dispute_resolve(staff=admin_user, dispute_id=dispute.pk, outcome="refund", reason="No work was done.")

    worked.refresh_from_db()
    txn = Transaction.objects.get(booking=worked)
    assert (dispute.outcome, dispute.refunded_minor) == ("refund", 30000)
    assert (worked.status, worked.close_reason) == ("refunded", "No work was done.")
    assert (txn.status, txn.refunded_minor, txn.hold_reasons) == ("refunded", 30000, [])
    assert Movement.objects.get(booking=worked, kind=MovementKind.REFUND).state == "succeeded"
    assert not Payout.objects.filter(booking=worked).exists()
    invariants = assert_money_invariants()
    assert (invariants["refunded"], invariants["held"], invariants["paid_out"]) == (30000, 0, 0)


def test_staff_split_the_money(worked, admin_user):
    dispute = open_dispute(worked)

    dispute = dispute_resolve(
        staff=admin_user,
        dispute_id=dispute.pk,
        outcome="split",
        refund=Money(10000, "USD"),
        reason="One room of three was left undone.",
    )

    txn = Transaction.objects.get(booking=worked)
    payout = Payout.objects.get(booking=worked)
    assert (dispute.outcome, dispute.refunded_minor) == ("split", 10000)
    # what is left ($200) is split as the whole was: 15% commission
    assert (txn.status, txn.refunded_minor, txn.platform_fee_minor, txn.vendor_payout_minor) == (
        "released",
        10000,
        3000,
        17000,
    )
    assert payout.amount_minor == 17000
    assert txn.refunded_minor + txn.platform_fee_minor + txn.vendor_payout_minor == txn.amount_minor
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 20000,
        "refunded": 10000,
        "held": 0,
        "commission": 3000,
        "paid_out": 17000,
    }


@pytest.mark.parametrize(
    ("outcome", "refund", "error", "match"),
    [
        ("split", Money(30000, "USD"), RefundTooLarge, r"\$300.00 is held for this booking"),
        ("split", Money(30001, "USD"), RefundTooLarge, "is held for this booking"),
        ("split", Money(0, "USD"), ValidationFailed, "positive amount"),
        ("split", None, ValidationFailed, "how much the customer gets back"),
        ("release", Money(100, "USD"), ValidationFailed, "Only a split takes an amount"),
        ("keep", None, ValidationFailed, "outcome must be one of"),
    ],
)
def test_a_decision_that_does_not_add_up_is_refused(worked, admin_user, outcome, refund, error, match):
    dispute = open_dispute(worked)

    refused_and_nothing_written(
        lambda: dispute_resolve(staff=admin_user, dispute_id=dispute.pk, outcome=outcome, refund=refund, reason="x"),
        error,
        match,
    )


def test_a_decision_needs_a_reason_and_staff(worked, admin_user):
    dispute = open_dispute(worked)

    refused_and_nothing_written(
        lambda: dispute_resolve(staff=admin_user, dispute_id=dispute.pk, outcome="release", reason=" "),
        ValidationFailed,
        "reason",
    )
    refused_and_nothing_written(
        lambda: dispute_resolve(staff=worked.vendor.user, dispute_id=dispute.pk, outcome="release", reason="Mine"),
        NotPermitted,
        "resolve disputes",
    )


def test_a_closed_dispute_cannot_be_decided_again(worked, admin_user):
    dispute = open_dispute(worked)
    dispute_resolve(staff=admin_user, dispute_id=dispute.pk, outcome="release", reason="Fine.")

    refused_and_nothing_written(
        lambda: dispute_resolve(staff=admin_user, dispute_id=dispute.pk, outcome="refund", reason="Changed my mind"),
        DisputeClosed,
        "already resolved",
    )
    # the refusal is the policy's verdict, the one the two sides get for a closed dispute
    dispute.refresh_from_db()
    assert can_resolve(dispute).refusal.message == "This dispute was already resolved."
    assert can_respond(dispute, user=worked.vendor.user).refusal.message == "This dispute was already resolved."


def test_the_side_that_opened_it_may_withdraw_it(worked):
    dispute = open_dispute(worked)

    with pytest.raises(DisputeNotAllowed, match="Only the side that opened"):
        dispute_withdraw(user=worked.vendor.user, dispute_id=dispute.pk)
    dispute = dispute_withdraw(user=worked.customer, dispute_id=dispute.pk)

    worked.refresh_from_db()
    assert (dispute.status, worked.status) == ("withdrawn", "completed")
    assert Transaction.objects.get(booking=worked).status == "released"
    with pytest.raises(DisputeClosed):
        dispute_respond(user=worked.vendor.user, dispute_id=dispute.pk, statement="Too late")


def test_one_dispute_per_booking_even_after_it_closed(worked):
    dispute = open_dispute(worked)
    dispute_withdraw(user=worked.customer, dispute_id=dispute.pk)

    with pytest.raises(AlreadyDisputed):
        open_dispute(worked)
    assert Dispute.objects.count() == 1


def test_support_decides_within_the_refund_limit_and_finance_cannot_decide(worked, settings):
    settings.STAFF_REFUND_LIMIT_MINOR = 20000
    support = CustomerFactory(role="staff")
    support.groups.add(Group.objects.get(name="Support"))
    finance = CustomerFactory(role="staff")
    finance.groups.add(Group.objects.get(name="Finance"))
    dispute = open_dispute(worked)

    refused_and_nothing_written(
        lambda: dispute_resolve(staff=finance, dispute_id=dispute.pk, outcome="release", reason="Fine"),
        NotPermitted,
        "resolve disputes",
    )
    refused_and_nothing_written(
        lambda: dispute_resolve(staff=support, dispute_id=dispute.pk, outcome="refund", reason="Nothing done"),
        NotPermitted,
        r"at most \$200.00 at once; ask finance to refund \$300.00",
    )
    decided = dispute_resolve(
        staff=support, dispute_id=dispute.pk, outcome="split", refund=Money(15000, "USD"), reason="Half done"
    )
    assert (decided.outcome, decided.decided_by) == ("split", support)


def test_a_disputed_booking_is_not_confirmed_as_done_but_the_dispute_withdrawn(worked):
    dispute = open_dispute(worked)
    worked.refresh_from_db()

    assert "confirm_completion" not in booking_actions(worked, user=worked.customer)
    refused_and_nothing_written(
        lambda: booking_confirm_completion(customer=worked.customer, booking_id=worked.pk),
        InvalidTransition,
        "withdraw it if you are happy with the work",
    )
    assert Dispute.objects.get(pk=dispute.pk).status == "awaiting_response"
