"""Benchmark: the back office's dashboard (the Wagtail admin home) over 100,000 bookings.

    python3 dev.py bench dashboard                (make bench-dashboard)
    python3 dev.py bench dashboard --help         options: bookings, days, rounds, keep the database

What it does, in about a minute and a half on this project's 2-core machines (bounded by
BUDGET_SECONDS):

1. Creates a fresh database, tidynest_bench_dashboard, on the PostgreSQL server DATABASE_URL
   names (else 127.0.0.1:5432 as postgres), migrates it, and makes organizers (one in four
   selling in EUR, the others in USD), customers and an admin through the domain services.
2. Makes the bookings in bulk (build_bookings_in_sql: INSERT … SELECT over generate_series, the
   same rows as build_bookings, which the tests run on either database), spread at random over the last --days days
   (90 by default, so the dashboard's month and 30-day chart read a third of them), with the
   rows the dashboard reads as the services write them: the booking, its payment
   (Transaction, split by the commission rule), the capture posting (processor_cash +A,
   customer_escrow -A) when it was paid and, for the completed ones, the release posting
   (customer_escrow +kept, platform_commission -fee, vendor_payable -share) a day later.
   One in twenty is an unpaid request, a quarter are paid and held in escrow (one in
   twenty waiting for a payout approval), the rest completed and released. Gateway
   operations, movements, payouts, audit entries and notifications are left out: the
   dashboard reads none of them for these bookings.
3. Times, in this process through Django's test client with production settings (DEBUG off),
   GET /admin/ (the dashboard, signed in as the admin) and GET /api/v1/health side by side,
   alternating, --rounds times each after a warm-up; reports the medians and their ratio (the
   machine is noisy: compare ratios), the dashboard's query count, and the PostgreSQL plan of
   each of its queries that took over a millisecond, flagging any sequential scan of the
   bookings or ledger tables.

The database is dropped at the end (--keep keeps it). Results go to bench/results/dashboard.json
(not committed: the figures belong to the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_database, recreate_database, server_url, verified_organizer  # noqa: E402

DATABASE = "tidynest_bench_dashboard"
RESULTS = ROOT / "bench" / "results" / "dashboard.json"
PASSWORD = "bench-tidy-nest-2026!"
SLOT = timedelta(hours=4)  # one booking per organizer per slot: the no-overlap constraint holds
BUDGET_SECONDS = 170
BIG_TABLES = ("bookings_booking", "payments_ledgerline", "payments_ledgerentry", "payments_transaction")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 dev.py bench dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=100_000, help="bookings to make (default 100000)")
    parser.add_argument("--days", type=int, default=90, help="the bookings are spread over this many days (90)")
    parser.add_argument("--organizers", type=int, default=20, help="organizers the bookings spread over (default 20)")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests of each page (default 30)")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} after the run")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    return parser.parse_args()


# --- The data ---------------------------------------------------------------------------------


@contextmanager
def explicit_timestamps(*fields):
    """Let bulk_create keep the ``created_at`` given (``auto_now_add`` would stamp every row "now").

    Rows made in bulk here stand for rows the services wrote over past days; the ledger is
    append-only (an UPDATE is refused on PostgreSQL), so the time is set as the row is inserted.
    """
    saved = [(field, field.auto_now_add) for field in fields]
    for field, _ in saved:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field, value in saved:
            field.auto_now_add = value


def make_actors(organizers: int, customers: int, *, euro_every: int = 4):
    """Organizers (verified, one fixed-price service each; every ``euro_every``-th in EUR), customers, an admin."""
    from marketplace.accounts.models import Role, User
    from marketplace.accounts.services import user_register
    from marketplace.catalog.models import Category, Service
    from marketplace.catalog.services import service_create

    admin = User.objects.create_user(
        email="bench-admin@bench.test", password=PASSWORD, role=Role.ADMIN, is_staff=True, full_name="Bench Admin"
    )
    category = Category.objects.create(name="Home organizing", slug="home-organizing")
    services = []
    for n in range(organizers):
        user, _vendor = verified_organizer(admin=admin, number=n, password=PASSWORD)
        service = service_create(
            user=user,
            category_id=category.pk,
            title=f"Closet reset by organizer {n}",
            summary="A calm, practical session with a professional organizer.",
            pricing_model="fixed",
            base_price_minor=12000 + 500 * (n % 20),
            duration_minutes=180,
        )
        if n % euro_every == euro_every - 1:
            # An organizer selling in euros: a second currency on the same platform.
            Service.objects.filter(pk=service.pk).update(currency="EUR")
            service.currency = "EUR"
        services.append(service)
    people = [
        user_register(email=f"customer-{n}@bench.test", password=PASSWORD, role="customer", full_name=f"Customer {n}")
        for n in range(customers)
    ]
    return admin, services, people


def build_bookings(
    count: int, *, services, customers, days: int = 90, now=None, seed: int = 2026, first_start=None
) -> list[int]:
    """``count`` bookings made at random moments of the last ``days`` days, in bulk, with their payments and
    the ledger postings the services would have written (see the module docstring). Returns their ids.

    Appointments follow each other per organizer from ``first_start`` (by default, so that the last
    ends before ``now``); a second call for the same organizers needs another, later ``first_start``.
    """
    from django.db import transaction
    from django.utils import timezone

    from marketplace.bookings.models import Booking, BookingStatus, new_booking_reference
    from marketplace.catalog.cancellation import cancellation_terms
    from marketplace.core.money import Money
    from marketplace.payments.models import (
        EntryKind,
        LedgerAccount,
        LedgerEntry,
        LedgerLine,
        Transaction,
        TransactionStatus,
    )
    from marketplace.payments.services import commission_bps_for, minimum_fee_for

    rng = random.Random(seed)
    now = now or timezone.now()
    first_start = first_start or now - SLOT * (count // len(services) + 1)
    terms = {service.pk: (commission_bps_for(service), minimum_fee_for(service)) for service in services}
    with (
        transaction.atomic(),
        explicit_timestamps(Booking._meta.get_field("created_at"), LedgerEntry._meta.get_field("created_at")),
    ):
        bookings, kinds = [], []
        for k in range(count):
            service = services[k % len(services)]
            starts_at = first_start + SLOT * (k // len(services))
            ends_at = starts_at + timedelta(minutes=service.duration_minutes)
            made = now - timedelta(seconds=rng.uniform(0, days * 86400))
            kind = "request" if k % 20 == 0 else "held" if k % 4 == 1 else "released"
            status = {
                "request": BookingStatus.REQUESTED,
                "held": BookingStatus.CONFIRMED,
                "released": BookingStatus.COMPLETED,
            }[kind]
            kinds.append(kind)
            bookings.append(
                Booking(
                    reference=new_booking_reference(),
                    customer=customers[k % len(customers)],
                    vendor_id=service.vendor_id,
                    service=service,
                    status=status,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    busy_from=starts_at,
                    busy_until=ends_at,
                    price_minor=service.base_price_minor,
                    currency=service.currency,
                    address="1 Benchmark Way, Brooklyn, NY",
                    created_at=made,
                    paid_at=None if kind == "request" else made,
                    confirmed_at=None if kind == "request" else made,
                    completed_at=min(made + timedelta(days=1), now) if kind == "released" else None,
                    cancellation_terms=cancellation_terms(service.cancellation_policy),
                )
            )
        Booking.objects.bulk_create(bookings, batch_size=5000)

        payments, paid = [], []
        for k, (booking, kind) in enumerate(zip(bookings, kinds, strict=True)):
            if kind == "request":
                continue
            bps, minimum = terms[booking.service_id]
            fee, share = Money(booking.price_minor, booking.currency).split_by_bps(bps, minimum)
            awaiting_approval = kind == "held" and k % 20 == 1
            payments.append(
                Transaction(
                    booking=booking,
                    currency=booking.currency,
                    amount_minor=booking.price_minor,
                    commission_bps=bps,
                    minimum_fee_minor=minimum,
                    platform_fee_minor=fee.minor,
                    vendor_payout_minor=share.minor,
                    status=TransactionStatus.RELEASED if kind == "released" else TransactionStatus.HELD,
                    gateway="local",
                    payment_reference=f"ch_bench_{booking.reference}",
                    authorized_at=booking.paid_at,
                    captured_at=booking.paid_at,
                    releasable_at=booking.completed_at if kind == "released" else (now if awaiting_approval else None),
                    released_at=booking.completed_at,
                    payout_needs_approval=awaiting_approval,
                    payout_approval_grounds=["threshold"] if awaiting_approval else [],
                    hold_reasons=[],
                )
            )
            paid.append((booking, kind))
        Transaction.objects.bulk_create(payments, batch_size=5000)

        entries, lines = [], []
        for payment, (booking, kind) in zip(payments, paid, strict=True):
            capture = LedgerEntry(
                transaction=payment,
                kind=EntryKind.CAPTURE,
                created_at=booking.paid_at,
                memo=f"Payment for {booking.reference}",
            )
            entries.append(capture)
            lines.append((capture, LedgerAccount.PROCESSOR_CASH, payment.amount_minor))
            lines.append((capture, LedgerAccount.CUSTOMER_ESCROW, -payment.amount_minor))
            if kind == "released":
                release = LedgerEntry(
                    transaction=payment,
                    kind=EntryKind.RELEASE,
                    created_at=booking.completed_at,
                    memo=f"Release for {booking.reference}",
                )
                entries.append(release)
                lines.append((release, LedgerAccount.CUSTOMER_ESCROW, payment.amount_minor))
                lines.append((release, LedgerAccount.PLATFORM_COMMISSION, -payment.platform_fee_minor))
                lines.append((release, LedgerAccount.VENDOR_PAYABLE, -payment.vendor_payout_minor))
        LedgerEntry.objects.bulk_create(entries, batch_size=5000)
        LedgerLine.objects.bulk_create(
            (
                LedgerLine(
                    entry=entry,
                    account=account,
                    amount_minor=amount,
                    currency=entry.transaction.currency,
                    vendor_id=entry.transaction.booking.vendor_id if account == LedgerAccount.VENDOR_PAYABLE else None,
                )
                for entry, account, amount in lines
                if amount
            ),
            batch_size=10000,
        )
    return [booking.pk for booking in bookings]


def build_bookings_in_sql(count: int, *, services, customers, days: int = 90, now=None, seed: float = 0.2026) -> int:
    """``build_bookings`` in six INSERT … SELECT statements over ``generate_series`` (PostgreSQL only).

    The same rows with the same rules: one in twenty an unpaid request, k % 4 == 1 paid and held (one
    in twenty waiting for approval), the rest completed and released a day later; the fee and share of
    each service come from the same split (``Money.split_by_bps``), worked out once per service in
    Python. References are ``BN-<k>`` (never one ``new_booking_reference`` makes: those start ``BK-``).
    Returns the number of bookings made.
    """
    import json as json_module

    from django.db import connection, transaction
    from django.utils import timezone

    from marketplace.catalog.cancellation import cancellation_terms
    from marketplace.core.money import Money
    from marketplace.payments.services import commission_bps_for, minimum_fee_for

    now = now or timezone.now()
    catalogue = []
    for index, service in enumerate(services):
        bps, minimum = commission_bps_for(service), minimum_fee_for(service)
        fee, share = Money(service.base_price_minor, service.currency).split_by_bps(bps, minimum)
        catalogue.append(
            (
                index,
                service.pk,
                service.vendor_id,
                service.base_price_minor,
                service.currency,
                bps,
                minimum,
                fee.minor,
                share.minor,
                service.duration_minutes,
                json_module.dumps(cancellation_terms(service.cancellation_policy)),
            )
        )
    slot_seconds = int(SLOT.total_seconds())
    first_start = now - SLOT * (count // len(services) + 1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_services (idx int, service_id bigint, vendor_id bigint, price bigint, "
            "currency varchar(3), bps int, minimum bigint, fee bigint, share bigint, duration int, terms jsonb) "
            "ON COMMIT DROP"
        )
        cursor.executemany("INSERT INTO bench_services VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", catalogue)
        cursor.execute("CREATE TEMP TABLE bench_customers (idx int, customer_id bigint) ON COMMIT DROP")
        cursor.executemany("INSERT INTO bench_customers VALUES (%s, %s)", [(i, c.pk) for i, c in enumerate(customers)])
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            """
            CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
            SELECT k, s.*, c.customer_id,
                   %(now)s::timestamptz - make_interval(secs => random() * %(days)s * 86400) AS made,
                   CASE WHEN k %% 20 = 0 THEN 'request' WHEN k %% 4 = 1 THEN 'held' ELSE 'released' END AS kind,
                   (k %% 20 = 1) AS awaiting,
                   %(first)s::timestamptz + make_interval(secs => (k / %(n)s) * %(slot)s) AS starts_at
            FROM generate_series(0, %(count)s - 1) AS k
            JOIN bench_services s ON s.idx = k %% %(n)s
            JOIN bench_customers c ON c.idx = k %% %(m)s
            """,
            {
                "now": now,
                "days": days,
                "first": first_start,
                "n": len(services),
                "m": len(customers),
                "slot": slot_seconds,
                "count": count,
            },
        )
        cursor.execute(
            """
            INSERT INTO bookings_booking (created_at, updated_at, reference, status, starts_at, ends_at, busy_from,
                busy_until,
                price_minor, currency, address, customer_note, vendor_note, paid_at, confirmed_at, completed_at,
                close_reason, customer_id, service_id, vendor_id, cancellation_terms, cancelled_by, calendar_sequence,
                proposal_note)
            SELECT made, made, 'BN-' || k, CASE kind WHEN 'request' THEN 'requested' WHEN 'held' THEN 'confirmed'
                   ELSE 'completed' END,
                   starts_at, starts_at + make_interval(mins => duration), starts_at,
                   starts_at + make_interval(mins => duration),
                   price, currency, '1 Benchmark Way, Brooklyn, NY', '', '',
                   CASE WHEN kind <> 'request' THEN made END, CASE WHEN kind <> 'request' THEN made END,
                   CASE WHEN kind = 'released' THEN LEAST(made + interval '1 day', %(now)s::timestamptz) END,
                   '', customer_id, service_id, vendor_id, terms, '', 0, ''
            FROM bench_plan
            """,
            {"now": now},
        )
        cursor.execute(
            """
            INSERT INTO payments_transaction (currency, amount_minor, commission_bps, minimum_fee_minor,
                platform_fee_minor, vendor_payout_minor, refunded_minor, status, gateway, payment_reference,
                transfer_reference, refund_reference, authorized_at, captured_at, releasable_at,
                payout_needs_approval, payout_approval_grounds, released_at, hold_reasons, booking_id)
            SELECT p.currency, p.price, p.bps, p.minimum, p.fee, p.share, 0,
                   CASE p.kind WHEN 'released' THEN 'released' ELSE 'held' END, 'local', 'ch_bench_BN-' || p.k,
                   '', '', b.paid_at, b.paid_at,
                   CASE WHEN p.kind = 'released' THEN b.completed_at WHEN p.awaiting THEN %(now)s::timestamptz END,
                   p.awaiting, CASE WHEN p.awaiting THEN '["threshold"]'::jsonb ELSE '[]'::jsonb END,
                   b.completed_at, '[]'::jsonb, b.id
            FROM bench_plan p JOIN bookings_booking b ON b.reference = 'BN-' || p.k
            WHERE p.kind <> 'request'
            """,
            {"now": now},
        )
        cursor.execute(
            """
            INSERT INTO payments_ledgerentry (created_at, kind, memo, transaction_id)
            SELECT b.paid_at, 'capture', 'Payment for ' || b.reference, t.id
            FROM payments_transaction t JOIN bookings_booking b ON b.id = t.booking_id
            WHERE b.reference LIKE 'BN-%%'
            UNION ALL
            SELECT b.completed_at, 'release', 'Release for ' || b.reference, t.id
            FROM payments_transaction t JOIN bookings_booking b ON b.id = t.booking_id
            WHERE b.reference LIKE 'BN-%%' AND t.status = 'released'
            """
        )
        cursor.execute(
            """
            INSERT INTO payments_ledgerline (entry_id, account, amount_minor, currency, vendor_id)
            SELECT e.id, line.account, line.amount, t.currency, line.vendor_id
            FROM payments_ledgerentry e
            JOIN payments_transaction t ON t.id = e.transaction_id
            JOIN bookings_booking b ON b.id = t.booking_id
            CROSS JOIN LATERAL (VALUES
                ('processor_cash', t.amount_minor, NULL::bigint, 'capture'),
                ('customer_escrow', -t.amount_minor, NULL::bigint, 'capture'),
                ('customer_escrow', t.amount_minor, NULL::bigint, 'release'),
                ('platform_commission', -t.platform_fee_minor, NULL::bigint, 'release'),
                ('vendor_payable', -t.vendor_payout_minor, b.vendor_id, 'release')
            ) AS line (account, amount, vendor_id, kind)
            WHERE b.reference LIKE 'BN-%%' AND line.kind = e.kind AND line.amount <> 0
            """
        )
    return count


# --- The timed run ------------------------------------------------------------------------------


def time_pages(admin, rounds: int) -> dict:
    """The dashboard and the health endpoint, alternating, ``rounds`` times each after a warm-up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(admin)
    pages = {"health": "/api/v1/health", "dashboard": reverse("wagtailadmin_home")}
    for path in pages.values():  # warm-up: templates compiled, connections open, caches filled
        for _ in range(3):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(rounds):
        for name, path in pages.items():
            started = time.perf_counter()
            response = client.get(path)
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(pages["dashboard"])
    return {"timings": timings, "queries": captured.captured_queries}


