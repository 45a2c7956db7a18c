"""Reconciliation: does our ledger tell the same story as the payment gateway?

Every money object the gateway made (a charge, a refund, a transfer, a reversal) must
appear in exactly one ledger posting, which carries its id in ``gateway_reference``:

    gateway object   ledger posting
    charge           capture
    refund           refund_paid
    transfer         payout
    reversal         reversal

``reconcile()`` walks the gateway's objects created in a period and reports, as
*differences*: an object no posting carries; a posting in the period naming an object
the gateway does not know; a posting of the wrong kind for its object; an amount or a
currency that differs (the posting's movement against the gateway's object); a refund
or reversal taken from another object than the one we asked for. It also reports, as
*warnings*, money stuck on our side: movements recorded in the period and still
pending after a grace period, and refunds and payouts that failed in the period
(owed to a customer or an organizer until someone acts). Both need a person.

It only reads, and it reads in chunks: one ledger query per chunk of gateway objects,
never a query per object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

from django.utils import timezone

from marketplace.core.money import Money

from .gateways import GatewayObject, PaymentGateway, get_gateway
from .models import EntryKind, LedgerEntry, Movement, MovementKind, MovementState

# The posting that books each kind of gateway object.
POSTING_KIND_FOR = {
    MovementKind.CHARGE: EntryKind.CAPTURE,
    MovementKind.REFUND: EntryKind.REFUND_PAID,
    MovementKind.TRANSFER: EntryKind.PAYOUT,
    MovementKind.REVERSAL: EntryKind.REVERSAL,
}
CHUNK_SIZE = 1000
# A gateway's clock and ours may disagree by this much: a posting's object is looked for this
# far around the period too, so a posting just inside it is not reported for that.
CLOCK_SKEW = timedelta(minutes=5)


class FindingCode:
    MISSING_POSTING = "missing_posting"  # the gateway made it; no posting carries its id
    UNKNOWN_REFERENCE = "unknown_reference"  # a posting names an object the gateway does not know
    KIND_MISMATCH = "kind_mismatch"  # e.g. a transfer booked as a refund
    AMOUNT_MISMATCH = "amount_mismatch"  # amount or currency
    SOURCE_MISMATCH = "source_mismatch"  # a refund of another charge, a reversal of another transfer
    NO_MOVEMENT = "posting_without_movement"  # a gateway posting with no movement to compare with
    PENDING_MOVEMENT = "pending_movement"  # recorded, never settled
    FAILED_MOVEMENT = "failed_movement"  # a refund or payout the gateway refused: still owed


WARNING_CODES = {FindingCode.PENDING_MOVEMENT, FindingCode.FAILED_MOVEMENT}


@dataclass(frozen=True)
class Finding:
    code: str
    reference: str  # the gateway object's id, or "movement <id>" for our own movements
    message: str

    @property
    def is_warning(self) -> bool:
        return self.code in WARNING_CODES


@dataclass
class ReconciliationReport:
    created_from: datetime
    created_to: datetime
    gateway: str
    objects_checked: int = 0
    postings_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def differences(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.is_warning]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.is_warning]

    @property
    def is_clean(self) -> bool:
        return not self.findings


def _chunks(items: Iterable[GatewayObject], size: int) -> Iterator[list[GatewayObject]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _postings_by_reference(references: list[str]) -> dict[str, dict]:
    rows = LedgerEntry.objects.filter(gateway_reference__in=references).values(
        "id",
        "kind",
        "gateway_reference",
        "movement_id",
        "movement__amount_minor",
        "movement__currency",
        "movement__source_reference",
        "transaction__booking__reference",
    )
    return {row["gateway_reference"]: row for row in rows}


def _check_object(obj: GatewayObject, posting: dict | None) -> list[Finding]:
    """What differs between one gateway object and the posting that carries its id."""
    described = f"{obj.kind} {obj.amount} created {_when(obj.created_at)}"
    if posting is None:
        return [Finding(FindingCode.MISSING_POSTING, obj.reference, f"{described}: no ledger posting carries this id")]
    where = f"ledger entry {posting['id']} ({posting['kind']}, booking {posting['transaction__booking__reference']})"
    findings = []
    expected = POSTING_KIND_FOR.get(obj.kind)
    if posting["kind"] != expected:
        findings.append(
            Finding(
                FindingCode.KIND_MISMATCH,
                obj.reference,
                f"{described}: booked as {posting['kind']}, expected {expected or 'no posting of this kind'} [{where}]",
            )
        )
    if posting["movement_id"] is None:
        findings.append(
            Finding(FindingCode.NO_MOVEMENT, obj.reference, f"{described}: the posting has no movement [{where}]")
        )
        return findings
    ours = Money(posting["movement__amount_minor"], posting["movement__currency"])
    if ours != obj.amount:
        findings.append(
            Finding(
                FindingCode.AMOUNT_MISMATCH,
                obj.reference,
                f"{obj.kind}: gateway {obj.amount} ({obj.amount.currency}), ledger {ours} ({ours.currency}) "
                f"[{where}, movement {posting['movement_id']}]",
            )
        )
    source = posting["movement__source_reference"]
    if obj.kind in (MovementKind.REFUND, MovementKind.REVERSAL) and source != obj.source_reference:
        findings.append(
            Finding(
                FindingCode.SOURCE_MISMATCH,
                obj.reference,
                f"{obj.kind} of {obj.source_reference or 'nothing'} at the gateway, of {source or 'nothing'} "
                f"in the ledger [{where}, movement {posting['movement_id']}]",
            )
        )
    return findings


def _references_between(gateway: PaymentGateway, start: datetime, end: datetime) -> set[str]:
    if start >= end:
        return set()
    return {obj.reference for obj in gateway.objects(created_from=start, created_to=end)}


def _unknown_references(
    gateway: PaymentGateway, created_from: datetime, created_to: datetime, seen: set[str]
) -> tuple[int, list[Finding]]:
    """Postings made in the period whose gateway object the gateway does not know.

    A posting's object was created by the gateway after its movement was recorded and
    before the posting was written, so one the period's walk did not meet is looked for
    from its movement's creation: a movement recorded before midnight and settled after
    it is not a difference.
    """
    postings = LedgerEntry.objects.filter(
        created_at__gte=created_from,
        created_at__lt=created_to,
        gateway_reference__isnull=False,
    )
    count = postings.count()
    unmatched = [
        row
        for row in postings.values(
            "id", "kind", "gateway_reference", "created_at", "movement__created_at", "transaction__booking__reference"
        ).iterator(chunk_size=CHUNK_SIZE)
        if row["gateway_reference"] not in seen
    ]
    if not unmatched:
        return count, []
    earliest = min(row["movement__created_at"] or row["created_at"] for row in unmatched)
    latest = max(row["created_at"] for row in unmatched)
    known = _references_between(gateway, earliest - CLOCK_SKEW, created_from) | _references_between(
        gateway, created_to, latest + CLOCK_SKEW
    )
    findings = [
        Finding(
            FindingCode.UNKNOWN_REFERENCE,
            row["gateway_reference"],
            f"ledger entry {row['id']} ({row['kind']}, booking {row['transaction__booking__reference']}, "
            f"posted {_when(row['created_at'])}) names an object the gateway does not know",
        )
        for row in unmatched
        if row["gateway_reference"] not in known
    ]
    return count, findings


def _describe_movement(movement: Movement) -> str:
    return f"{movement.get_kind_display().lower()} {movement.amount} of booking {movement.booking.reference}"


def _stuck_movements(created_from: datetime, created_to: datetime, *, pending_grace: timedelta) -> list[Finding]:
    findings = []
    pending = (
        Movement.objects.filter(
            state=MovementState.PENDING,
            created_at__gte=created_from,
            created_at__lt=min(created_to, timezone.now() - pending_grace),
        )
        .select_related("booking")
        .order_by("created_at", "id")
    )
    for movement in pending:
        error = f", last error: {movement.last_error}" if movement.last_error else ""
        findings.append(
            Finding(
                FindingCode.PENDING_MOVEMENT,
                f"movement {movement.pk}",
                f"{_describe_movement(movement)} recorded {_when(movement.created_at)}, still pending "
                f"after {movement.attempts} attempt(s){error}",
            )
        )
    failed = (
        Movement.objects.filter(
            state=MovementState.FAILED,
            kind__in=[MovementKind.REFUND, MovementKind.TRANSFER],
            settled_at__gte=created_from,
            settled_at__lt=created_to,
        )
        .select_related("booking")
        .order_by("settled_at", "id")
    )
    for movement in failed:
        owed = "the customer" if movement.kind == MovementKind.REFUND else "the organizer"
        findings.append(
            Finding(
                FindingCode.FAILED_MOVEMENT,
                f"movement {movement.pk}",
                f"{_describe_movement(movement)} failed {_when(movement.settled_at)} "
                f"({movement.failure_code}: {movement.last_error}); still owed to {owed}",
            )
        )
    return findings


def reconcile(
    *,
    created_from: datetime,
    created_to: datetime,
    gateway: PaymentGateway | None = None,
    pending_grace: timedelta = timedelta(minutes=15),
    progress: Callable[[int], None] | None = None,
) -> ReconciliationReport:
    """Compare the gateway's objects created in [created_from, created_to) with the ledger.

    ``progress`` is called with the number of gateway objects checked after each chunk.
    A movement younger than ``pending_grace`` is on its way, not stuck: it is not reported.
    """
    gateway = gateway or get_gateway()
    report = ReconciliationReport(created_from=created_from, created_to=created_to, gateway=gateway.name)
    seen: set[str] = set()
    for chunk in _chunks(gateway.objects(created_from=created_from, created_to=created_to), CHUNK_SIZE):
        postings = _postings_by_reference([obj.reference for obj in chunk])
        for obj in chunk:
            seen.add(obj.reference)
            report.findings.extend(_check_object(obj, postings.get(obj.reference)))
        report.objects_checked += len(chunk)
        if progress is not None:
            progress(len(chunk))
    report.postings_checked, unknown = _unknown_references(gateway, created_from, created_to, seen)
    report.findings.extend(unknown)
    report.findings.extend(_stuck_movements(created_from, created_to, pending_grace=pending_grace))
    return report


def count_gateway_objects(*, created_from: datetime, created_to: datetime, gateway: PaymentGateway | None = None):
    """How many objects ``reconcile`` will walk, when the gateway can tell cheaply; else None."""
    gateway = gateway or get_gateway()
    return gateway.count_objects(created_from=created_from, created_to=created_to)
