"""A dispute racing the automatic release: exactly one wins, the other is told so clearly."""

import pytest

from marketplace.disputes.errors import DisputeNotAllowed
from marketplace.disputes.models import Dispute
from marketplace.disputes.services import dispute_open
from marketplace.payments.models import Payout, Transaction
from marketplace.payments.services import escrow_release_due
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking
from tests.payments.invariants import assert_money_invariants
from tests.races import run_at_once

racing = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROUNDS = 4


@racing
def test_a_dispute_and_the_release_job_at_once_exactly_one_wins(customer, service, settings):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 100  # completed, held: the release waits ...
    outcomes = []
    for round_ in range(ROUNDS):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2 - round_))
        Transaction.objects.filter(booking=booking).update(payout_needs_approval=False)  # ... and is now due

        def race(index, booking=booking):
            if index == 0:
                return dispute_open(
                    user=customer, booking_id=booking.pk, reason="damage", description="The mirror is cracked."
                )
            return escrow_release_due(limit=10)

        dispute, released = run_at_once(2, race)

        txn = Transaction.objects.get(booking=booking)
        if isinstance(dispute, Dispute):  # the dispute came first: the release left the escrow alone
            assert released == []
            assert (txn.status, txn.hold_reasons) == ("held", ["dispute"])
            assert not Payout.objects.filter(booking=booking).exists()
            outcomes.append("dispute")
        else:  # the release came first: the dispute is refused, and nothing of it was written
            assert isinstance(dispute, DisputeNotAllowed), dispute
            assert "already paid to the organizer" in str(dispute)
            assert [t.pk for t in released] == [txn.pk]
            assert (txn.status, txn.hold_reasons) == ("released", [])
            assert not Dispute.objects.filter(booking=booking).exists()
            booking.refresh_from_db()
            assert booking.status == "completed"
            outcomes.append("release")
    assert len(outcomes) == ROUNDS
    assert_money_invariants()
