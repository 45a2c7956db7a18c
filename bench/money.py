"""Benchmark: release and payout of 10,000 completed bookings through the real task path, on PostgreSQL.

    python3 dev.py bench money                 (make bench-money)
    python3 dev.py bench money --help          options: bookings, worker processes, keep the database

What it does, in about two minutes on this project's 2-core machines:

1. Creates a fresh database, tidynest_bench_money, on the PostgreSQL server DATABASE_URL
   names (else 127.0.0.1:5432 as postgres), migrates it, and makes organizers, customers
   and services through the domain services.
2. Makes the completed bookings in bulk, with exactly the rows booking_pay, the booking's
   completion and escrow_release_request would have written (see build_bookings): the
   local gateway's charge, the succeeded charge movement carrying its id, the payment
   held in escrow with its split, the capture posting (processor_cash +A, customer_escrow
   -A) with the charge's id, and the release due without approval. Audit entries and
   notifications of those steps are left out: the release never reads them.
3. Times the real path. Completing a booking queues one escrow_release_due job, so the
   bookings stand for that many queued jobs; worker processes (2 by default, one per core)
   share them and call marketplace.payments.tasks.escrow_release_due() for each, as a
   django-q2 worker does. A job releases every escrow that is due, a batch of
   PAYMENTS_RELEASE_BATCH_SIZE per transaction (claimed with SKIP LOCKED, so the workers
   share the backlog), and queues a payouts_execute job per PAYMENTS_PAYOUT_BATCH_SIZE
   payouts; here each queued job runs right after the commit that queued it, in the
   same worker (--jobs django-q: through django-q2's sync mode): a gateway transfer per
   payout, then one transaction books them all. With --jobs cluster the jobs go through a
   real django-q2 cluster instead (`manage.py qcluster`, --workers of them, Redis broker
   --redis-url): the cluster starts and answers a first job, then one escrow_release_due
   job per booking is queued, and the clock stops when every payout has succeeded (see
   run_cluster). The jobs that come after the backlog
   is gone find nothing due and cost one query each; they are timed too. Reported:
   bookings per second for release and payout together, against a target of 200.
4. Checks the books: every payment released, one payout each and all succeeded, exactly
   one gateway transfer per payout, every ledger entry balanced, customer_escrow and
   vendor_payable at zero, processor_cash = captured - paid out, commission = the sum of
   the fees, and `reconcile` finds no difference between the ledger and the gateway.
5. Profiles one more batch on its own (--profile bookings, one process): queries by
   statement and table, milliseconds and commits that write (each a WAL flush), per
   booking, of the release and of the payout jobs it queues.

The database is dropped at the end (--keep keeps it). Results go to
bench/results/money.json (not committed: the figures belong to the machine). Exit 1 when
a check of the books fails; a rate under the target is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import secrets
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_database, recreate_database, server_url, verified_organizer  # noqa: E402
from bench.machine import process_cpu_seconds as backend_cpu_seconds  # noqa: E402

DATABASE = "tidynest_bench_money"
TARGET_PER_SECOND = 200
BASELINE_COMMITS = 3000
RESULTS = ROOT / "bench" / "results" / "money.json"
CLUSTER_REDIS_URL = "redis://127.0.0.1:6379/14"
CLUSTER_LOG = ROOT / "var" / "bench-money-cluster.log"
PASSWORD = "bench-tidy-nest-2026!"
SLOT = timedelta(hours=4)  # one booking per organizer per slot: the no-overlap constraint holds


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 dev.py bench money", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000, help="completed bookings to release (default 10000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2: one per core)")
    parser.add_argument("--organizers", type=int, default=40, help="organizers the bookings spread over (default 40)")
    parser.add_argument(
        "--profile", type=int, default=100, help="extra bookings released as one batch on their own, to profile"
    )
    parser.add_argument(
        "--jobs",
        choices=("direct", "django-q", "cluster"),
        default="direct",
        help="how the payout job queued by a release runs: its task function called right after the commit, "
        "as a worker calls it (direct, the default), or through django-q2's sync mode (its worker code, "
        "signing and result saving), or by a real django-q2 cluster (qcluster with --workers workers, Redis broker)",
    )
    parser.add_argument(
        "--redis-url",
        default=CLUSTER_REDIS_URL,
        help=f"--jobs cluster: the Redis database of the broker, emptied first (default {CLUSTER_REDIS_URL})",
    )
    parser.add_argument(
        "--save-limit",
        type=int,
        default=None,
        help="--jobs cluster: django-q2's save_limit for the run (default: the settings'; -1 keeps no successes)",
    )
    parser.add_argument("--database", default=DATABASE, help=f"the database made for the run (default {DATABASE})")
    parser.add_argument("--keep", action="store_true", help="keep the database after the run")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    return parser.parse_args()


# --- The data ---------------------------------------------------------------------------------


def make_actors(organizers: int, customers: int):
    """Organizers (verified, one service each), customers and an admin, through the domain services."""
    from marketplace.accounts.models import Role, User
    from marketplace.accounts.services import user_register
    from marketplace.catalog.models import Category
    from marketplace.catalog.services import service_create
    from marketplace.payments.gateways.local import local_gateway_onboarding_submit, local_gateway_onboarding_token
    from marketplace.payments.payout_accounts import payout_account_link

    admin = User.objects.create_user(
        email="bench-admin@bench.test", password=PASSWORD, role=Role.ADMIN, is_staff=True, full_name="Bench Admin"
    )
    category = Category.objects.create(name="Home organizing", slug="home-organizing")
    services = []
    for n in range(organizers):
        user, _vendor = verified_organizer(admin=admin, number=n, password=PASSWORD)
        # The organizer sets up payouts on the local gateway's onboarding page (else payouts wait for it).
        link = payout_account_link(user=user, refresh_url="http://bench.test/r", return_url="http://bench.test/p")
        local_gateway_onboarding_submit(local_gateway_onboarding_token(link), outcome="submit")
        services.append(
            service_create(
                user=user,
                category_id=category.pk,
                title=f"Closet reset by organizer {n}",
                summary="A calm, practical session with a professional organizer.",
                pricing_model="fixed",
                base_price_minor=12000 + 500 * (n % 20),  # under the payout approval threshold
                duration_minutes=180,
            )
        )
    people = [
        user_register(email=f"customer-{n}@bench.test", password=PASSWORD, role="customer", full_name=f"Customer {n}")
        for n in range(customers)
    ]
    return services, people


def build_bookings(count: int, *, services, customers) -> list[int]:
    """``count`` completed bookings, paid and due for release, in bulk. Returns their ids.

    Each booking gets the rows the real path writes (marketplace.bookings.services.booking_pay,
    then payments.services.movement_execute / _apply_charge, the completion, and
    payments.services.escrow_release_request), with the same values:

    - LocalGatewayOperation: kind charge, reference ch_local_<hex>, the movement's
      idempotency key, the price, payment method, transfer group = booking reference;
    - Movement: charge, succeeded, idempotency key <reference>:charge:1, the commission terms
      in ``details``, the charge's reference, one attempt, the payer as actor;
    - Transaction: held, the amount split by the service's commission and minimum fee
      (commission_bps_for, minimum_fee_for, Money.split_by_bps), the charge's reference,
      captured; releasable_at set, no approval needed, no hold;
    - LedgerEntry capture with the movement and the charge's reference, and its two
      LedgerLines: processor_cash +amount, customer_escrow -amount.
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
        LocalGatewayOperation,
        Movement,
        MovementKind,
        MovementState,
        Transaction,
        TransactionStatus,
    )
    from marketplace.payments.services import commission_bps_for, minimum_fee_for

    now = timezone.now()
    first_start = now - timedelta(days=1) - SLOT * (count // len(services) + 1)
    terms = {service.pk: (commission_bps_for(service), minimum_fee_for(service)) for service in services}
    with transaction.atomic():
        bookings = []
        for k in range(count):
            service = services[k % len(services)]
            starts_at = first_start + SLOT * (k // len(services))
            ends_at = starts_at + timedelta(minutes=service.duration_minutes)
            bookings.append(
                Booking(
                    reference=new_booking_reference(),
                    customer=customers[k % len(customers)],
                    vendor_id=service.vendor_id,
                    service=service,
                    status=BookingStatus.COMPLETED,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    busy_from=starts_at,
                    busy_until=ends_at,
                    price_minor=service.base_price_minor,
                    currency=service.currency,
                    address="1 Benchmark Way, Brooklyn, NY",
                    paid_at=starts_at - timedelta(days=3),
                    confirmed_at=starts_at - timedelta(days=3),
                    completed_at=ends_at + timedelta(minutes=5),
                    cancellation_terms=cancellation_terms(service.cancellation_policy),
                )
            )
        Booking.objects.bulk_create(bookings, batch_size=2000)

        charges, payments = [], []
        for booking in bookings:
            key = f"{booking.reference}:{MovementKind.CHARGE}:1"
            charges.append(
                LocalGatewayOperation(
                    kind=LocalGatewayOperation.Kind.CHARGE,
                    reference=f"ch_local_{secrets.token_hex(10)}",
                    idempotency_key=key,
                    amount_minor=booking.price_minor,
                    currency=booking.currency,
                    payment_method="pm_card_visa",
                    transfer_group=booking.reference,
                )
            )
            bps, minimum = terms[booking.service_id]
            fee, share = Money(booking.price_minor, booking.currency).split_by_bps(bps, minimum)
            payments.append(
                Transaction(
                    booking=booking,
                    currency=booking.currency,
                    amount_minor=booking.price_minor,
                    commission_bps=bps,
                    minimum_fee_minor=minimum,
                    platform_fee_minor=fee.minor,
                    vendor_payout_minor=share.minor,
                    status=TransactionStatus.HELD,
                    gateway="local",
                    payment_reference="",  # set below, from the charge
                    authorized_at=booking.paid_at,
                    captured_at=booking.paid_at,
                    releasable_at=booking.completed_at,
                    payout_needs_approval=False,
                    payout_approval_grounds=[],
                    hold_reasons=[],
                )
            )
        LocalGatewayOperation.objects.bulk_create(charges, batch_size=2000)
        for payment, charge in zip(payments, charges, strict=True):
            payment.payment_reference = charge.reference
        Transaction.objects.bulk_create(payments, batch_size=2000)

        movements = [
            Movement(
                kind=MovementKind.CHARGE,
                state=MovementState.SUCCEEDED,
                booking=booking,
                transaction=payment,
                amount_minor=booking.price_minor,
                currency=booking.currency,
                idempotency_key=charge.idempotency_key,
                payment_method="pm_card_visa",
                details={
                    "commission_bps": payment.commission_bps,
                    "minimum_fee_minor": payment.minimum_fee_minor,
                    "description": f"{booking.service.title} ({booking.reference})",
                    "capture": True,
                },
                gateway_reference=charge.reference,
                attempts=1,
                actor=booking.customer,
                attempted_at=booking.paid_at,
                settled_at=booking.paid_at,
            )
            for booking, payment, charge in zip(bookings, payments, charges, strict=True)
        ]
        Movement.objects.bulk_create(movements, batch_size=2000)
        entries = [
            LedgerEntry(
                transaction=payment,
                movement=movement,
                kind=EntryKind.CAPTURE,
                gateway_reference=movement.gateway_reference,
                memo=f"Payment for {booking.reference}",
            )
            for booking, payment, movement in zip(bookings, payments, movements, strict=True)
        ]
        LedgerEntry.objects.bulk_create(entries, batch_size=2000)
        LedgerLine.objects.bulk_create(
            (
                LedgerLine(
                    entry=entry, account=account, amount_minor=sign * payment.amount_minor, currency=payment.currency
                )
                for entry, payment in zip(entries, payments, strict=True)
                for account, sign in ((LedgerAccount.PROCESSOR_CASH, 1), (LedgerAccount.CUSTOMER_ESCROW, -1))
            ),
            batch_size=4000,
        )
    return [booking.pk for booking in bookings]


# --- The timed run ------------------------------------------------------------------------------


def run_job_now(func: str, *args, **kwargs):
    """What a django-q2 worker does with a queued job, minus the queue: import the task by name and call it."""
    from django.utils.module_loading import import_string

    return import_string(func)(*args, **kwargs)


def release_job(_booking_id: int) -> str:
    """The job each completed booking queued, as a worker runs it: release what is due, then the payout jobs."""
    from marketplace.payments.tasks import escrow_release_due

    return "released a backlog" if escrow_release_due() else "found nothing due"


def baseline(number: int) -> str:
    """The baseline timed beside it: the smallest durable write, one single-row INSERT committed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_baseline (n) VALUES (%s)", [number])
    return "committed"


def work_slice(work, items: list[int], barrier, results) -> None:
    """One worker process: ``work`` on each of its items in turn, as a task queue worker would.

    Besides the wall time it measures the CPU time spent on them by this process and by
    its PostgreSQL backend: what a booking costs, whatever else the machine is doing.
    """
    from django.db import connection

    connection.ensure_connection()  # connected before the clock starts, as a running worker is
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    barrier.wait()
    started, cpu, backend_cpu = time.perf_counter(), time.process_time(), backend_cpu_seconds(backend)
    outcomes = Counter(work(item) for item in items)
    finished, cpu = time.perf_counter(), time.process_time() - cpu
    if backend_cpu is not None:
        backend_cpu = backend_cpu_seconds(backend) - backend_cpu
    connection.close()
    results.put(
        {
            "started": started,
            "finished": finished,
            "cpu": cpu,
            "backend_cpu": backend_cpu,
            "outcomes": dict(outcomes),
        }
    )


def run_workers(work, items: list[int], workers: int) -> dict:
    """Share ``items`` among ``workers`` forked processes started at once; the wall time from start to last done."""
    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(target=work_slice, args=(work, items[index::workers], barrier, results))
        for index in range(workers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    reports = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    if any(process.exitcode != 0 for process in processes):
        sys.exit("A worker process failed; see its traceback above.")
    seconds = max(report["finished"] for report in reports) - min(report["started"] for report in reports)
    outcomes: Counter = Counter()
    for report in reports:
        outcomes.update(report["outcomes"])
    backend_cpu = [report["backend_cpu"] for report in reports]
    return {
        "items": len(items),
        "workers": workers,
        "seconds": seconds,
        "cpu_ms_per_item": sum(report["cpu"] for report in reports) * 1000 / len(items),
        "backend_cpu_ms_per_item": None if None in backend_cpu else sum(backend_cpu) * 1000 / len(items),
        "per_second": len(items) / seconds,
        "outcomes": dict(outcomes),
        "per_worker_seconds": [round(report["finished"] - report["started"], 2) for report in reports],
    }


def run_cluster(booking_ids: list[int], workers: int) -> dict:
    """The release and payout of ``booking_ids`` by a real django-q2 cluster of ``workers`` workers.

    One escrow_release_due job per booking (as each completion queues one) is queued first
    on a list of the broker's own that no cluster reads. Then `manage.py qcluster` starts
    (its log in var/bench-money-cluster.log) and answers a first job, so its start-up is not
    timed. The clock starts when the whole backlog is handed to the cluster at once (Redis
    RENAME of the list, as `run_workers` starts its processes on a barrier) and stops when
    the cluster's worker ran its last job (bench/money_cluster.py counts them): every payout
    succeeded, the broker's queue is empty, every job run has its result saved, and no job
    has run for a second since. That covers the jobs the payouts queue in turn
    (send_payout_notifications). The time when the last payout succeeded is kept too. The
    CPU of the cluster's processes (monitor, pusher, workers) and of the database's
    backends is measured over the same time.
    """
    import signal
    import subprocess

    from django.conf import settings
    from django.db import connection
    from django_q.brokers import get_broker
    from django_q.models import Failure
    from django_q.tasks import async_task, fetch

    from bench.machine import cores, cpu_of, cpu_spent, descendant_pids, machine_busy_seconds, memory_kib
    from bench.money_cluster import EXECUTED, LAST_EXECUTED, SAVED
    from marketplace.payments.models import MovementState, Payout

    broker, staging = get_broker(), get_broker("bench_money_backlog")
    staging.delete_queue()
    started = time.perf_counter()
    for _ in booking_ids:
        async_task("marketplace.payments.tasks.escrow_release_due", broker=staging)
    queued = time.perf_counter() - started
    CLUSTER_LOG.parent.mkdir(exist_ok=True)
    with open(CLUSTER_LOG, "wb") as log:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        probe = async_task("time.time", save=True)  # its result kept whatever save_limit says
        if fetch(probe, wait=120_000) is None:
            sys.exit(f"The django-q2 cluster did not run a first job within 120 s; see {CLUSTER_LOG}.")
        broker = get_broker()
        processes = descendant_pids(cluster.pid)

        def backends() -> list[int]:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                return [pid for (pid,) in cursor.fetchall()]

        payouts = Payout.objects.filter(booking_id__in=booking_ids, state=MovementState.SUCCEEDED)
        counters = broker.connection
        counters.delete(EXECUTED, LAST_EXECUTED, SAVED)
        before_cluster, before_pg, before_machine = cpu_of(processes), cpu_of(backends()), machine_busy_seconds()
        started, started_wall = time.perf_counter(), time.time()
        broker.connection.rename(staging.list_key, broker.list_key)  # the whole backlog at once
        paid = queue_empty = None
        executed, quiet_since = -1, 0.0
        while True:
            now = time.perf_counter() - started
            if paid is None and payouts.count() == len(booking_ids):
                paid = now
            if queue_empty is None and broker.queue_size() == 0:
                queue_empty = now
            ran, saved = (int(counters.get(key) or 0) for key in (EXECUTED, SAVED))
            if settings.Q_CLUSTER.get("save_limit", 250) < 0:
                saved = None  # successes are not saved: only the jobs run count
            if ran != executed:
                executed, quiet_since = ran, now
            elif paid is not None and broker.queue_size() == 0 and saved in (ran, None) and now - quiet_since >= 1.0:
                break
            if now > 900:
                sys.exit(f"The cluster had not run every job after 900 s; see {CLUSTER_LOG}.")
            time.sleep(0.1)
        running = descendant_pids(cluster.pid)
        cluster_cpu = cpu_spent(before_cluster, cpu_of(running))
        connections = backends()
        pg_cpu = cpu_spent(before_pg, cpu_of(connections))
        memory = [memory_kib(pid) for pid in [cluster.pid, *running]]
        machine = machine_busy_seconds() - before_machine
        measured = time.perf_counter() - started
        seconds = float(counters.get(LAST_EXECUTED)) - started_wall  # when the last job ended
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
    n = len(booking_ids)
    return {
        "items": n,
        "workers": workers,
        "seconds": seconds,
        "per_second": n / seconds,
        "paid_seconds": paid,
        "paid_per_second": n / paid,
        "queued_seconds": queued,
        "queue_empty_seconds": queue_empty,
        "cpu_ms_per_item": cluster_cpu * 1000 / n,
        "backend_cpu_ms_per_item": pg_cpu * 1000 / n,
        "cores": {
            "cluster": cores(cluster_cpu, measured),
            "postgres": cores(pg_cpu, measured),
            "machine": cores(machine, measured),
        },
        "cores_text": f"{cores(cluster_cpu, measured):.2f} / {cores(pg_cpu, measured):.2f} / "
        f"{cores(machine, measured):.2f}",
        "failures": Failure.objects.count(),
        "save_limit": settings.Q_CLUSTER.get("save_limit", 250),
        # What the cluster holds: its processes (qcluster, guard, monitor, pusher, workers) and their
        # memory, and the PostgreSQL connections to the database besides this process's own.
        "processes": len(memory),
        "memory_mib": {
            "rss": round(sum(m.get("rss", 0) for m in memory) / 1024),
            "pss": round(sum(m.get("pss", 0) for m in memory) / 1024),
        },
        "postgres_connections": len(connections),
        "outcomes": {"jobs queued": n, "jobs run": executed},
        "per_worker_seconds": [],
    }


def server_counters() -> dict[str, int]:
    """PostgreSQL's count of the transactions committed in this database (read-only ones too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return {"commits": cursor.fetchone()[0]}


# --- Checks ------------------------------------------------------------------------------------------


def check_books(booking_ids: list[int]) -> list[tuple[str, str, str, bool]]:
    """(check, expected, found, ok) rows about the released bookings and the whole ledger."""
    from django.db.models import Count, Q, Sum

    from marketplace.payments.models import (
        LedgerAccount,
        LedgerEntry,
        LedgerLine,
        LocalGatewayOperation,
        MovementState,
        Payout,
        Transaction,
        TransactionStatus,
    )

    n = len(booking_ids)
    payments = Transaction.objects.filter(booking_id__in=booking_ids)
    payouts = Payout.objects.filter(booking_id__in=booking_ids)
    transfers = LocalGatewayOperation.objects.filter(kind=LocalGatewayOperation.Kind.TRANSFER)
    totals = payments.aggregate(captured=Sum("amount_minor"), fees=Sum("platform_fee_minor"))
    paid_out = payouts.filter(state=MovementState.SUCCEEDED).aggregate(total=Sum("amount_minor"))["total"] or 0
    balances = dict(LedgerLine.objects.order_by().values_list("account").annotate(total=Sum("amount_minor")))
    all_captured = Transaction.objects.aggregate(total=Sum("amount_minor"))["total"] or 0
    all_paid_out = (
        Payout.objects.filter(state=MovementState.SUCCEEDED).aggregate(total=Sum("amount_minor"))["total"] or 0
    )
    all_fees = (
        Transaction.objects.filter(status=TransactionStatus.RELEASED).aggregate(total=Sum("platform_fee_minor"))[
            "total"
        ]
        or 0
    )
    unbalanced = (
        LedgerEntry.objects.annotate(total=Sum("lines__amount_minor"), lines_count=Count("lines"))
        .filter(Q(lines_count=0) | ~Q(total=0))
        .count()
    )
    payout_references = set(payouts.values_list("gateway_reference", flat=True))
    transfer_references = set(transfers.values_list("reference", flat=True))
    per_payout = transfers.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count()

    def row(check: str, expected, found) -> tuple[str, str, str, bool]:
        return (
            check,
            f"{expected:,}" if isinstance(expected, int) else str(expected),
            (f"{found:,}" if isinstance(found, int) else str(found)),
            expected == found,
        )

    return [
        row("payments released", n, payments.filter(status=TransactionStatus.RELEASED).count()),
        row("payouts (one per payment)", n, payouts.count()),
        row("payouts succeeded", n, payouts.filter(state=MovementState.SUCCEEDED).count()),
        row("gateway transfers", n, transfers.count()),
        row("transfers with a repeated idempotency key", 0, per_payout),
        row("payouts whose transfer the gateway has", n, len(payout_references & transfer_references)),
        row("ledger entries unbalanced or empty", 0, unbalanced),
        row("customer_escrow", 0, balances.get(LedgerAccount.CUSTOMER_ESCROW, 0)),
        row("vendor_payable", 0, balances.get(LedgerAccount.VENDOR_PAYABLE, 0)),
        row(
            "processor_cash = captured - paid out",
            all_captured - all_paid_out,
            balances.get(LedgerAccount.PROCESSOR_CASH, 0),
        ),
        row("platform_commission = -(sum of fees)", -all_fees, balances.get(LedgerAccount.PLATFORM_COMMISSION, 0)),
        row("paid out = captured - fees", totals["captured"] - totals["fees"], paid_out),
    ]


def check_reconcile() -> dict:
    from datetime import UTC, datetime

    from django.utils import timezone

    from marketplace.payments.reconciliation import reconcile

    now = timezone.now()
    started = time.perf_counter()
    report = reconcile(
        created_from=datetime(2000, 1, 1, tzinfo=UTC), created_to=now + timedelta(days=1), pending_grace=timedelta(0)
    )
    return {
        "seconds": time.perf_counter() - started,
        "objects": report.objects_checked,
        "postings": report.postings_checked,
        "findings": [f"{f.code} {f.reference}: {f.message}" for f in report.findings[:20]],
        "finding_count": len(report.findings),
    }


# --- Profile -----------------------------------------------------------------------------------------


def statement_kind(sql: str) -> str:
    verb = sql.lstrip().split()[0].upper()
    if verb in ("BEGIN", "COMMIT", "ROLLBACK"):
        return verb
    if verb in ("SAVEPOINT", "RELEASE"):
        return "SAVEPOINT / RELEASE"
    if verb == "SELECT":
        match = re.search(r'\bFROM\s+"([a-z_0-9]+)"', sql)
        lock = " FOR UPDATE" if "FOR UPDATE" in sql.upper() else ""
        return f"SELECT {match.group(1) if match else '?'}{lock}"
    match = re.search(r'^(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"([a-z_0-9]+)"', sql.lstrip(), re.IGNORECASE)
    return f"{verb} {match.group(1) if match else '?'}"


def write_commits(queries: list[dict]) -> int:
    """How many commits that write (each one a WAL flush, an fsync) a list of captured queries makes."""
    count, in_transaction, wrote = 0, False, False
    for query in queries:
        verb = query["sql"].lstrip().split()[0].upper()
        if verb == "BEGIN":
            in_transaction, wrote = True, False
        elif verb == "COMMIT":
            count += wrote
            in_transaction = False
        elif verb in ("INSERT", "UPDATE", "DELETE"):
            if in_transaction:
                wrote = True
            else:
                count += 1  # autocommit: a transaction of its own
    return count


def profile(booking_ids: list[int]) -> dict:
    """Release the given bookings as one batch on their own, then run the payout jobs it queued, counting each part.

    The queued jobs are held back while the release runs (its queries end with its
    commit), then run one after the other, as a worker would.
    """
    import django_q.tasks
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from marketplace.payments.models import Transaction
    from marketplace.payments.services import escrow_release_due

    Transaction.objects.filter(booking_id__in=booking_ids).update(releasable_at=timezone.now())
    queued: list[tuple] = []
    real_async_task = django_q.tasks.async_task
    django_q.tasks.async_task = lambda func, *args, **kwargs: queued.append((func, args, kwargs))
    try:
        with CaptureQueriesContext(connection) as release:
            started = time.perf_counter()
            released = escrow_release_due(limit=len(booking_ids))
            release_seconds = time.perf_counter() - started
    finally:
        django_q.tasks.async_task = real_async_task
    assert len(released) == len(booking_ids), (len(released), len(booking_ids))
    with CaptureQueriesContext(connection) as payout:
        started = time.perf_counter()
        for func, args, kwargs in queued:
            run_job_now(func, *args, **kwargs)
        payout_seconds = time.perf_counter() - started
    n = len(booking_ids)
    parts = {}
    for part, queries, seconds in (
        ("release", release.captured_queries, release_seconds),
        ("payout", payout.captured_queries, payout_seconds),
    ):
        statements, statement_ms = Counter(), Counter()
        for query in queries:
            kind = statement_kind(query["sql"])
            statements[kind] += 1
            statement_ms[kind] += float(query["time"]) * 1000
        parts[part] = {
            "queries": sum(statement_kind(query["sql"]) not in ("BEGIN", "COMMIT") for query in queries) / n,
            "write_commits": write_commits(queries) / n,
            "ms": seconds * 1000 / n,
            "db_ms": sum(statement_ms.values()) / n,
            "statements": {
                kind: {"count": count / n, "ms": statement_ms[kind] / n} for kind, count in statements.most_common()
            },
        }
    return {"bookings": n, "jobs": {"payouts_execute": len(queued)}, **parts}


# --- The run ---------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    if args.bookings < args.workers or args.workers < 1:
        sys.exit("--bookings must be at least --workers, and --workers at least 1.")
    began = time.monotonic()
    server = server_url()
    parts = urlsplit(server)
    say(f"Creating the database {args.database} on PostgreSQL {parts.hostname}:{parts.port or 5432}")
    database_url = recreate_database(server, args.database)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.money_settings"
    for name in ("REDIS_URL", "OPENSEARCH_URL", "BENCH_Q_CLUSTER", "BENCH_Q_SAVE_LIMIT", "Q_WORKERS"):
        os.environ.pop(name, None)  # the ORM broker and the database search: nothing else to start
    if args.jobs == "cluster":
        # Redis as cache and broker, as in production; the settings leave sync mode (bench/money_settings.py).
        os.environ.update(REDIS_URL=args.redis_url, BENCH_Q_CLUSTER="1", Q_WORKERS=str(args.workers))
        if args.save_limit is not None:
            os.environ["BENCH_Q_SAVE_LIMIT"] = str(args.save_limit)
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()

    import django

    django.setup()
    from django.core.management import call_command

    if args.jobs == "direct":
        import django_q.tasks

        # marketplace.core.jobs.enqueue hands every job to django_q.tasks.async_task after the commit
        # (sync mode): run the task function there and then, as a worker would, without django-q2.
        django_q.tasks.async_task = run_job_now
    try:
        call_command("migrate", verbosity=0)
        say(f"Making {args.organizers} organizers and {args.organizers} customers through the services")
        services, customers = make_actors(args.organizers, args.organizers)
        say(f"Making {args.bookings + args.profile:,} completed, paid bookings in bulk")
        started = time.monotonic()
        booking_ids = build_bookings(args.bookings + args.profile, services=services, customers=customers)
        built = time.monotonic() - started
        timed_ids, profiled_ids = booking_ids[: args.bookings], booking_ids[args.bookings :]
        from marketplace.payments.models import Transaction

        # Kept out of the timed run: due only once profile() makes them so.
        Transaction.objects.filter(booking_id__in=profiled_ids).update(releasable_at=None)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, n integer NOT NULL)")
        say(f"Baseline: {BASELINE_COMMITS:,} single-row INSERTs, one commit each, by {args.workers} workers")
        baseline_before = run_workers(baseline, list(range(BASELINE_COMMITS)), args.workers)
        before = server_counters()
        say(
            f"Releasing and paying out {args.bookings:,} bookings: {args.workers} worker processes calling "
            "marketplace.payments.tasks.escrow_release_due, then the payouts_execute jobs it queues "
            + ("called at once" if args.jobs == "direct" else "through django-q2's sync mode")
            if args.jobs != "cluster"
            else f"Releasing and paying out {args.bookings:,} bookings: a django-q2 cluster of {args.workers} "
            f"worker{'s' if args.workers > 1 else ''} (Redis broker) runs the {args.bookings:,} escrow_release_due "
            "jobs queued, and the payouts_execute jobs they queue"
        )
        if args.jobs == "cluster":
            run = run_cluster(timed_ids, args.workers)
        else:
            run = run_workers(release_job, timed_ids, args.workers)
        after = server_counters()
        say("Baseline again")
        baseline_after = run_workers(baseline, list(range(BASELINE_COMMITS)), args.workers)
        say(f"Profiling one more batch of {len(profiled_ids)} releases on its own")
        profiled = profile(profiled_ids) if profiled_ids else None
        say("Checking the books")
        checks = check_books(booking_ids)
        reconciled = check_reconcile()
    finally:
        if not args.keep:
            drop_database(server, args.database)
        if args.jobs == "cluster":
            import redis

            redis.Redis.from_url(args.redis_url).flushdb()

    per_booking = {name: (after[name] - before[name]) / args.bookings for name in before}
    baseline_rate = (baseline_before["per_second"] + baseline_after["per_second"]) / 2
    run["baseline_commits_per_second"] = [
        round(baseline_before["per_second"], 1),
        round(baseline_after["per_second"], 1),
    ]
    run["ratio_to_baseline"] = run["per_second"] / baseline_rate
    report(args, run, checks, reconciled, profiled, per_booking, built, time.monotonic() - began)


def report(args, run, checks, reconciled, profiled, per_booking, built, elapsed) -> None:
    rate = run["per_second"]
    cores = os.cpu_count()
    backend_ms = run["backend_cpu_ms_per_item"]
    backend_cpu = "unknown (server elsewhere)" if backend_ms is None else f"{backend_ms:.2f}"
    cpu_ms = run["cpu_ms_per_item"] + (backend_ms or 0)
    ceiling = f"{cores * 1000 / cpu_ms:,.0f}"
    verdict = "meets" if rate >= TARGET_PER_SECOND else "BELOW"
    print()
    print(
        f"Money benchmark: PostgreSQL database {args.database}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    print(f"{'measure':<52} {'value':>14}")
    print("-" * 67)
    lines = [
        ("bookings released and paid out", f"{run['items']:,}"),
        ("worker processes" + (" (django-q2 workers)" if args.jobs == "cluster" else ""), f"{run['workers']}"),
        ("jobs run", {"direct": "directly", "django-q": "by django-q2 (sync)", "cluster": "by a qcluster"}[args.jobs]),
        ("wall time, s", f"{run['seconds']:.1f}"),
        ("bookings/s (release + payout)", f"{rate:,.0f}"),
        (f"target {TARGET_PER_SECOND}/s", verdict),
        ("task outcomes", ", ".join(f"{k} {v:,}" for k, v in sorted(run["outcomes"].items()))),
        (
            "baseline: 1-row INSERT commits/s, before/after",
            " / ".join(f"{rate:,.0f}" for rate in run["baseline_commits_per_second"]),
        ),
        ("bookings/s as a share of baseline commits/s", f"{run['ratio_to_baseline']:.3f}"),
        ("CPU ms per booking: worker processes", f"{run['cpu_ms_per_item']:.2f}"),
        ("CPU ms per booking: their PostgreSQL backends", backend_cpu),
        (f"bookings/s the {cores} cores allow at that CPU cost", ceiling),
        ("PostgreSQL transactions per booking (this database)", f"{per_booking['commits']:.1f}"),
        ("bulk set-up of the bookings, s", f"{built:.1f}"),
    ]
    if args.jobs == "cluster":
        lines += [
            ("cluster: every payout succeeded after, s", f"{run['paid_seconds']:.1f}"),
            ("cluster: broker queue empty after, s", f"{run['queue_empty_seconds']:.1f}"),
            ("cluster: queueing the jobs (before the clock), s", f"{run['queued_seconds']:.1f}"),
            ("cluster: CPU cores used (its processes / PG / all)", run["cores_text"]),
            ("cluster: failed jobs", f"{run['failures']}"),
            ("cluster: django-q2 save_limit", f"{run['save_limit']}"),
            (
                "cluster: processes, RSS / PSS MiB, PG connections",
                f"{run['processes']}, {run['memory_mib']['rss']} / {run['memory_mib']['pss']}, "
                f"{run['postgres_connections']}",
            ),
        ]
    for name, value in lines:
        print(f"{name:<52} {value:>14}")
    print()
    header = f"{'check':<44} {'expected':>16} {'found':>16}  ok"
    print(header)
    print("-" * len(header))
    for check, expected, found, ok in checks:
        print(f"{check:<44} {expected:>16} {found:>16}  {'yes' if ok else 'NO'}")
    clean = reconciled["finding_count"] == 0
    print(
        f"{'reconcile: ledger against gateway':<44} {'no differences':>16} "
        f"{'none' if clean else str(reconciled['finding_count']) + ' found':>16}  {'yes' if clean else 'NO'}"
    )
    print(
        f"    ({reconciled['objects']:,} gateway objects and {reconciled['postings']:,} postings "
        f"checked in {reconciled['seconds']:.1f} s)"
    )
    for finding in reconciled["findings"]:
        print(f"    {finding}")
    if profiled:
        print()
        print(f"One batch on its own ({profiled['bookings']} bookings, one process), per booking:")
        for part, title in (
            ("release", "escrow_release_due (one batch)"),
            ("payout", f"payouts_execute ({profiled['jobs']['payouts_execute']} jobs)"),
        ):
            numbers, n = profiled[part], profiled["bookings"]
            print(
                f"  {title}: {numbers['queries']:.2f} queries, {numbers['write_commits']:.2f} commits that "
                f"write, {numbers['ms']:.2f} ms (of which {numbers['db_ms']:.2f} ms waiting for PostgreSQL); "
                f"for all {n}: {numbers['queries'] * n:.0f} queries, {numbers['write_commits'] * n:.0f} commits"
            )
            for kind, figures in numbers["statements"].items():
                print(f"    {figures['count'] * n:6.0f} x  {kind:<48} {figures['ms']:6.3f} ms per booking")
    failed = [check for check, _, _, ok in checks if not ok] + ([] if clean else ["reconcile"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "run": run,
                "per_booking": per_booking,
                "checks": [{"check": c, "expected": e, "found": f, "ok": ok} for c, e, f, ok in checks],
                "reconcile": reconciled,
                "profile": profiled,
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
    if failed:
        sys.exit(f"The books do not balance: {', '.join(failed)}")


if __name__ == "__main__":
    main()
