from django.conf import settings
from django.db import models
from django.db.models import F, Q

from marketplace.core.money import Money


class TransactionStatus(models.TextChoices):
    HELD = "held", "Held in escrow"  # captured from the customer; nobody has been paid yet
    RELEASED = "released", "Released"  # commission kept, the vendor's share transferred
    REFUNDED = "refunded", "Refunded"  # returned to the customer in full


class Transaction(models.Model):
    """The money of one booking: what was captured, the commission, what the vendor gets.

    The split is fixed when the money is captured (the commission rate in force then),
    and fee + payout = amount is a database constraint. Every movement of this money
    is also a balanced ledger entry; the ledger, not this row, is the book of record.
    """

    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="transaction")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    commission_bps = models.PositiveIntegerField()
    platform_fee_minor = models.BigIntegerField()
    vendor_payout_minor = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=TransactionStatus.choices, default=TransactionStatus.HELD)

    gateway = models.CharField(max_length=16)
    payment_reference = models.CharField(max_length=128)
    transfer_reference = models.CharField(max_length=128, blank=True)
    refund_reference = models.CharField(max_length=128, blank=True)

    captured_at = models.DateTimeField()
    # When the work was confirmed (the booking completed) and the escrow became due for
    # release. The money service keeps this itself, so it never reads a booking's status.
    releasable_at = models.DateTimeField(null=True, blank=True)
    # Decided when the escrow becomes due: whether the payout waits for an admin, and why
    # (codes of marketplace.payments.policy.APPROVAL_GROUNDS, as they stood then).
    payout_needs_approval = models.BooleanField(default=False)
    payout_approval_grounds = models.JSONField(default=list, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-captured_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="transaction_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(platform_fee_minor__gte=0, vendor_payout_minor__gte=0),
                name="transaction_parts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor=F("platform_fee_minor") + F("vendor_payout_minor")),
                name="transaction_parts_sum_to_amount",
            ),
            models.CheckConstraint(condition=Q(commission_bps__lte=10000), name="transaction_commission_bps_range"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.amount} ({self.status})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def platform_fee(self) -> Money:
        return Money(self.platform_fee_minor, self.currency)

    @property
    def vendor_payout(self) -> Money:
        return Money(self.vendor_payout_minor, self.currency)


class LedgerAccount(models.TextChoices):
    PROCESSOR_CASH = "processor_cash", "Cash at the payment processor"  # asset
    CUSTOMER_ESCROW = "customer_escrow", "Customer funds held in escrow"  # liability
    VENDOR_PAYABLE = "vendor_payable", "Owed to vendors"  # liability
    PLATFORM_COMMISSION = "platform_commission", "Commission revenue"  # revenue


class EntryKind(models.TextChoices):
    CAPTURE = "capture", "Payment captured into escrow"
    RELEASE = "release", "Escrow released: commission and vendor share"
    PAYOUT = "payout", "Vendor share transferred"
    REFUND = "refund", "Refund to customer"


class LedgerEntry(models.Model):
    """One balanced posting: its lines sum to zero. Append-only.

    A transaction gets each kind of entry at most once (database constraint), so a
    retried capture, release or refund can never move money twice.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    memo = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(fields=["transaction", "kind"], name="ledger_entry_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.transaction_id})"


class LedgerLine(models.Model):
    """A debit (positive) or credit (negative) to one account, in minor units."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=32, choices=LedgerAccount.choices)
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["entry_id", "id"]
        indexes = [models.Index(fields=["account", "currency"])]
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_line_non_zero")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor:+d} {self.currency}"


class LocalGatewayOperation(models.Model):
    """The local payment gateway's own records: what Stripe would keep on its side.

    The embedded default has no network, so the local gateway simulates the
    processor in the database (never in process memory), including idempotency keys:
    a repeated call with the same key returns the first result.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge"
        TRANSFER = "transfer"
        REFUND = "refund"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    reference = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payment_method = models.CharField(max_length=64, blank=True)
    source_reference = models.CharField(max_length=64, blank=True, help_text="The charge a refund returns.")
    destination = models.CharField(max_length=64, blank=True, help_text="The vendor account a transfer pays.")
    transfer_group = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"
