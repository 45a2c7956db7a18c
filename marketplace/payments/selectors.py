"""Reads over the ledger. Balances are always sums of ledger lines, never stored."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from marketplace.core.money import Money
from marketplace.core.periods import site_zone
from marketplace.vendors.models import Vendor

from .models import (
    Chargeback,
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    Movement,
    MovementKind,
    MovementState,
    Payout,
    Transaction,
    TransactionStatus,
)
from .policy import RECENT_CHARGEBACK_DAYS


def ledger_balance(*, account: str, currency: str, vendor: Vendor | None = None) -> int:
    """Debit-positive balance of an account, in minor units."""
    lines = LedgerLine.objects.filter(account=account, currency=currency)
    if vendor is not None:
        lines = lines.filter(vendor=vendor)
    return lines.aggregate(total=Sum("amount_minor"))["total"] or 0


def escrow_held(*, currency: str) -> int:
    """Customer money the platform holds in escrow (a liability, so credit-positive here)."""
    return -ledger_balance(account=LedgerAccount.CUSTOMER_ESCROW, currency=currency)


def vendor_debt_minor(*, vendor: Vendor, currency: str) -> int:
    """What the vendor owes the platform (refunds after payout not yet taken back), in minor units."""
    return ledger_balance(account=LedgerAccount.VENDOR_DEBT, currency=currency, vendor=vendor)


def vendor_debts_minor(*, vendor_ids) -> dict[tuple[int, str], int]:
    """``vendor_debt_minor`` of many vendors in one query: {(vendor id, currency): owed}, where any debt line is."""
    rows = (
        LedgerLine.objects.filter(account=LedgerAccount.VENDOR_DEBT, vendor_id__in=vendor_ids)
        .order_by()
        .values_list("vendor_id", "currency")
        .annotate(total=Sum("amount_minor"))
    )
    return {(vendor_id, currency): total for vendor_id, currency, total in rows}


def vendor_earnings(*, vendor: Vendor) -> dict:
    """An organizer's money in minor units: paid out, on its way, waiting for their payout account, still in
    escrow, and what they owe."""
    payouts = Payout.objects.filter(vendor=vendor)
    held = Transaction.objects.filter(booking__vendor=vendor, status=TransactionStatus.HELD)
    currency = settings.MARKETPLACE_CURRENCY
    return {
        "paid_out_minor": payouts.filter(state=MovementState.SUCCEEDED).aggregate(total=Sum("amount_minor"))["total"]
        or 0,
        "payout_pending_minor": payouts.filter(state=MovementState.PENDING).aggregate(total=Sum("amount_minor"))[
            "total"
        ]
        or 0,
        "payout_waiting_minor": payouts.filter(state=MovementState.WAITING).aggregate(total=Sum("amount_minor"))[
            "total"
        ]
        or 0,
        "in_escrow_minor": held.aggregate(total=Sum("vendor_payout_minor"))["total"] or 0,
        "debt_minor": max(0, vendor_debt_minor(vendor=vendor, currency=currency)),
    }


def payout_list_for_vendor(
    *,
    vendor: Vendor,
    state: str | None = None,
    released_from: datetime | None = None,
    released_before: datetime | None = None,
) -> QuerySet[Payout]:
    """An organizer's payouts, newest first, with the booking each pays for.

    Optionally only those in one ``MovementState``, and released (created) in
    [released_from, released_before).
    """
    payouts = Payout.objects.filter(vendor=vendor)
    if state:
        payouts = payouts.filter(state=state)
    if released_from is not None:
        payouts = payouts.filter(created_at__gte=released_from)
    if released_before is not None:
        payouts = payouts.filter(created_at__lt=released_before)
    return payouts.select_related("booking", "vendor__profile").order_by("-created_at", "-id")


def payout_list() -> QuerySet[Payout]:
    """Every payout, newest first (platform admins)."""
    return Payout.objects.select_related("booking", "vendor__profile").order_by("-created_at", "-id")


def payout_list_waiting_for_account() -> QuerySet[Payout]:
    """Payouts released but waiting for the organizer's payout account to receive them, longest waiting first."""
    return (
        Payout.objects.filter(state=MovementState.WAITING)
        .select_related("booking", "vendor__profile", "vendor__user")
        .order_by("created_at", "id")
    )


# --- Back office (platform admins) -----------------------------------------------------


