from django.conf import settings
from django.db import models
from django.db.models import F, Q

from marketplace.core.money import Money


class TransactionStatus(models.TextChoices):
    AUTHORIZED = "authorized", "Authorized on the card"  # a request's payment: captured when the organizer accepts
    VOIDED = "voided", "Authorization released"  # the request closed before it was captured: nothing was taken
    HELD = "held", "Held in escrow"  # captured from the customer; nobody has been paid yet
    RELEASED = "released", "Released"  # commission kept, the vendor's share paid out (or on its way)
    REFUNDED = "refunded", "Refunded"  # everything returned to the customer


class Transaction(models.Model):
    """The money of one booking: what was captured, the commission, what the vendor gets.

    The split is fixed when the money is captured (the commission rate and minimum fee
    in force then). A refund moves part of the amount to ``refunded_minor`` and splits
    what is kept again by the same rule (``marketplace.payments.policy.refund_split``),
    so fee + payout + refunded = amount always: a database constraint. Every movement of
    this money is also a balanced ledger entry; the ledger is the book of record.
    """

    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="transaction")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    commission_bps = models.PositiveIntegerField()
    minimum_fee_minor = models.BigIntegerField(default=0)
    platform_fee_minor = models.BigIntegerField()
    vendor_payout_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=TransactionStatus.choices, default=TransactionStatus.HELD)

    gateway = models.CharField(max_length=16)
    payment_reference = models.CharField(max_length=128)
    transfer_reference = models.CharField(max_length=128, blank=True)
    refund_reference = models.CharField(max_length=128, blank=True)

    # A request's payment is authorised first (the money is held on the card) and captured
    # when the organizer accepts; an instant booking's is captured at once.
    authorized_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
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
    # The reasons (HoldReason codes) of the holds now active, kept with them under the row
    # lock so lists can show a hold without a query per row; ReleaseHold has the history.
    hold_reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-captured_at", "-id"]
        indexes = [
            # The release jobs' lookup of escrows due (payments.selectors.escrow_list_due_for_release):
            # only payments still held are in it, so a job that finds nothing costs next to nothing.
            models.Index(
                fields=["releasable_at", "id"],
                condition=Q(status="held", releasable_at__isnull=False),
                name="transaction_held_releasable",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="transaction_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(platform_fee_minor__gte=0, vendor_payout_minor__gte=0, refunded_minor__gte=0),
                name="transaction_parts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor=F("platform_fee_minor") + F("vendor_payout_minor") + F("refunded_minor")),
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

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def kept(self) -> Money:
        """What is not refunded: the platform fee plus the vendor's share."""
        return Money(self.amount_minor - self.refunded_minor, self.currency)

    @property
    def in_escrow(self) -> Money:
        """What escrow still holds for the booking: what is kept while held; nothing once released or refunded."""
        return self.kept if self.status == TransactionStatus.HELD else Money(0, self.currency)


class HoldReason(models.TextChoices):
    DISPUTE = "dispute", "A dispute is open"
    CHARGEBACK = "chargeback", "The card payment is contested (chargeback)"
    ADMIN = "admin", "Held by an admin"


class ReleaseHold(models.Model):
    """A reason the escrow of one booking must not be released yet.

    The one mechanism behind every freeze: a dispute, a chargeback, an admin. A
    payment with any active hold (``lifted_at`` empty) is never released, by the job
    or by an admin approving its payout; lifting the last hold makes it due again.
    One active hold per reason and payment.
    """

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField(max_length=16, choices=HoldReason.choices)
    note = models.TextField(blank=True)
    placed_at = models.DateTimeField(auto_now_add=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_note = models.TextField(blank=True)

    class Meta:
        ordering = ["placed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "reason"],
                condition=Q(lifted_at__isnull=True),
                name="release_hold_one_active_per_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.transaction_id})"


class MovementKind(models.TextChoices):
    CHARGE = "charge", "Charge"  # the customer pays into escrow
    REFUND = "refund", "Refund"  # money back to the customer
    TRANSFER = "transfer", "Payout"  # the vendor's share to their connected account
    REVERSAL = "reversal", "Transfer reversal"  # part of a payout taken back after a refund


class MovementState(models.TextChoices):
    # A payout only: released and owed (vendor_payable), but the organizer's payout account cannot
    # receive it yet (none, or payouts not enabled). Nothing is sent; payout_account_sync queues it
    # (pending, with the destination) once the account can receive.
    WAITING = "waiting", "Waiting for the payout account"
    PENDING = "pending", "Pending"  # recorded; the gateway's answer is not applied yet
    AUTHORIZED = "authorized", "Authorized"  # a charge held on the customer's card, to be captured or cancelled
    CANCELED = "canceled", "Cancelled"  # an authorised charge released: nothing was taken
    SUCCEEDED = "succeeded", "Succeeded"  # the gateway did it and the ledger says so
    FAILED = "failed", "Failed"  # the gateway refused for good; compensated


class Movement(models.Model):
    """One call to the payment gateway, recorded before it is made: the intent.

    Written (with its idempotency key) in the transaction that decides the movement,
    then the gateway is called outside any transaction, then the result is applied in
    a new transaction (``payments.services.movement_execute``). A movement left
    pending by a crash, a timeout or a gateway error is finished by the
    ``movement_recover_sweep`` job, which calls again with the same key: the gateway
    answers a repeated key with its first result, so a movement happens exactly once.
    """

    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    state = models.CharField(max_length=16, choices=MovementState.choices, default=MovementState.PENDING)
    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="money_movements")
    # Empty only on a charge that is not applied yet (the payment row comes with the charge).
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=255, unique=True)
    # Charge: the payment method. Transfer: the destination account, and the payment that
    # funds it. Refund and reversal: the charge or transfer they take money back from.
    payment_method = models.CharField(max_length=64, blank=True)
    destination = models.CharField(max_length=128, blank=True)
    source_reference = models.CharField(max_length=128, blank=True)
    # Charge: the commission terms to fix on the payment. Transfer: the debt netted.
    details = models.JSONField(default=dict, blank=True)
    gateway_reference = models.CharField(max_length=128, null=True, blank=True, unique=True)
    # What is asked of an authorised charge: capture it (the organizer accepted) or cancel it
    # (the request closed). ``movement_execute`` does it; the recovery sweep retries it.
    pending_step = models.CharField(
        max_length=16, blank=True, choices=[("capture", "Capture"), ("cancel", "Cancel")], default=""
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="movement_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0) | Q(kind="transfer"), name="movement_amount_positive_unless_payout"
            ),
            # One charge per booking that is not a failed attempt: paying twice is impossible.
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(kind="charge") & ~Q(state="failed"),
                name="movement_one_live_charge_per_booking",
            ),
            # One payout per release.
            models.UniqueConstraint(
                fields=["transaction"], condition=Q(kind="transfer"), name="movement_one_payout_per_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.state})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class PayoutManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=MovementKind.TRANSFER)


class Payout(Movement):
    """The vendor's share of one released payment, on its way to their account.

    One per release (a database constraint). ``amount`` is what is transferred: the
    vendor's share less any debt netted (``details["debt_netted_minor"]``). Executed by
    a ``payouts_execute`` job, exactly once however often it runs.
    """

    objects = PayoutManager()

    class Meta:
        proxy = True
        ordering = ["-created_at", "-id"]

    @property
    def debt_netted(self) -> Money:
        return Money(self.details.get("debt_netted_minor", 0), self.currency)


class LedgerAccount(models.TextChoices):
    PROCESSOR_CASH = "processor_cash", "Customer funds at the payment processor"  # asset
    CUSTOMER_ESCROW = "customer_escrow", "Customer funds held in escrow"  # liability
    REFUNDS_PAYABLE = "refunds_payable", "Refunds owed to customers"  # liability, until the gateway refunds
    VENDOR_PAYABLE = "vendor_payable", "Owed to organizers"  # liability, until the payout
    VENDOR_DEBT = "vendor_debt", "Owed by organizers"  # asset: a refund after payout not taken back
    PLATFORM_COMMISSION = "platform_commission", "Platform revenue (commission)"  # revenue


class EntryKind(models.TextChoices):
    CAPTURE = "capture", "Payment captured into escrow"
    RELEASE = "release", "Escrow released: commission and vendor share"
    PAYOUT = "payout", "Vendor share transferred"
    DEBT_NETTED = "debt_netted", "Vendor debt netted against a payout"
    REFUND = "refund", "Refund decided"
    REFUND_PAID = "refund_paid", "Refund paid to the customer"
    REVERSAL = "reversal", "Transfer reversed"
    DEBT = "debt", "Refund after payout owed by the vendor"


class LedgerEntry(models.Model):
    """One balanced posting: its lines sum to zero. Append-only.

    On PostgreSQL a trigger refuses any UPDATE or DELETE of a ledger row (migration
    0005); a mistake is corrected by a new posting, never by an edit. A gateway object
    (charge, refund, transfer, reversal) appears in at most one posting, and a payment
    is captured and released at most once (database constraints).
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="ledger_entries")
    movement = models.ForeignKey(
        Movement, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    gateway_reference = models.CharField(max_length=128, null=True, blank=True, unique=True)
    memo = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "kind"],
                condition=Q(kind__in=["capture", "release"]),
                name="ledger_entry_capture_release_once",
            ),
            models.UniqueConstraint(
                fields=["movement", "kind"],
                condition=Q(movement__isnull=False),
                name="ledger_entry_once_per_movement_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.transaction_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerIsAppendOnly("A ledger entry is never changed: post a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("A ledger entry is never deleted: post a correcting entry instead.")


class LedgerIsAppendOnly(Exception):
    pass


class LedgerLine(models.Model):
    """A debit (positive) or credit (negative) to one account, in minor units."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=32, choices=LedgerAccount.choices)
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["entry_id", "id"]
        indexes = [
            models.Index(fields=["account", "currency"]),
            models.Index(fields=["account", "vendor"]),
            # Sums of an account's lines read from the index alone (no table visit): the balances, and
            # the dashboard's captures and commission by day, which join these to the period's entries.
            models.Index(fields=["account", "currency", "entry", "amount_minor"], name="ledger_line_account_sums"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_line_non_zero")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor:+d} {self.currency}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerIsAppendOnly("A ledger line is never changed: post a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("A ledger line is never deleted: post a correcting entry instead.")


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
        REVERSAL = "reversal"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"  # done: for a charge, captured
        AUTHORIZED = "authorized"  # a charge held on the card, to be captured or cancelled
        REQUIRES_ACTION = "requires_action"  # a charge waiting for the customer's 3-D Secure step
        CANCELED = "canceled"  # an authorisation released: nothing taken
        DECLINED = "declined"  # the customer failed the 3-D Secure step: nothing taken

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUCCEEDED)
    # A charge: captured once authorised (False: only authorised, a request to book).
    capture = models.BooleanField(default=True)
    reference = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payment_method = models.CharField(max_length=64, blank=True)
    source_reference = models.CharField(
        max_length=64, blank=True, help_text="The charge a refund returns, or the transfer a reversal takes back."
    )
    destination = models.CharField(max_length=64, blank=True, help_text="The vendor account a transfer pays.")
    transfer_group = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class LocalGatewayAccount(models.Model):
    """A payout account at the local gateway: what Stripe keeps of a Connect Express account.

    Opened by ``LocalGateway.create_account`` (once per idempotency key), completed on the
    local stand-in of Stripe's hosted onboarding (``local_gateway_onboarding_submit``). A
    transfer to it is refused until ``payouts_enabled``, as Stripe refuses a transfer to an
    account without the transfers capability.
    """

    reference = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    requirements_past_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.reference


class StripeEvent(models.Model):
    """One Stripe webhook event, stored by Stripe's id when it is received, applied once by a job.

    Received (``payments.webhooks.stripe_event_receive``) only after its signature is
    verified; a repeated delivery finds the row and stores nothing. The
    ``stripe_event_apply`` job applies it under this row's lock and sets ``applied_at``, so
    it takes effect once however often the job runs; a failure is recorded
    (``attempts``, ``last_error``) and the ``stripe_events_apply_pending`` sweep tries again.
    """

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=64)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    livemode = models.BooleanField(default=False)
    account = models.CharField(max_length=255, blank=True, help_text="The connected account it is about, if any.")
    payload = models.JSONField(help_text="The whole event as Stripe sent it.")
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    attempted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="What applying it did (or why it changed nothing).")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # The sweep's lookup: only events not applied yet are in it.
            models.Index(
                fields=["received_at", "id"], condition=Q(applied_at__isnull=True), name="stripe_event_pending"
            ),
            models.Index(fields=["type", "created"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"

    @property
    def data_object(self) -> dict:
        return self.payload.get("data", {}).get("object", {})


class ChargebackStatus(models.TextChoices):
    """Stripe's dispute statuses (``warning_*``: an inquiry, no money taken yet)."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response", "Inquiry: needs a response"
    WARNING_UNDER_REVIEW = "warning_under_review", "Inquiry: under review"
    WARNING_CLOSED = "warning_closed", "Inquiry closed"  # closed without becoming a chargeback
    NEEDS_RESPONSE = "needs_response", "Needs a response"  # evidence is due by ``evidence_due_by``
    UNDER_REVIEW = "under_review", "Under review"  # evidence submitted; the bank decides
    WON = "won", "Won"  # the money stays with the platform
    LOST = "lost", "Lost"  # the bank returned the money to the customer
    PREVENTED = "prevented", "Prevented"  # stopped before it became a dispute


# A dispute in one of these is over; in the first set the platform keeps the money.
CHARGEBACK_CLOSED = {
    ChargebackStatus.WARNING_CLOSED,
    ChargebackStatus.WON,
    ChargebackStatus.LOST,
    ChargebackStatus.PREVENTED,
}
CHARGEBACK_KEPT = {ChargebackStatus.WARNING_CLOSED, ChargebackStatus.WON, ChargebackStatus.PREVENTED}


class Chargeback(models.Model):
    """A card dispute (chargeback) of a booking's payment, as Stripe reports it, for the back office.

    While it is open the booking's escrow is held (``HoldReason.CHARGEBACK``); won, the
    hold is lifted; lost, the hold stays and an admin decides what becomes of the money.
    Its fields are those of the newest dispute event applied (``stripe_updated``), so
    events arriving in any order leave it in the same state.
    """

    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="chargebacks")
    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="chargebacks")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=64, blank=True, help_text="Stripe's reason, e.g. fraudulent.")
    status = models.CharField(max_length=32, choices=ChargebackStatus.choices)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(help_text="When the dispute was opened at Stripe.")
    closed_at = models.DateTimeField(null=True, blank=True)
    stripe_updated = models.DateTimeField(help_text="When Stripe created the newest event applied here.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"Chargeback {self.stripe_dispute_id} ({self.status})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def is_closed(self) -> bool:
        return self.status in CHARGEBACK_CLOSED
