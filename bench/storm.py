"""Booking storm: many customers at once asking for one organizer's few slots, on the app served as in production.

    python3 dev.py bench storm                 (make bench-storm)
    python3 dev.py bench storm --help          options: clients, requests, slots, workers, keep the database

What it does, in well under two minutes:

1. Creates a fresh database, tidynest_bench_storm, on the PostgreSQL server DATABASE_URL names
   (else 127.0.0.1:5432 as postgres), migrates it, and makes through the domain services one
   verified organizer (UTC, open 09:00-19:00 every day, a 60-minute slot step) with a one-hour
   fixed-price service, so the five days from the day after tomorrow hold exactly --slots (50)
   slots; and --clients (32) customers, each signed in beforehand (a JWT access token each).
2. Starts gunicorn as bench/run.py does (site/gunicorn.conf.py, production settings, 2 sync
   workers, on 127.0.0.1 only; the rate limits lifted so the storm measures the booking, not 429s),
   and measures GET /api/v1/health from as many clients first (2,000 requests, at most 10 s): the
   storm's req/s is reported as a ratio to it, since the machine is noisy.
3. --clients threads send --requests (500) POST /api/v1/bookings between them, as fast as the
   server answers, each request for one of the 50 slots (every slot asked for the same number of
   times, in a shuffled order) with its own Idempotency-Key. Every request has a 30-second
   timeout and the storm stops issuing at --cap seconds (60).
4. Checks, and prints: exactly one 201 per slot (50 bookings), and 50 active bookings in the
   database; no two of the organizer's active bookings overlap (a self-join on
   tstzrange(busy_from, busy_until) && in SQL); no 5xx and no connection errors; every other
   answer a 4xx with the API's error body (a code and a sentence in ``detail``). Exit 1 when a
   check fails.

The database is dropped at the end (--keep keeps it). Results go to bench/results/storm.json
(not committed: the figures belong to the machine).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_database, recreate_database, server_url, verified_organizer  # noqa: E402
from bench.run import (  # noqa: E402
    HOST,
    VAR,
    Target,
    free_port,
    percentile,
    run_python,
    server_environment,
    start_server,
    stop_server,
    wait_until_up,
)

DATABASE = "tidynest_bench_storm"
RESULTS = ROOT / "bench" / "results" / "storm.json"
PASSWORD = "bench-tidy-nest-2026!"
OPEN_FROM, OPEN_UNTIL = clock(9), clock(19)  # ten one-hour slots a day
SLOT_MINUTES = 60


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 dev.py bench storm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients, one customer each (default 32)")
    parser.add_argument("--requests", type=int, default=500, help="booking requests in all (default 500)")
    parser.add_argument("--slots", type=int, default=50, help="slots asked for, a multiple of 10 (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2, as in production)")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds at most for the storm (default 60)")
    parser.add_argument("--port", type=int, default=None, help="port for gunicorn (default: first free in 8300-8399)")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} after the run")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    args = parser.parse_args()
    if args.slots % 10 or args.slots <= 0:
        parser.error("--slots must be a positive multiple of 10 (ten slots a day)")
    return args


# --- The data (in this process, on the benchmark database) ---------------------------------------


def make_data(clients: int, slots: int) -> dict:
    """The organizer, their service and slots, and ``clients`` signed-in customers."""
    from marketplace.accounts.models import Role, User
    from marketplace.accounts.services import user_register
    from marketplace.accounts.tokens import api_session_start
    from marketplace.availability.services import WeeklyWindow, availability_rules_replace, booking_rules_update
    from marketplace.bookings.selectors import service_slots
    from marketplace.catalog.models import Category
    from marketplace.catalog.services import service_create

    admin = User.objects.create_user(
        email="bench-admin@bench.test", password=PASSWORD, role=Role.ADMIN, is_staff=True, full_name="Bench Admin"
    )
    category = Category.objects.create(name="Home organizing", slug="home-organizing")
    user, vendor = verified_organizer(admin=admin, number=1, password=PASSWORD)
    availability_rules_replace(
        vendor=vendor,
        windows=[WeeklyWindow(weekday=day, start_time=OPEN_FROM, end_time=OPEN_UNTIL) for day in range(7)],
    )
    vendor = booking_rules_update(vendor=vendor, slot_step_minutes=SLOT_MINUTES, daily_cap=0)
    service = service_create(
        user=user,
        category_id=category.pk,
        title="Closet reset",
        summary="A calm, practical session with a professional organizer.",
        pricing_model="fixed",
        base_price_minor=12000,
        duration_minutes=SLOT_MINUTES,
    )
    first_day = datetime.now(UTC).date() + timedelta(days=2)
    offered = service_slots(
        service=service, first_day=first_day, last_day=first_day + timedelta(days=slots // 10 - 1), time_zone="UTC"
    ).slots
    if len(offered) != slots:
        sys.exit(f"The organizer offers {len(offered)} slots in those days, not {slots}.")
    tokens = []
    for n in range(clients):
        customer = user_register(
            email=f"customer-{n}@bench.test", password=PASSWORD, role="customer", full_name=f"Customer {n}"
        )
        tokens.append(api_session_start(user=customer).access)
    return {
        "vendor_id": vendor.pk,
        "service_id": service.pk,
        "slots": [slot.isoformat() for slot in offered],
        "tokens": tokens,
    }


def check_database(vendor_id: int) -> dict:
    """Active bookings of the organizer, and the pairs of them that overlap, counted in SQL."""
    from django.db import connection

    from marketplace.bookings.models import ACTIVE_STATUSES

    statuses = [str(status) for status in ACTIVE_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT starts_at) FROM bookings_booking "
            "WHERE vendor_id = %s AND status = ANY(%s)",
            [vendor_id, statuses],
        )
        active, distinct_starts = cursor.fetchone()
        cursor.execute(
            """
            SELECT count(*)
            FROM bookings_booking a
            JOIN bookings_booking b
              ON b.vendor_id = a.vendor_id AND a.id < b.id
             AND tstzrange(a.busy_from, a.busy_until) && tstzrange(b.busy_from, b.busy_until)
            WHERE a.vendor_id = %s AND a.status = ANY(%s) AND b.status = ANY(%s)
            """,
            [vendor_id, statuses, statuses],
        )
        (overlapping,) = cursor.fetchone()
    return {"active_bookings": active, "distinct_starts": distinct_starts, "overlapping_pairs": overlapping}


# --- The storm ------------------------------------------------------------------------------------


def storm(port: int, data: dict, *, clients: int, requests: int, cap: float) -> dict:
    """``clients`` threads, one customer and one keep-alive connection each, share ``requests`` bookings."""
    slots = data["slots"]
    plan = [slots[k % len(slots)] for k in range(requests)]
    random.Random(2026).shuffle(plan)
    lock = threading.Lock()
    issued = 0
    answers: list[tuple[int, str, str, float]] = []  # status, slot, body (cut), seconds
    socket_errors: list[str] = []
    barrier = threading.Barrier(clients)
    started = time.perf_counter()
    deadline = started + cap

    def client(index: int) -> None:
        nonlocal issued
        token = data["tokens"][index]
        connection: http.client.HTTPConnection | None = None
        mine, errors = [], []
        barrier.wait(timeout=30)
        while True:
            with lock:
                if issued >= requests or time.perf_counter() >= deadline:
                    break
                k = issued
                issued += 1
            body = json.dumps(
                {"service_id": data["service_id"], "starts_at": plan[k], "address": "1 Storm Street, Brooklyn, NY"}
            )
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"storm-{k}",
            }
            began = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=30)
                connection.request("POST", "/api/v1/bookings", body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__}: {error}")
                if connection is not None:
                    connection.close()
                connection = None
                continue
            mine.append((response.status, plan[k], content.decode(errors="replace")[:500], time.perf_counter() - began))
        if connection is not None:
            connection.close()
        with lock:
            answers.extend(mine)
            socket_errors.extend(errors)

    threads = [threading.Thread(target=client, args=(index,), name=f"storm-{index}") for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=cap + 60)
    if any(thread.is_alive() for thread in threads):
        sys.exit("A storm client did not finish in time.")
    return {"answers": answers, "socket_errors": socket_errors, "seconds": time.perf_counter() - started}


def judge(run: dict, database: dict, slots: int) -> tuple[list[tuple[str, str, bool]], dict]:
    answers = run["answers"]
    statuses = Counter(status for status, *_ in answers)
    created_slots = Counter(slot for status, slot, *_ in answers if status == 201)
    unclear, codes = [], Counter()
    for status, _slot, body, _seconds in answers:
        if status == 201:
            continue
        try:
            error = json.loads(body)
            clear = 400 <= status < 500 and bool(str(error.get("detail", "")).strip()) and bool(error.get("code"))
            codes[f"{status} {error.get('code')}"] += 1
        except (ValueError, AttributeError):
            clear = False
        if not clear:
            unclear.append((status, body[:200]))
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    overlaps = database["overlapping_pairs"]
    checks = [
        ("201 Created answers", f"{statuses[201]} (expected {slots})", statuses[201] == slots),
        ("slots booked once each", f"{len(created_slots)} of {slots}", len(created_slots) == slots),
        (
            "active bookings in the database",
            f"{database['active_bookings']} ({database['distinct_starts']} distinct starts)",
            database["active_bookings"] == slots and database["distinct_starts"] == slots,
        ),
        ("overlapping pairs (SQL, tstzrange &&)", str(overlaps), overlaps == 0),
        ("5xx answers", str(server_errors), server_errors == 0),
        ("connection errors", str(len(run["socket_errors"])), not run["socket_errors"]),
        ("other answers that are not a 4xx with code and detail", str(len(unclear)), not unclear),
        ("requests answered", str(len(answers)), True),
    ]
    extra = {
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "refusals": dict(codes.most_common()),
        "unclear": unclear[:10],
        "socket_errors": run["socket_errors"][:10],
    }
    return checks, extra


def main() -> None:
    args = parse_args()
    began = time.monotonic()
    VAR.mkdir(exist_ok=True)
    server = server_url()
    parts = urlsplit(server)
    say(f"Creating the database {DATABASE} on PostgreSQL {parts.hostname}:{parts.port or 5432}")
    database_url = recreate_database(server, DATABASE)
    port = free_port(args.port)
    env = server_environment(database_url, port)
    env["WEB_CONCURRENCY"] = str(args.workers)
    for name in ("REDIS_URL", "OPENSEARCH_URL"):
        env.pop(name, None)
    os.environ.update(env)
    for name in ("REDIS_URL", "OPENSEARCH_URL"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        say(f"Making one organizer with {args.slots} one-hour slots and {args.clients} signed-in customers")
        data = make_data(args.clients, args.slots)
        connections.close_all()
        log_path = VAR / "bench-storm-server.log"
        with open(log_path, "wb") as server_log:
            say(f"Starting gunicorn ({args.workers} sync workers, production settings) on http://{HOST}:{port}")
            gunicorn = start_server(env, server_log)
            try:
                wait_until_up(port, gunicorn)
                say(f"Health baseline: GET /api/v1/health from {args.clients} clients (at most 10 s)")
                health = run_python(
                    port,
                    Target("health", "GET", "/api/v1/health", 2000),
                    cap=10.0,
                    connections=args.clients,
                    booking=None,
                    offset=0,
                )
                say(
                    f"Storm: {args.clients} clients, {args.requests} POST /api/v1/bookings at {args.slots} slots "
                    f"(at most {args.cap:.0f} s)"
                )
                run = storm(port, data, clients=args.clients, requests=args.requests, cap=args.cap)
                run["health_rps"], run["health_p50_ms"] = health.rps, health.p50_ms
            finally:
                stop_server(gunicorn)
        database = check_database(data["vendor_id"])
    finally:
        if not args.keep:
            drop_database(server, DATABASE)
    checks, extra = judge(run, database, args.slots)
    report(args, run, database, checks, extra, time.monotonic() - began)


def report(args, run: dict, database: dict, checks, extra: dict, elapsed: float) -> None:
    latencies = [seconds * 1000 for *_, seconds in run["answers"]]
    created = [seconds * 1000 for status, _slot, _body, seconds in run["answers"] if status == 201]
    print()
    print(
        f"Booking storm: PostgreSQL database {DATABASE}, gunicorn {args.workers} sync workers, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}; {args.clients} clients, {len(run['answers'])} answers in "
        f"{run['seconds']:.1f} s ({len(run['answers']) / run['seconds']:.0f} req/s)"
    )
    rps = len(run["answers"]) / run["seconds"]
    print(
        f"health baseline, same clients and server: {run['health_rps']:.0f} req/s, p50 {run['health_p50_ms']:.0f} ms; "
        f"the storm's req/s is {rps / run['health_rps']:.3f} x health's"
    )
    if latencies:
        print(
            f"latency ms: p50 {statistics.median(latencies):.0f}, p95 {percentile(latencies, 95):.0f}, "
            f"max {max(latencies):.0f}; of the 201s, p50 {statistics.median(created) if created else 0:.0f}"
        )
    print(f"statuses: {extra['statuses']}; refusals: {extra['refusals']}")
    print(f"{'check':<58} {'found':>24}  ok")
    print("-" * 88)
    for name, found, ok in checks:
        print(f"{name:<58} {found:>24}  {'yes' if ok else 'NO'}")
    for status, body in extra["unclear"]:
        print(f"    unclear answer {status}: {body}")
    for error in extra["socket_errors"]:
        print(f"    connection error: {error}")
    failed = [name for name, _found, ok in checks if not ok]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "clients": args.clients,
                "requests": args.requests,
                "slots": args.slots,
                "gunicorn_workers": args.workers,
                "seconds": round(run["seconds"], 2),
                "health_rps": round(run["health_rps"], 1),
                "rps_ratio_to_health": round(len(run["answers"]) / run["seconds"] / run["health_rps"], 4),
                "answers": len(run["answers"]),
                "p50_ms": statistics.median(latencies) if latencies else None,
                "p95_ms": percentile(latencies, 95) if latencies else None,
                "database": database,
                **extra,
                "checks": [{"check": name, "found": found, "ok": ok} for name, found, ok in checks],
                "elapsed_seconds": round(elapsed, 1),
            },
            indent=2,
        )
        + "\n"
    )
    shown = args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json
    print(f"\nResults written to {shown}; whole run {elapsed:.0f} s.")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