def payout_list_awaiting_approval() -> QuerySet[Transaction]:
    """Payouts an admin must approve: held in escrow, due for release, flagged for approval.

    Longest waiting first, so the vendor who has waited longest comes first.
    """
    return (
        Transaction.objects.filter(
            status=TransactionStatus.HELD,
            payout_needs_approval=True,
            releasable_at__isnull=False,
        )
        .select_related("booking__vendor", "booking__customer", "booking__service")
        .order_by("releasable_at", "id")
    )


def payout_annotate_risk(payments: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """The facts ``policy.payout_risk_flags`` reads, added to every payment of a listing in the same query.

    ``vendor_has_succeeded_payout``: a payout to the booking's organizer has succeeded before.
    ``vendor_recent_chargebacks``: chargebacks opened on any of the organizer's bookings within
    ``RECENT_CHARGEBACK_DAYS``.
    """
    since = timezone.now() - timedelta(days=RECENT_CHARGEBACK_DAYS)
    chargebacks = (
        Chargeback.objects.filter(booking__vendor_id=OuterRef("booking__vendor_id"), created__gte=since)
        .order_by()
        .values("booking__vendor_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    succeeded = Payout.objects.filter(vendor_id=OuterRef("booking__vendor_id"), state=MovementState.SUCCEEDED)
    return payments.annotate(
        vendor_has_succeeded_payout=Exists(succeeded),
        vendor_recent_chargebacks=Coalesce(Subquery(chargebacks, output_field=IntegerField()), 0),
    )


def payout_list_awaiting_approval_with_risk() -> QuerySet[Transaction]:
    """``payout_list_awaiting_approval`` with the facts of each payout's risk flags (see ``payout_annotate_risk``)."""
    return payout_annotate_risk(payout_list_awaiting_approval())


def captured_on_acceptance(*, booking_id: int) -> bool:
    """Whether the booking's payment was authorised, then captured because the organizer accepted."""
    return Movement.objects.filter(
        booking_id=booking_id, kind=MovementKind.CHARGE, state=MovementState.SUCCEEDED, details__capture=False
    ).exists()


def escrow_list_due_for_release() -> QuerySet[Transaction]:
    """Held payments whose release is due and needs no approval: what the release sweep releases."""
    return Transaction.objects.filter(
        status=TransactionStatus.HELD, payout_needs_approval=False, releasable_at__isnull=False, hold_reasons=[]
    ).order_by("releasable_at", "id")


def payout_awaiting_approval_totals() -> list[dict]:
    """Per currency: how many payouts wait for approval and the vendors' total share."""
    rows = (
        payout_list_awaiting_approval()
        .order_by()
        .values("currency")
        .annotate(count=Count("id"), vendor_payout_minor=Sum("vendor_payout_minor"))
        .order_by("currency")
    )
    return [
        {
            "currency": row["currency"],
            "count": row["count"],
            "vendor_payout": Money(row["vendor_payout_minor"], row["currency"]),
        }
        for row in rows
    ]


def payout_waiting_for_account_totals() -> list[dict]:
    """Per currency: how many released payouts wait for their organizer's payout account, and their total."""
    rows = (
        Payout.objects.filter(state=MovementState.WAITING)
        .order_by()
        .values("currency")
        .annotate(count=Count("id"), amount_minor=Sum("amount_minor"))
        .order_by("currency")
    )
    return [
        {"currency": row["currency"], "count": row["count"], "amount": Money(row["amount_minor"], row["currency"])}
        for row in rows
    ]


# --- Figures by day (the back office's dashboard) ----------------------------------------


@dataclass(frozen=True)
class DayAmount:
    """Money of one currency on one local day of the site's time zone."""

    day: date
    amount: Money


def _ledger_credits_by_day(lines: QuerySet[LedgerLine], *, since: datetime, until: datetime) -> list[DayAmount]:
    """Credits minus debits of ``lines`` posted in [since, until), per local day and currency, in one query."""
    rows = (
        lines.filter(entry__created_at__gte=since, entry__created_at__lt=until)
        .annotate(day=TruncDate("entry__created_at", tzinfo=site_zone()))
        .order_by()
        .values_list("day", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("day", "currency")
    )
    return [DayAmount(day=day, amount=Money(-total, currency)) for day, currency, total in rows]


def gross_volume_by_day(*, since: datetime, until: datetime) -> list[DayAmount]:
    """Gross volume: customers' money captured into escrow in [since, until), per local day and currency.

    Read from the ledger's capture postings (the credit to customer escrow), so an authorised
    payment counts when it is captured, never before, and a later refund does not take it back
    (refunds are their own figure in the ledger).
    """
    lines = LedgerLine.objects.filter(account=LedgerAccount.CUSTOMER_ESCROW, entry__kind=EntryKind.CAPTURE)
    return _ledger_credits_by_day(lines, since=since, until=until)


def platform_revenue_by_day(*, since: datetime, until: datetime) -> list[DayAmount]:
    """Platform revenue: commission recognised in [since, until), per local day and currency.

    The ledger's platform commission account: credited when an escrow is released (the fee
    kept), debited when a refund after the release gives part of the fee back; so the figure
    is net of those refunds, on the day each was posted.
    """
    lines = LedgerLine.objects.filter(account=LedgerAccount.PLATFORM_COMMISSION)
    return _ledger_credits_by_day(lines, since=since, until=until)


def ledger_entry_list() -> QuerySet[LedgerEntry]:
    """Every ledger entry with its booking and lines, newest first."""
    return (
        LedgerEntry.objects.select_related("transaction__booking")
        .prefetch_related("lines__vendor")
        .order_by("-created_at", "-id")
    )


def ledger_entries_for_transaction(*, transaction: Transaction) -> QuerySet[LedgerEntry]:
    """The postings of one booking's money, in the order they happened."""
    return (
        LedgerEntry.objects.filter(transaction=transaction)
        .prefetch_related("lines__vendor")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class LedgerBalances:
    """The platform's position in one currency, each figure a sum of ledger lines.

    Liabilities and revenue are credit balances, shown here as positive amounts.
    ``net`` is the sum of every line: zero whenever the books balance.
    """

    currency: str
    processor_cash: Money
    escrow_held: Money
    commission_earned: Money
    owed_to_vendors: Money
    refunds_owed: Money
    owed_by_vendors: Money
    net: Money

    @property
    def is_balanced(self) -> bool:
        return self.net.minor == 0


def ledger_balances() -> list[LedgerBalances]:
    """Balances per currency (alphabetical), computed from the ledger lines in one query."""
    totals: dict[str, dict[str, int]] = {}
    rows = LedgerLine.objects.order_by().values("currency", "account").annotate(total=Sum("amount_minor"))
    for row in rows:
        totals.setdefault(row["currency"], {})[row["account"]] = row["total"] or 0
    result = []
    for currency in sorted(totals):
        by_account = totals[currency]
        result.append(
            LedgerBalances(
                currency=currency,
                processor_cash=Money(by_account.get(LedgerAccount.PROCESSOR_CASH, 0), currency),
                escrow_held=Money(-by_account.get(LedgerAccount.CUSTOMER_ESCROW, 0), currency),
                commission_earned=Money(-by_account.get(LedgerAccount.PLATFORM_COMMISSION, 0), currency),
                owed_to_vendors=Money(-by_account.get(LedgerAccount.VENDOR_PAYABLE, 0), currency),
                refunds_owed=Money(-by_account.get(LedgerAccount.REFUNDS_PAYABLE, 0), currency),
                owed_by_vendors=Money(by_account.get(LedgerAccount.VENDOR_DEBT, 0), currency),
                net=Money(sum(by_account.values()), currency),
            )
        )
    return result


def booking_ids_for_transactions(*, transaction_ids: list[int]) -> dict[int, int]:
    """Map payments to their bookings (e.g. to link audit entries about a payment)."""
    return dict(Transaction.objects.filter(pk__in=transaction_ids).values_list("pk", "booking_id"))


EXPORT_COLUMNS = (
    "entry__id",
    "entry__created_at",
    "entry__kind",
    "entry__transaction__booking__reference",
    "entry__memo",
    "entry__gateway_reference",
    "account",
    "vendor__business_name",
    "currency",
    "amount_minor",
)


def ledger_lines_for_export(*, posted_from: datetime, posted_to: datetime) -> Iterator[tuple]:
    """Every ledger line posted in [posted_from, posted_to), oldest first, as ``EXPORT_COLUMNS`` tuples.

    Read in chunks (a server-side cursor on PostgreSQL), so a year of lines streams out
    without being held in memory.
    """
    return (
        LedgerLine.objects.filter(entry__created_at__gte=posted_from, entry__created_at__lt=posted_to)
        .order_by("entry__created_at", "entry_id", "id")
        .values_list(*EXPORT_COLUMNS)
        .iterator(chunk_size=2000)
    )


PAYOUT_EXPORT_COLUMNS = (
    "id",
    "created_at",
    "settled_at",
    "booking__reference",
    "booking__customer__email",
    "vendor__business_name",
    "state",
    "currency",
    "amount_minor",
    "gateway_reference",
)


def payout_rows_for_export(*, released_from: datetime, released_to: datetime) -> Iterator[tuple]:
    """Every payout (the organizer's share of a released payment) made in [released_from, released_to),
    oldest first, as ``PAYOUT_EXPORT_COLUMNS`` tuples. Read in chunks, like the ledger's lines."""
    return (
        Payout.objects.filter(created_at__gte=released_from, created_at__lt=released_to)
        .order_by("created_at", "id")
        .values_list(*PAYOUT_EXPORT_COLUMNS)
        .iterator(chunk_size=2000)
    )


# --- The ledger by account (back office) --------------------------------------------------------

# Accounts kept per organizer: each organizer's lines are an account of their own.
VENDOR_LEDGER_ACCOUNTS = (LedgerAccount.VENDOR_PAYABLE, LedgerAccount.VENDOR_DEBT)
LEDGER_ACCOUNT_ORDER = {code: position for position, code in enumerate(LedgerAccount.values)}


@dataclass(frozen=True)
class LedgerAccountBalance:
    """One ledger account in one currency (and, for the per-organizer accounts, one organizer).

    ``debits`` and ``credits`` are the sums of its debit and credit lines (both positive);
    ``balance`` is debits - credits (debit-positive, as the lines are stored).
    """

    account: str
    currency: str
    vendor_id: int | None
    vendor_name: str
    debits: Money
    credits: Money
    balance: Money
    line_count: int

    @property
    def label(self) -> str:
        return LedgerAccount(self.account).label

    @property
    def is_per_organizer(self) -> bool:
        return self.account in VENDOR_LEDGER_ACCOUNTS


def ledger_account_balances(
    *, currency: str | None = None, vendor_name: str | None = None
) -> list[LedgerAccountBalance]:
    """Every ledger account with lines, per currency (and per organizer for the organizers' accounts), in one query.

    Ordered by currency, then the chart of accounts (``LedgerAccount``), then organizer name.
    ``vendor_name`` keeps only the per-organizer accounts of organizers whose name contains it.
    Across a currency's accounts the balances sum to zero: each entry's lines do.
    """
    lines = LedgerLine.objects.all()
    if currency:
        lines = lines.filter(currency=currency)
    if vendor_name:
        lines = lines.filter(account__in=VENDOR_LEDGER_ACCOUNTS, vendor__business_name__icontains=vendor_name)
    return sorted(
        _account_balance_rows(lines),
        key=lambda b: (b.currency, LEDGER_ACCOUNT_ORDER.get(b.account, 99), b.vendor_name.casefold(), b.vendor_id or 0),
    )


def _account_balance_rows(lines: QuerySet[LedgerLine]) -> list[LedgerAccountBalance]:
    rows = (
        lines.order_by()
        .values("account", "currency", "vendor_id", "vendor__business_name")
        .annotate(
            debits=Coalesce(Sum("amount_minor", filter=Q(amount_minor__gt=0)), 0),
            credits=Coalesce(Sum("amount_minor", filter=Q(amount_minor__lt=0)), 0),
            count=Count("id"),
        )
    )
    return [
        LedgerAccountBalance(
            account=row["account"],
            currency=row["currency"],
            vendor_id=row["vendor_id"],
            vendor_name=row["vendor__business_name"] or "",
            debits=Money(row["debits"], row["currency"]),
            credits=Money(-row["credits"], row["currency"]),
            balance=Money(row["debits"] + row["credits"], row["currency"]),
            line_count=row["count"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class LedgerAccountsInCurrency:
    """The accounts of one currency and their net (zero whenever the books balance)."""

    currency: str
    accounts: list[LedgerAccountBalance]
    net: Money


def ledger_accounts_by_currency(
    *, currency: str | None = None, vendor_name: str | None = None
) -> list[LedgerAccountsInCurrency]:
    """``ledger_account_balances`` grouped by currency, each with the sum of its balances (one query)."""
    groups: dict[str, list[LedgerAccountBalance]] = {}
    for balance in ledger_account_balances(currency=currency, vendor_name=vendor_name):
        groups.setdefault(balance.currency, []).append(balance)
    return [
        LedgerAccountsInCurrency(
            currency=code,
            accounts=accounts,
            net=Money(sum(account.balance.minor for account in accounts), code),
        )
        for code, accounts in groups.items()
    ]


def ledger_account_get(*, account: str, currency: str, vendor_id: int | None = None) -> LedgerAccountBalance | None:
    """One account's totals (see ``LedgerAccountBalance``), in one query; None when it has no line."""
    if account not in LedgerAccount.values or (vendor_id is not None) != (account in VENDOR_LEDGER_ACCOUNTS):
        return None
    found = _account_balance_rows(LedgerLine.objects.filter(account=account, currency=currency, vendor_id=vendor_id))
    return found[0] if found else None


def ledger_account_lines(
    *,
    account: str,
    currency: str,
    vendor_id: int | None = None,
    posted_from: datetime | None = None,
    posted_before: datetime | None = None,
) -> QuerySet[LedgerLine]:
    """One account's lines in the order they were posted (entry time, entry, line), with their entry and booking.

    A per-organizer account (``VENDOR_LEDGER_ACCOUNTS``) is one organizer's lines
    (``vendor_id``); the others have none. Optionally only those posted in
    [posted_from, posted_before).
    """
    lines = LedgerLine.objects.filter(account=account, currency=currency, vendor_id=vendor_id)
    if posted_from is not None:
        lines = lines.filter(entry__created_at__gte=posted_from)
    if posted_before is not None:
        lines = lines.filter(entry__created_at__lt=posted_before)
    return lines.select_related("entry__transaction__booking").order_by("entry__created_at", "entry_id", "id")


def ledger_account_balance_before(
    *, account: str, currency: str, vendor_id: int | None = None, line: LedgerLine | None = None, posted_before=None
) -> int:
    """The account's balance (debit-positive, minor units) just before ``line`` in posting order, in one aggregate;
    or, without a line, of everything posted before ``posted_before`` (everything, without either).

    What a page of ``ledger_account_lines`` opens with, so its running balance is right on
    every page without reading the pages before it.
    """
    lines = LedgerLine.objects.filter(account=account, currency=currency, vendor_id=vendor_id)
    if line is not None:
        posted_at = line.entry.created_at
        lines = lines.filter(
            Q(entry__created_at__lt=posted_at)
            | Q(entry__created_at=posted_at, entry_id__lt=line.entry_id)
            | Q(entry__created_at=posted_at, entry_id=line.entry_id, id__lt=line.id)
        )
    elif posted_before is not None:
        lines = lines.filter(entry__created_at__lt=posted_before)
    return lines.aggregate(total=Sum("amount_minor"))["total"] or 0


# --- Chargebacks (back office) ---------------------------------------------------------------------


def chargeback_list() -> QuerySet[Chargeback]:
    """Every chargeback with its booking, organizer, customer and payment, the newest opened first."""
    return Chargeback.objects.select_related("booking__vendor", "booking__customer", "transaction").order_by(
        "-created", "-id"
    )


CHARGEBACK_EXPORT_COLUMNS = (
    "stripe_dispute_id",
    "created",
    "closed_at",
    "booking__reference",
    "booking__customer__email",
    "booking__vendor__business_name",
    "status",
    "reason",
    "currency",
    "amount_minor",
    "evidence_due_by",
    "transaction__hold_reasons",
)


def chargeback_rows_for_export(*, opened_from: datetime, opened_to: datetime) -> Iterator[tuple]:
    """Every chargeback opened in [opened_from, opened_to), oldest first, as ``CHARGEBACK_EXPORT_COLUMNS`` tuples.
    Read in chunks, like the ledger's lines."""
    return (
        Chargeback.objects.filter(created__gte=opened_from, created__lt=opened_to)
        .order_by("created", "id")
        .values_list(*CHARGEBACK_EXPORT_COLUMNS)
        .iterator(chunk_size=2000)
    )
