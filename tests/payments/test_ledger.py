"""The ledger: every posting balances, and each kind of movement happens once per payment."""

import pytest
from django.db import IntegrityError, transaction

from marketplace.payments.models import EntryKind, LedgerAccount, LedgerEntry, LedgerLine
from marketplace.payments.services import ledger_post
from tests.conftest import local_slot
from tests.factories.bookings import paid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(customer, service):
    return paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3)).transaction


def test_an_unbalanced_posting_is_refused_and_writes_nothing(payment):
    entries, lines = LedgerEntry.objects.count(), LedgerLine.objects.count()

    with pytest.raises(ValueError, match="unbalanced"):
        ledger_post(
            transaction=payment,
            kind=EntryKind.REFUND,
            lines=[(LedgerAccount.CUSTOMER_ESCROW, 30000, None), (LedgerAccount.PROCESSOR_CASH, -29999, None)],
        )

    assert (LedgerEntry.objects.count(), LedgerLine.objects.count()) == (entries, lines)


def test_a_second_posting_of_one_kind_is_refused_by_the_database(payment):
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger_post(
            transaction=payment,
            kind=EntryKind.CAPTURE,
            lines=[(LedgerAccount.PROCESSOR_CASH, 30000, None), (LedgerAccount.CUSTOMER_ESCROW, -30000, None)],
        )

    assert LedgerEntry.objects.filter(kind=EntryKind.CAPTURE).count() == 1


def test_zero_lines_are_dropped(payment):
    entry = ledger_post(
        transaction=payment,
        kind=EntryKind.REFUND,
        lines=[
            (LedgerAccount.CUSTOMER_ESCROW, 30000, None),
            (LedgerAccount.PLATFORM_COMMISSION, 0, None),
            (LedgerAccount.PROCESSOR_CASH, -30000, None),
        ],
    )

    assert sorted(entry.lines.values_list("account", "amount_minor")) == [
        ("customer_escrow", 30000),
        ("processor_cash", -30000),
    ]