def explain(queries: list[dict], threshold_ms: float = 1.0) -> list[dict]:
    """PostgreSQL's plan (with actual times) of each query over ``threshold_ms``; whether it scans a big table."""
    from django.db import connection

    plans = []
    for query in queries:
        if float(query["time"]) * 1000 < threshold_ms or not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) {query['sql']}")
            plan = [row[0] for row in cursor.fetchall()]
        seq_scans = sorted({table for table in BIG_TABLES for line in plan if f"Seq Scan on {table}" in line})
        plans.append({"ms": float(query["time"]) * 1000, "sql": query["sql"], "plan": plan, "seq_scans": seq_scans})
    return plans


def main() -> None:
    args = parse_args()
    began = time.monotonic()
    server = server_url()
    parts = urlsplit(server)
    say(f"Creating the database {DATABASE} on PostgreSQL {parts.hostname}:{parts.port or 5432}")
    database_url = recreate_database(server, DATABASE)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.dashboard_settings"
    for name in ("REDIS_URL", "OPENSEARCH_URL"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        say(f"Making {args.organizers} organizers and {args.organizers} customers through the services")
        started = time.monotonic()
        admin, services, customers = make_actors(args.organizers, args.organizers)
        say(f"  ({time.monotonic() - started:.1f} s)")
        say(f"Making {args.bookings:,} bookings over {args.days} days in bulk, with payments and ledger postings")
        started = time.monotonic()
        build_bookings_in_sql(args.bookings, services=services, customers=customers, days=args.days)
        built = time.monotonic() - started
        say(f"  ({built:.1f} s)")
        with connection.cursor() as cursor:
            # Statistics for the planner, and the visibility map index-only scans need (autovacuum's work).
            cursor.execute("VACUUM ANALYZE")
        left = BUDGET_SECONDS - (time.monotonic() - began)
        rounds = max(5, min(args.rounds, int(left / 2)))  # a second per round at most, within the budget
        say(f"Timing the dashboard and the health endpoint, {rounds} requests each, alternating")
        measured = time_pages(admin, rounds)
        plans = explain(measured["queries"])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY(%s) ORDER BY relname",
                [list(BIG_TABLES)],
            )
            rows = dict(cursor.fetchall())
    finally:
        if not args.keep:
            drop_database(server, DATABASE)
    report(args, measured, plans, rows, built, time.monotonic() - began)


