"""manage.py reconcile: compare the ledger with the payment gateway for a period; exit 1 on any finding.

    manage.py reconcile                                   yesterday (UTC), the nightly run
    manage.py reconcile --from 2026-11-01 --to 2026-12-01 November: --to is exclusive

Prints every difference (an object no posting carries, a posting the gateway does not
know, a kind, amount, currency or source that differs) and every warning (a movement
still pending, a refund or payout that failed), then one summary line. Exit status: 0
when the ledger and the gateway agree and nothing is stuck, 1 when anything was
reported, 2 when the arguments are wrong. Made for cron and CI.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from marketplace.payments.reconciliation import count_gateway_objects, reconcile


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Compare the ledger with the payment gateway for the objects created from --from (inclusive) to --to "
        "(exclusive), both UTC dates; default: yesterday. Exit 1 when anything differs or is stuck."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="day_from",
            type=_day,
            metavar="YYYY-MM-DD",
            help="first day (UTC), inclusive (default: the day before --to)",
        )
        parser.add_argument(
            "--to",
            dest="day_to",
            type=_day,
            metavar="YYYY-MM-DD",
            help="the day after the last day (UTC): exclusive (default: today)",
        )
        parser.add_argument(
            "--pending-grace",
            type=int,
            default=15,
            metavar="MINUTES",
            help="a movement pending for less than this is on its way, not stuck (default 15)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (it shows only on a terminal)")

    def handle(self, *args, day_from, day_to, pending_grace, no_progress, **options):
        today = timezone.now().astimezone(UTC).date()
        day_to = day_to or today
        day_from = day_from or day_to - timedelta(days=1)
        if day_from >= day_to:
            raise CommandError(f"--from ({day_from}) must be before --to ({day_to}); --to is exclusive.", returncode=2)
        if pending_grace < 0:
            raise CommandError("--pending-grace cannot be negative.", returncode=2)
        created_from, created_to = _midnight(day_from), _midnight(day_to)

        # The bar goes to stderr and only to a terminal; it is gone when the walk ends.
        stream = getattr(self.stderr, "_out", sys.stderr)
        progress = Progress(
            TextColumn("Checking gateway objects"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=True,
            disable=no_progress or not stream.isatty(),
        )
        with progress:
            total = (
                None if progress.disable else count_gateway_objects(created_from=created_from, created_to=created_to)
            )
            task = progress.add_task("walk", total=total)
            report = reconcile(
                created_from=created_from,
                created_to=created_to,
                pending_grace=timedelta(minutes=pending_grace),
                progress=lambda checked: progress.advance(task, checked),
            )

        self.stdout.write(
            f"Reconciling the {report.gateway} gateway with the ledger: objects created "
            f"{day_from.isoformat()} 00:00 UTC to {day_to.isoformat()} 00:00 UTC (exclusive)"
        )
        for finding in report.differences:
            self.stdout.write(f"DIFFERENCE {finding.code} {finding.reference}: {finding.message}")
        for finding in report.warnings:
            self.stdout.write(f"WARNING {finding.code} {finding.reference}: {finding.message}")
        checked = f"Checked {report.objects_checked} gateway objects and {report.postings_checked} ledger postings"
        if report.is_clean:
            self.stdout.write(self.style.SUCCESS(f"{checked}: no differences."))
            return
        found = f"{_count(len(report.differences), 'difference')}, {_count(len(report.warnings), 'warning')}"
        self.stdout.write(self.style.ERROR(f"{checked}: {found}."))
        sys.exit(1)
