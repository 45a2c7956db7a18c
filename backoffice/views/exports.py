"""Finance's exports: bookings, payouts, disputes, chargebacks and ledger lines of a period, as CSV or XLSX.

One view shape for all of them: check the ``export`` permission (``export_data``: finance and
admins), read the period (``?from=YYYY-MM-DD&to=YYYY-MM-DD``, UTC days, ``to`` exclusive, at
most a year), record who took which list and period in the audit log, then stream the
selector's rows through ``backoffice.spreadsheets``. A bad period exports nothing and says why.

Each selector reads one query of plain values, so the number of queries does not grow
with the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from wagtail.admin import messages

from backoffice.permissions import EXPORT
from backoffice.spreadsheets import CSV, XLSX, csv_response, xlsx_response
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.selectors import booking_rows_for_export
from marketplace.core.audit import audit_log
from marketplace.core.money import to_major_units
from marketplace.disputes.models import Dispute, DisputeReason, DisputeStatus, Outcome, Side
from marketplace.disputes.selectors import dispute_rows_for_export
from marketplace.payments.models import Chargeback, LedgerEntry, MovementState, Transaction
from marketplace.payments.policy import (
    chargeback_holds_escrow,
    chargeback_outcome,
    chargeback_reason_text,
    chargeback_status_text,
)
from marketplace.payments.selectors import chargeback_rows_for_export, ledger_lines_for_export, payout_rows_for_export

from .base import BackOfficePermissionMixin

DEFAULT_PERIOD = timedelta(days=31)
LONGEST_PERIOD = timedelta(days=366)


def export_period(params) -> tuple[datetime, datetime]:
    """[start, end) from ``from`` and ``to`` (UTC days, ``to`` exclusive); the last 31 days by default.

    Raises ValueError with the message to show for a date that is not one, an empty or
    backwards period, or one longer than a year.
    """

    def day(name: str, default: date) -> date:
        text = params.get(name, "")
        if not text:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"The {name} date must be written YYYY-MM-DD, not {text[:20]!r}.") from None

    today = timezone.now().astimezone(UTC).date()
    end = day("to", today + timedelta(days=1))
    start = day("from", end - DEFAULT_PERIOD)
    if start >= end:
        raise ValueError("The period must end after it starts (to is exclusive).")
    if end - start > LONGEST_PERIOD:
        raise ValueError("Export at most a year at a time.")
    midnight = time(0, 0)
    return datetime.combine(start, midnight, tzinfo=UTC), datetime.combine(end, midnight, tzinfo=UTC)


def _amount(minor: int | None, currency: str):
    return "" if minor is None else to_major_units(minor, currency)


class SpreadsheetExportView(BackOfficePermissionMixin, View):
    """One list of one period as a spreadsheet; subclasses name the list and turn selector rows into cells."""

    permission_required = EXPORT
    index_url_name = None
    file_format = CSV
    list_name = ""  # in the file's name, the worksheet's name and the audit entry
    header: Sequence[str] = ()

    def rows(self, start: datetime, end: datetime) -> Iterable[Sequence]:
        raise NotImplementedError

    @property
    def audit_action(self) -> str:
        return f"{self.list_name}.exported"

    def get(self, request):
        try:
            start, end = export_period(request.GET)
        except ValueError as error:
            messages.error(request, f"Nothing was exported. {error}")
            return redirect(self.index_url_name)
        audit_log(
            actor=request.user,
            action=self.audit_action,
            target=request.user,
            data={"list": self.list_name, "format": self.file_format, "from": start.isoformat(), "to": end.isoformat()},
        )
        filename = f"{self.list_name}-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.{self.file_format}"
        if self.file_format == XLSX:
            return xlsx_response(
                header=self.header, rows=self.rows(start, end), filename=filename, sheet=self.list_name
            )
        return csv_response(header=self.header, rows=self.rows(start, end), filename=filename)


class BookingExportView(SpreadsheetExportView):
    """Bookings made in the period (by when they were booked)."""

    model = Booking
    list_name = "bookings"
    header = (
        "reference",
        "booked_at_utc",
        "appointment_at_utc",
        "status",
        "customer",
        "organizer",
        "service",
        "currency",
        "price",
    )

    def rows(self, start, end):
        statuses = dict(BookingStatus.choices)
        for (
            reference,
            created_at,
            starts_at,
            status,
            customer,
            organizer,
            service,
            currency,
            price_minor,
        ) in booking_rows_for_export(booked_from=start, booked_to=end):
            yield (
                reference,
                created_at,
                starts_at,
                statuses.get(status, status),
                customer,
                organizer,
                service,
                currency,
                _amount(price_minor, currency),  # blank while awaiting a quote
            )


class PayoutExportView(SpreadsheetExportView):
    """Payouts (each organizer's share of a released payment) made in the period."""

    model = Transaction
    list_name = "payouts"
    header = (
        "payout",
        "released_at_utc",
        "settled_at_utc",
        "booking",
        "customer",
        "organizer",
        "status",
        "currency",
        "amount",
        "gateway_reference",
    )

    def rows(self, start, end):
        states = dict(MovementState.choices)
        for (
            payout,
            created_at,
            settled_at,
            booking,
            customer,
            organizer,
            state,
            currency,
            amount_minor,
            reference,
        ) in payout_rows_for_export(released_from=start, released_to=end):
            yield (
                payout,
                created_at,
                settled_at,
                booking,
                customer,
                organizer,
                states.get(state, state),
                currency,
                _amount(amount_minor, currency),
                reference,
            )


class DisputeExportView(SpreadsheetExportView):
    """Disputes opened in the period."""

    model = Dispute
    list_name = "disputes"
    header = (
        "booking",
        "opened_at_utc",
        "status",
        "opened_by",
        "reason",
        "customer",
        "organizer",
        "answer_due_utc",
        "outcome",
        "currency",
        "refunded",
        "closed_at_utc",
    )

    def rows(self, start, end):
        words = {
            "status": dict(DisputeStatus.choices),
            "side": dict(Side.choices),
            "reason": dict(DisputeReason.choices),
            "outcome": dict(Outcome.choices),
        }
        for row in dispute_rows_for_export(opened_from=start, opened_to=end):
            booking, created_at, status, side, reason, customer, organizer, respond_by = row[:8]
            outcome, currency, refunded_minor, closed_at = row[8:]
            yield (
                booking,
                created_at,
                words["status"].get(status, status),
                words["side"].get(side, side),
                words["reason"].get(reason, reason),
                customer,
                organizer,
                respond_by,
                words["outcome"].get(outcome, outcome),
                currency,
                _amount(refunded_minor, currency),
                closed_at,
            )


class LedgerExportView(SpreadsheetExportView):
    """Every ledger line posted in the period, amounts in minor units and in the currency's unit.

    Kinds and accounts keep their codes: they are the ledger's chart of accounts, which
    accounting tools match on.
    """

    model = LedgerEntry
    list_name = "ledger"
    header = (
        "entry",
        "posted_at_utc",
        "kind",
        "booking",
        "memo",
        "gateway_reference",
        "account",
        "organizer",
        "currency",
        "amount_minor",
        "amount",
    )

    def rows(self, start, end):
        for line in ledger_lines_for_export(posted_from=start, posted_to=end):
            entry, posted_at, kind, booking, memo, reference, account, organizer, currency, amount_minor = line
            yield (
                entry,
                posted_at,
                kind,
                booking,
                memo,
                reference,
                account,
                organizer,
                currency,
                amount_minor,
                to_major_units(amount_minor, currency),
            )


class ChargebackExportView(SpreadsheetExportView):
    """Chargebacks opened in the period, in the payments policy's words."""

    model = Chargeback
    list_name = "chargebacks"
    header = (
        "stripe_dispute",
        "opened_at_utc",
        "closed_at_utc",
        "booking",
        "customer",
        "organizer",
        "status",
        "stripe_status",
        "reason",
        "currency",
        "amount",
        "evidence_due_utc",
        "escrow_held",
    )

    def rows(self, start, end):
        for row in chargeback_rows_for_export(opened_from=start, opened_to=end):
            dispute, created, closed_at, booking, customer, organizer, status, reason = row[:8]
            currency, amount_minor, evidence_due_by, hold_reasons = row[8:]
            yield (
                dispute,
                created,
                closed_at,
                booking,
                customer,
                organizer,
                chargeback_outcome(status).label,
                chargeback_status_text(status),
                chargeback_reason_text(reason),
                currency,
                _amount(amount_minor, currency),
                evidence_due_by,
                "yes" if chargeback_holds_escrow(status=status, hold_reasons=hold_reasons) else "no",
            )