def report(args, measured, plans, rows, built, elapsed) -> None:
    health = statistics.median(measured["timings"]["health"])
    dashboard = statistics.median(measured["timings"]["dashboard"])
    ratio = health / dashboard
    print()
    print(f"Dashboard benchmark: PostgreSQL database {DATABASE}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"{'measure':<58} {'value':>12}")
    print("-" * 71)
    for name, value in (
        ("bookings (spread over the last days)", f"{args.bookings:,} / {args.days}"),
        *((f"rows in {table}", f"{count:,}") for table, count in rows.items()),
        ("bulk set-up of the bookings, s", f"{built:.1f}"),
        ("requests of each page", f"{len(measured['timings']['dashboard'])}"),
        ("GET /api/v1/health, median ms", f"{health:.1f}"),
        ("GET /admin/ (dashboard, as admin), median ms", f"{dashboard:.1f}"),
        ("dashboard p90 ms", f"{statistics.quantiles(measured['timings']['dashboard'], n=10)[-1]:.1f}"),
        ("dashboard speed as a share of health's (health ms / dashboard ms)", f"{ratio:.4f}"),
        ("dashboard time in health requests (dashboard ms / health ms)", f"{dashboard / health:.1f}"),
        ("queries per dashboard request", f"{len(measured['queries'])}"),
        ("of which over 1 ms", f"{len(plans)}"),
    ):
        print(f"{name:<58} {value:>12}")
    for plan in sorted(plans, key=lambda plan: -plan["ms"]):
        print()
        flag = f"  SEQUENTIAL SCAN of {', '.join(plan['seq_scans'])}" if plan["seq_scans"] else ""
        print(f"{plan['ms']:.1f} ms: {plan['sql'][:160]}{'…' if len(plan['sql']) > 160 else ''}{flag}")
        for line in plan["plan"][:30]:
            print(f"    {line}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "bookings": args.bookings,
                "days": args.days,
                "rows": rows,
                "setup_seconds": round(built, 1),
                "health_median_ms": health,
                "dashboard_median_ms": dashboard,
                "ratio_health_over_dashboard": ratio,
                "timings_ms": measured["timings"],
                "queries": len(measured["queries"]),
                "plans": plans,
                "elapsed_seconds": round(elapsed, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"\nResults written to {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}; "
        f"whole run {elapsed:.0f} s."
    )


if __name__ == "__main__":
    main()
