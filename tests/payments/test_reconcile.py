"""manage.py reconcile: the ledger against the gateway's own records, every difference printed, exit 1 on any."""

from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.bookings.services import booking_pay
from marketplace.core.money import Money
from marketplace.payments import tasks
from marketplace.payments.errors import PaymentProcessing
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import (
    EntryKind,
    LedgerAccount,
    LocalGatewayOperation,
    Movement,
    MovementKind,
    MovementState,
    Payout,
)
from marketplace.payments.services import escrow_refund_by_admin, ledger_post
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking, request_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

Kind = LocalGatewayOperation.Kind


def today() -> datetime:
    return timezone.now().astimezone(UTC).date()


def reconcile(*args: str) -> tuple[int, str, str]:
    """Run the command as cron would; returns (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("reconcile", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def reconcile_all(*extra: str) -> tuple[int, str, str]:
    """Everything the tests made: from ten days ago to tomorrow."""
    first, after = today() - timedelta(days=10), today() + timedelta(days=1)
    return reconcile("--from", first.isoformat(), "--to", after.isoformat(), *extra)


def differences(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("DIFFERENCE", "WARNING"))]


@pytest.fixture
def history(customer, service, admin_user):
    """Money that went every way: released and paid out, refunded after the payout, refunded in escrow."""
    released = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    reversed_ = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-4))
    escrow_refund_by_admin(
        admin=admin_user, booking_id=reversed_.pk, amount=Money(10000, "USD"), reason="Half the rooms were done"
    )
    refunded = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    escrow_refund_by_admin(admin=admin_user, booking_id=refunded.pk, amount=None, reason="Booked twice")
    return {"released": released, "reversed": reversed_, "refunded": refunded}


def test_a_clean_ledger_exits_0_and_says_so(history):
    kinds = sorted(LocalGatewayOperation.objects.values_list("kind", flat=True))
    assert kinds == ["charge", "charge", "charge", "refund", "refund", "reversal", "transfer", "transfer"]

    status, out, err = reconcile_all("--no-progress")

    assert status == 0
    assert differences(out) == []
    assert out.splitlines()[-1] == "Checked 8 gateway objects and 8 ledger postings: no differences."
    assert err == ""


def test_reconcile_only_reads(history):
    LocalGatewayOperation.objects.create(
        kind=Kind.CHARGE, reference="ch_local_orphan", idempotency_key="orphan", amount_minor=4200, currency="USD"
    )
    before = data_snapshot()

    assert reconcile_all()[0] == 1

    assert changed_tables(before, data_snapshot()) == []


def test_a_gateway_object_no_posting_carries_is_a_difference(history):
    LocalGatewayOperation.objects.create(
        kind=Kind.CHARGE, reference="ch_local_orphan", idempotency_key="orphan", amount_minor=4200, currency="USD"
    )

    status, out, _ = reconcile_all()

    assert status == 1
    [line] = differences(out)
    assert line.startswith("DIFFERENCE missing_posting ch_local_orphan: charge $42.00 created ")
    assert line.endswith(": no ledger posting carries this id")
    assert out.splitlines()[-1] == "Checked 9 gateway objects and 8 ledger postings: 1 difference, 0 warnings."


def test_a_posting_whose_gateway_object_does_not_exist_is_a_difference(history, vendor):
    payment = history["released"].transaction
    entry = ledger_post(
        transaction=payment,
        kind=EntryKind.PAYOUT,
        lines=[(LedgerAccount.VENDOR_PAYABLE, 100, vendor), (LedgerAccount.PROCESSOR_CASH, -100, None)],
        memo="Booked by hand",
        gateway_reference="tr_made_up",
    )

    status, out, _ = reconcile_all()

    assert status == 1
    [line] = differences(out)
    assert line.startswith(
        f"DIFFERENCE unknown_reference tr_made_up: ledger entry {entry.pk} (payout, booking "
        f"{history['released'].reference}, posted "
    )
    assert line.endswith(") names an object the gateway does not know")
    assert out.splitlines()[-1] == "Checked 8 gateway objects and 9 ledger postings: 1 difference, 0 warnings."


def test_an_amount_or_currency_that_differs_is_a_difference(history):
    payout = Payout.objects.get(transaction__booking=history["released"])
    LocalGatewayOperation.objects.filter(reference=payout.gateway_reference).update(
        amount_minor=F("amount_minor") + 100
    )
    charge = Movement.objects.get(booking=history["refunded"], kind=MovementKind.CHARGE)
    LocalGatewayOperation.objects.filter(reference=charge.gateway_reference).update(currency="CAD")

    status, out, _ = reconcile_all()

    assert status == 1
    assert differences(out) == [  # oldest object first
        f"DIFFERENCE amount_mismatch {payout.gateway_reference}: transfer: gateway $256.00 (USD), "
        f"ledger $255.00 (USD) [ledger entry {payout.ledger_entries.get().pk} (payout, booking "
        f"{history['released'].reference}), movement {payout.pk}]",
        f"DIFFERENCE amount_mismatch {charge.gateway_reference}: charge: gateway CA$300.00 (CAD), "
        f"ledger $300.00 (USD) [ledger entry {charge.ledger_entries.get().pk} (capture, booking "
        f"{history['refunded'].reference}), movement {charge.pk}]",
    ]


def test_an_object_booked_as_another_kind_is_a_difference(history):
    refund = Movement.objects.get(booking=history["refunded"], kind=MovementKind.REFUND)
    LocalGatewayOperation.objects.filter(reference=refund.gateway_reference).update(kind=Kind.TRANSFER)

    status, out, _ = reconcile_all()

    assert status == 1
    [line] = differences(out)
    assert line.startswith(f"DIFFERENCE kind_mismatch {refund.gateway_reference}: transfer $300.00 created ")
    assert "booked as refund_paid, expected payout" in line


def test_a_refund_of_another_charge_is_a_difference(history):
    refund = Movement.objects.get(booking=history["refunded"], kind=MovementKind.REFUND)
    LocalGatewayOperation.objects.filter(reference=refund.gateway_reference).update(source_reference="ch_other")

    status, out, _ = reconcile_all()

    assert status == 1
    [line] = differences(out)
    assert line.startswith(
        f"DIFFERENCE source_mismatch {refund.gateway_reference}: refund of ch_other at the gateway, "
        f"of {refund.source_reference} in the ledger"
    )


def test_a_movement_still_pending_is_reported_after_the_grace_period(history, admin_user):
    booking = paid_booking(
        customer=history["released"].customer, service=history["released"].service, starts_at=local_slot(days_ahead=5)
    )
    with time_machine.travel(timezone.now() - timedelta(hours=1)), local_gateway_faults(refund=["error"]):
        refund = escrow_refund_by_admin(
            admin=admin_user, booking_id=booking.pk, amount=Money(5000, "USD"), reason="Smaller job"
        )
    assert refund.state == MovementState.PENDING

    status, out, _ = reconcile_all()

    assert status == 1
    [line] = differences(out)
    assert line.startswith(
        f"WARNING pending_movement movement {refund.pk}: refund $50.00 of booking {booking.reference} recorded "
    )
    assert line.endswith(
        ", still pending after 1 attempt(s), last error: The local gateway failed before the refund (injected fault)."
    )
    assert out.splitlines()[-1] == "Checked 9 gateway objects and 9 ledger postings: 0 differences, 1 warning."
    # A movement younger than the grace period is on its way, not stuck.
    assert reconcile_all("--pending-grace", "120")[0] == 0


def test_a_gateway_answer_lost_shows_on_both_sides_until_the_sweep_finishes_it(history, admin_user, settings):
    settings.PAYMENTS_RETRY_AFTER_SECONDS = 0
    with time_machine.travel(timezone.now() - timedelta(hours=1)), local_gateway_faults(refund=["timeout"]):
        refund = escrow_refund_by_admin(
            admin=admin_user, booking_id=history["released"].pk, amount=Money(3000, "USD"), reason="A scratch"
        )
    operation = LocalGatewayOperation.objects.get(kind=Kind.REFUND, idempotency_key=refund.idempotency_key)

    status, out, _ = reconcile_all()

    assert status == 1
    assert [line.split(":")[0] for line in differences(out)] == [
        f"DIFFERENCE missing_posting {operation.reference}",
        f"WARNING pending_movement movement {refund.pk}",
    ]

    tasks.movement_recover_sweep()

    assert reconcile_all()[0] == 0


def test_a_refused_payout_is_a_warning_until_someone_acts(customer, service):
    with local_gateway_faults(transfer=["decline"]):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    payout = Payout.objects.get(transaction__booking=booking)
    assert payout.state == MovementState.FAILED

    status, out, _ = reconcile_all()

    assert status == 1
    [line] = differences(out)
    assert line.startswith(
        f"WARNING failed_movement movement {payout.pk}: payout $255.00 of booking {booking.reference} failed "
    )
    assert line.endswith(
        "(transfer_declined: The organizer's payout account refused the transfer.); still owed to the organizer"
    )


def test_a_movement_settled_after_midnight_is_no_difference_on_either_day(customer, service):
    """The gateway charged at 23:59 but the answer was lost; the sweep booked it at 00:05 the next day."""
    yesterday = today() - timedelta(days=1)
    with time_machine.travel(datetime.combine(yesterday, time(23, 59), tzinfo=UTC), tick=False):
        late = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=6))
        with local_gateway_faults(charge=["timeout"]), pytest.raises(PaymentProcessing):
            booking_pay(customer=customer, booking_id=late.pk, payment_method="pm_card_visa")
    with time_machine.travel(datetime.combine(today(), time(0, 5), tzinfo=UTC), tick=False):
        assert tasks.movement_recover_sweep() == {"succeeded": 1}
    charge = Movement.objects.get(booking=late, kind=MovementKind.CHARGE)
    assert charge.ledger_entries.get().created_at.date() == today()

    assert reconcile("--from", yesterday.isoformat(), "--to", today().isoformat())[0] == 0
    status, out, _ = reconcile("--from", today().isoformat(), "--to", (today() + timedelta(days=1)).isoformat())
    assert status == 0
    assert out.splitlines()[-1] == "Checked 0 gateway objects and 1 ledger postings: no differences."


def test_by_default_yesterday_is_reconciled(db):
    yesterday = today() - timedelta(days=1)
    for day, reference in [(yesterday, "ch_local_yesterday"), (today(), "ch_local_today")]:
        with time_machine.travel(datetime.combine(day, time(12, 0), tzinfo=UTC)):
            LocalGatewayOperation.objects.create(
                kind=Kind.CHARGE, reference=reference, idempotency_key=reference, amount_minor=100, currency="USD"
            )

    status, out, _ = reconcile()

    assert status == 1
    assert out.splitlines()[0] == (
        "Reconciling the local gateway with the ledger: objects created "
        f"{yesterday} 00:00 UTC to {today()} 00:00 UTC (exclusive)"
    )
    assert [line.split(":")[0] for line in differences(out)] == ["DIFFERENCE missing_posting ch_local_yesterday"]


def test_the_period_must_make_sense(db):
    with pytest.raises(CommandError, match="must be before --to") as refused:
        reconcile("--from", "2026-11-02", "--to", "2026-11-02")
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="is not a date"):
        reconcile("--from", "yesterday")


def test_the_ledger_is_read_in_chunks_not_per_object(history, monkeypatch):
    from marketplace.payments import reconciliation

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            reconcile_all("--no-progress")
        return len(captured)

    monkeypatch.setattr(reconciliation, "CHUNK_SIZE", 1000)
    few = queries()
    LocalGatewayOperation.objects.bulk_create(
        LocalGatewayOperation(
            kind=Kind.CHARGE,
            reference=f"ch_local_bulk_{n}",
            idempotency_key=f"bulk-{n}",
            amount_minor=100,
            currency="USD",
        )
        for n in range(50)
    )

    assert queries() == few
    monkeypatch.setattr(reconciliation, "CHUNK_SIZE", 10)
    assert queries() == few + 5  # 58 objects: 6 chunks of ledger look-ups instead of 1


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_goes_to_a_terminals_stderr_only(history):
    out, err = Terminal(), Terminal()
    call_command("reconcile", "--from", (today() - timedelta(days=10)).isoformat(), stdout=out, stderr=err)

    assert "Checking gateway objects" in err.getvalue()
    assert "Checking gateway objects" not in out.getvalue()

    out, err = Terminal(), Terminal()
    call_command(
        "reconcile", "--from", (today() - timedelta(days=10)).isoformat(), "--no-progress", stdout=out, stderr=err
    )
    assert err.getvalue() == ""


def test_a_payout_waiting_for_the_organizer_s_account_is_owed_not_a_difference(customer, make_vendor, category):
    from marketplace.payments.models import MovementState, Payout
    from tests.factories import ServiceFactory

    newcomer = make_vendor(profile__stripe_account_id="")  # no payout account: the payout waits
    service = ServiceFactory(vendor=newcomer, category=category, base_price_minor=30000)
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert Payout.objects.get(booking=booking).state == MovementState.WAITING

    status, out, _ = reconcile_all("--no-progress")

    assert status == 0
    assert out.splitlines()[-1] == "Checked 1 gateway objects and 1 ledger postings: no differences."
