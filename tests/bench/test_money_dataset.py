"""The money benchmark's bulk bookings are what the services write, so it times the real release.

bench/money.py makes its 10,000 completed, paid bookings with bulk inserts. Here one is made
that way and one through the booking and payment services; both are then released and paid
out by the task, and every money row of the two must be alike, but for the references.
"""

import pytest

from bench.money import build_bookings
from marketplace.bookings.models import Booking
from marketplace.payments.models import LedgerEntry, LocalGatewayOperation, Movement, Transaction
from marketplace.payments.tasks import escrow_release_due
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking

pytestmark = pytest.mark.django_db

PAYMENT_FIELDS = [
    "currency",
    "amount_minor",
    "commission_bps",
    "minimum_fee_minor",
    "platform_fee_minor",
    "vendor_payout_minor",
    "refunded_minor",
    "status",
    "gateway",
    "payment_reference",
    "transfer_reference",
    "refund_reference",
    "payout_needs_approval",
    "payout_approval_grounds",
    "released_by_id",
    "hold_reasons",
]


def money_rows(booking: Booking) -> dict:
    """Every money row of a booking, with its own references and ids replaced by placeholders."""
    references = {booking.reference: "<booking>", booking.vendor.business_name: "<organizer>"}
    for reference in Movement.objects.filter(booking=booking).values_list("gateway_reference", flat=True):
        references[reference] = f"<{reference.split('_')[0]}>"

    def plain(value):
        if isinstance(value, str):
            for real, placeholder in references.items():
                value = value.replace(real, placeholder)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    payment = Transaction.objects.get(booking=booking)
    movements = Movement.objects.filter(booking=booking).order_by("id")
    entries = LedgerEntry.objects.filter(transaction=payment).order_by("id").prefetch_related("lines")
    operations = LocalGatewayOperation.objects.filter(transfer_group=booking.reference).order_by("id")
    return {
        "payment": plain({field: getattr(payment, field) for field in PAYMENT_FIELDS}),
        "movements": [
            plain(
                {
                    "kind": m.kind,
                    "state": m.state,
                    "amount_minor": m.amount_minor,
                    "idempotency_key": m.idempotency_key,
                    "payment_method": m.payment_method,
                    "has_destination": bool(m.destination),
                    "source_reference": m.source_reference,
                    "details": {key: value for key, value in m.details.items() if key != "description"},
                    "gateway_reference": m.gateway_reference,
                    "attempts": m.attempts,
                    "actor_is_customer": m.actor_id == booking.customer_id,
                    "has_vendor": m.vendor_id is not None,
                }
            )
            for m in movements
        ],
        "entries": [
            plain(
                {
                    "kind": e.kind,
                    "gateway_reference": e.gateway_reference,
                    "movement": movements.filter(pk=e.movement_id).values_list("kind", flat=True).first(),
                    "memo": e.memo,
                    "lines": sorted(
                        (line.account, line.amount_minor, line.vendor_id is not None, line.currency)
                        for line in e.lines.all()
                    ),
                }
            )
            for e in entries
        ],
        "gateway": [
            plain(
                {
                    "kind": o.kind,
                    "reference": o.reference,
                    "idempotency_key": o.idempotency_key,
                    "amount_minor": o.amount_minor,
                    "payment_method": o.payment_method,
                    "has_destination": bool(o.destination),
                }
            )
            for o in operations
        ],
    }


def test_a_bulk_booking_releases_exactly_like_one_made_through_the_services(customer, service, other_vendor, category):
    real = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    other_service = ServiceFactory(vendor=other_vendor, category=category, base_price_minor=service.base_price_minor)

    [booking_id] = build_bookings(1, services=[other_service], customers=[customer])
    assert escrow_release_due() == 1

    bulk = Booking.objects.get(pk=booking_id)
    assert (bulk.status, real.status) == ("completed", "completed")
    assert money_rows(bulk) == money_rows(real)
    assert [m["kind"] for m in money_rows(bulk)["movements"]] == ["charge", "transfer"]
