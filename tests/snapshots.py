"""Proof that a refused request changed nothing.

``data_snapshot()`` reads every row of the tables that hold marketplace state
(plus the number of emails sent); a failure test takes one before and one after
the request and asserts they are equal: no new row, no changed row, no ledger
line, no audit entry, no email.
"""

from django.core import mail

from api.models import IdempotencyRecord
from marketplace.accounts.models import User
from marketplace.availability.models import AvailabilityException, AvailabilityRule
from marketplace.bookings.models import Booking
from marketplace.catalog.models import Category, Service
from marketplace.core.models import AuditLogEntry
from marketplace.notifications.models import SentNotification
from marketplace.payments.models import LedgerEntry, LedgerLine, LocalGatewayAccount, LocalGatewayOperation, Transaction
from marketplace.reviews.models import Review
from marketplace.vendors.models import Vendor, VendorDocument, VendorProfile

# Sign-ins (ApiSession, RefreshToken) are left out on purpose: acting as a user creates one.
WATCHED_MODELS = (
    User,
    Vendor,
    VendorProfile,
    VendorDocument,
    Category,
    Service,
    AvailabilityRule,
    AvailabilityException,
    Booking,
    Transaction,
    LedgerEntry,
    LedgerLine,
    LocalGatewayOperation,
    LocalGatewayAccount,
    Review,
    SentNotification,
    AuditLogEntry,
    IdempotencyRecord,
)


def data_snapshot() -> dict:
    state: dict = {
        model._meta.label: sorted(model.objects.order_by("pk").values_list(), key=lambda row: row[0])
        for model in WATCHED_MODELS
    }
    state["emails sent"] = len(mail.outbox)
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    """The names of the tables (and 'emails sent') that differ, for a readable assertion."""
    return [name for name in before if before[name] != after[name]]
