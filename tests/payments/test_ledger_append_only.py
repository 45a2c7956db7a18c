"""The ledger is append-only: a posted entry or line is never changed or deleted.

The models refuse it on both databases; on PostgreSQL a trigger refuses it too, so SQL
that bypasses the models (a bulk update, a raw statement, a console) cannot either.
TRUNCATE, which the test runner uses to empty a PostgreSQL database, still works.
"""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from marketplace.payments.models import LedgerEntry, LedgerIsAppendOnly, LedgerLine
from tests.conftest import local_slot
from tests.factories.bookings import paid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture(customer, service) -> LedgerEntry:
    """The capture posting of a paid booking: processor_cash +30000, customer_escrow -30000."""
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    return LedgerEntry.objects.get(transaction__booking=booking, kind="capture")


def ledger_rows() -> list[tuple]:
    entries = list(LedgerEntry.objects.order_by("id").values_list("id", "kind", "memo", "gateway_reference"))
    lines = list(LedgerLine.objects.order_by("id").values_list("id", "entry_id", "account", "amount_minor"))
    return entries + lines


def test_a_posted_entry_is_never_saved_again(capture):
    before = ledger_rows()
    capture.memo = "Corrected by hand"

    with pytest.raises(LedgerIsAppendOnly, match="A ledger entry is never changed"):
        capture.save()

    assert ledger_rows() == before


def test_a_posted_entry_is_never_deleted(capture):
    before = ledger_rows()

    with pytest.raises(LedgerIsAppendOnly, match="A ledger entry is never deleted"):
        capture.delete()

    assert ledger_rows() == before


def test_a_posted_line_is_never_saved_again(capture):
    line = capture.lines.get(account="processor_cash")
    before = ledger_rows()
    line.amount_minor = 1

    with pytest.raises(LedgerIsAppendOnly, match="A ledger line is never changed"):
        line.save()

    assert ledger_rows() == before


def test_a_posted_line_is_never_deleted(capture):
    line = capture.lines.get(account="processor_cash")
    before = ledger_rows()

    with pytest.raises(LedgerIsAppendOnly, match="A ledger line is never deleted"):
        line.delete()

    assert ledger_rows() == before


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("operation", "table", "statement"),
    [
        ("UPDATE", "payments_ledgerentry", "UPDATE payments_ledgerentry SET memo = 'edited' WHERE id = %(entry)s"),
        ("DELETE", "payments_ledgerentry", "DELETE FROM payments_ledgerentry WHERE id = %(entry)s"),
        ("UPDATE", "payments_ledgerline", "UPDATE payments_ledgerline SET amount_minor = 1 WHERE entry_id = %(entry)s"),
        ("DELETE", "payments_ledgerline", "DELETE FROM payments_ledgerline WHERE entry_id = %(entry)s"),
    ],
)
def test_postgres_refuses_raw_sql_that_changes_a_posted_row(capture, operation, table, statement):
    before = ledger_rows()

    refused = pytest.raises(IntegrityError, match=f"the ledger is append-only: {operation} on {table} refused")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, {"entry": capture.pk})

    assert ledger_rows() == before


@pytest.mark.postgres
def test_postgres_refuses_bulk_updates_and_deletes_that_bypass_the_models(capture):
    before = ledger_rows()

    with pytest.raises(IntegrityError, match="append-only: UPDATE on payments_ledgerline"), transaction.atomic():
        LedgerLine.objects.filter(entry=capture).update(amount_minor=0)
    with pytest.raises(IntegrityError, match="append-only: DELETE on payments_ledgerline"), transaction.atomic():
        LedgerLine.objects.filter(entry=capture)._raw_delete(LedgerLine.objects.db)

    assert ledger_rows() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_test_runner_can_still_empty_the_ledger(customer, service):
    """Transactional tests are cleaned up with `flush` (TRUNCATE on PostgreSQL), which the trigger lets through."""
    paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    assert LedgerLine.objects.count() == 2

    # As TransactionTestCase tears down a serialized_rollback test: without post_migrate, which
    # would recreate content types that the next test's restored data then collides with.
    call_command(
        "flush", interactive=False, verbosity=0, reset_sequences=False, allow_cascade=False, inhibit_post_migrate=True
    )

    assert (LedgerEntry.objects.count(), LedgerLine.objects.count()) == (0, 0)
