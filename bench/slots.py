"""Benchmark: the slot engine (``bookings.selectors.service_slots``) for a busy organizer, on PostgreSQL.

    python3 dev.py bench slots                 (make bench-slots)
    python3 dev.py bench slots --help          options: rounds, profile, keep the database

What it does, in under a minute on this project's 2-core machines:

1. Creates a fresh database, tidynest_bench_slots, on the PostgreSQL server DATABASE_URL names
   (else 127.0.0.1:5432 as postgres), migrates it, and makes one organizer through the domain
   services: in America/New_York, open every day 08:00-20:00, a 30-minute slot step, 15-minute
   buffers before and after each job, 2 hours' notice, a 90-day horizon, no daily cap; a
   2-hour fixed-price service, and a few customers.
2. Gives them BOOKINGS (200) active bookings over the next DAYS (60) days, requested and
   confirmed, 1 to 2 hours long with their buffers (one of four starts a day: 08:00, 11:00,
   14:00, 17:00, so none overlaps another), plus 40 cancelled ones that must not count; and
   three imported calendars whose busy times are worked out of iCalendar files by the
   parser the calendar refresh uses (``calendar_parse.busy_ranges_from_ics``) and stored as
   the refresh stores them: a work calendar of weekly and daily repeating meetings (RRULE,
   with an EXDATE and a moved occurrence), a family calendar (school runs on weekdays, a
   two-day all-day trip, a few one-offs, a cancelled and a "free" event that must not
   block), and a busy Outlook calendar of one-off appointments.
3. Times, in this process with production settings (DEBUG off), ``service_slots`` for a
   60-day and a 7-day window, and GET /api/v1/health through Django's test client, side by
   side, alternating, --rounds times each after a warm-up. Reports the median and p95 of
   each in ms, the queries per call, and each median as a ratio to health's median measured
   in the same run (the machine is noisy: compare ratios). The issue's target: a median of at
   most TARGET_MS (5 ms) for the 60-day window. --profile adds cProfile's top functions of
   the 60-day call.

The database is dropped at the end (--keep keeps it). Results go to bench/results/slots.json
(not committed: the figures belong to the machine).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_database, recreate_database, server_url, verified_organizer  # noqa: E402

DATABASE = "tidynest_bench_slots"
RESULTS = ROOT / "bench" / "results" / "slots.json"
PASSWORD = "bench-tidy-nest-2026!"
ZONE = "America/New_York"
DAYS = 60
BOOKINGS = 200
CANCELLED = 40
TARGET_MS = 5.0
JOB_STARTS = (clock(8, 0), clock(11, 0), clock(14, 0), clock(17, 0))  # 3 hours apart: a job + buffers fits


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 dev.py bench slots", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="timed calls of each (default 200)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of the 60-day call")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} after the run")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    return parser.parse_args()


# --- The data ---------------------------------------------------------------------------------


def make_organizer():
    """The organizer (verified, in New York, open 08:00-20:00 every day, with rules), their service, customers."""
    from marketplace.accounts.models import Role, User
    from marketplace.accounts.services import user_register
    from marketplace.availability.services import WeeklyWindow, availability_rules_replace, booking_rules_update
    from marketplace.catalog.models import Category
    from marketplace.catalog.services import service_create
    from marketplace.vendors.models import Vendor

    admin = User.objects.create_user(
        email="bench-admin@bench.test", password=PASSWORD, role=Role.ADMIN, is_staff=True, full_name="Bench Admin"
    )
    category = Category.objects.create(name="Home organizing", slug="home-organizing")
    user, vendor = verified_organizer(admin=admin, number=1, password=PASSWORD)
    Vendor.objects.filter(pk=vendor.pk).update(time_zone=ZONE)
    vendor.refresh_from_db()
    availability_rules_replace(
        vendor=vendor, windows=[WeeklyWindow(weekday=day, start_time=clock(8), end_time=clock(20)) for day in range(7)]
    )
    vendor = booking_rules_update(
        vendor=vendor,
        slot_step_minutes=30,
        buffer_before_minutes=15,
        buffer_after_minutes=15,
        min_notice_minutes=120,
        horizon_days=90,
        daily_cap=0,
    )
    service = service_create(
        user=user,
        category_id=category.pk,
        title="Closet reset",
        summary="A calm, practical session with a professional organizer.",
        pricing_model="fixed",
        base_price_minor=24000,
        duration_minutes=120,
    )
    customers = [
        user_register(email=f"customer-{n}@bench.test", password=PASSWORD, role="customer", full_name=f"Customer {n}")
        for n in range(5)
    ]
    return vendor, service, customers


def make_bookings(*, vendor, service, customers, now, seed: int = 2026) -> int:
    """BOOKINGS active bookings (and CANCELLED closed ones) over the next DAYS local days, in bulk."""
    from marketplace.bookings.models import Booking, BookingStatus, new_booking_reference

    rng = random.Random(seed)
    zone = ZoneInfo(vendor.time_zone)
    today = now.astimezone(zone).date()
    # From tomorrow on: today's remaining starts depend on the hour the benchmark runs.
    places = [(today + timedelta(days=d), start) for d in range(1, DAYS + 1) for start in JOB_STARTS]
    chosen = rng.sample(places, BOOKINGS)
    buffer_before = timedelta(minutes=vendor.buffer_before_minutes)
    buffer_after = timedelta(minutes=vendor.buffer_after_minutes)
    rows = []
    for k, (day, start) in enumerate(chosen + rng.sample(places, CANCELLED)):
        starts_at = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
        ends_at = starts_at + timedelta(minutes=rng.choice((60, 90, 120)))
        active = k < BOOKINGS
        rows.append(
            Booking(
                reference=new_booking_reference(),
                customer=customers[k % len(customers)],
                vendor=vendor,
                service=service,
                status=(BookingStatus.CONFIRMED if k % 3 else BookingStatus.REQUESTED)
                if active
                else BookingStatus.CANCELLED,
                starts_at=starts_at,
                ends_at=ends_at,
                busy_from=starts_at - buffer_before,
                busy_until=ends_at + buffer_after,
                price_minor=service.base_price_minor,
                currency=service.currency,
                address="1 Benchmark Way, Brooklyn, NY",
                closed_at=None if active else now,
            )
        )
    Booking.objects.bulk_create(rows)
    return len(rows)


def _ics(events: list[str], name: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tidy Nest bench//EN", f"X-WR-CALNAME:{name}"]
    lines += [f"X-WR-TIMEZONE:{ZONE}", *events, "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def _event(uid: str, start: datetime | str, end: datetime | str, *extra: str) -> str:
    def stamp(value: datetime | str, name: str) -> str:
        if isinstance(value, str):  # an all-day date, YYYYMMDD
            return f"{name};VALUE=DATE:{value}"
        return f"{name};TZID={ZONE}:{value:%Y%m%dT%H%M%S}"

    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", stamp(start, "DTSTART"), stamp(end, "DTEND")]
        + list(extra)
        + ["END:VEVENT"]
    )


def calendar_files(now: datetime, seed: int = 7) -> dict[str, bytes]:
    """Three organizers' calendars, as iCalendar files: repeating meetings, a family diary, one-off appointments."""
    rng = random.Random(seed)
    zone = ZoneInfo(ZONE)
    today = now.astimezone(zone).date()

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(today + timedelta(days=days), clock(hour, minute))

    first_monday = (7 - today.weekday()) % 7 or 7
    work = [
        # Team call every Monday 09:00-10:00, one skipped, for 12 weeks.
        _event(
            "team@work",
            at(first_monday, 9),
            at(first_monday, 10),
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12",
            f"EXDATE;TZID={ZONE}:{at(first_monday + 14, 9):%Y%m%dT%H%M%S}",
        ),
        # The second call moved to the afternoon (a RECURRENCE-ID override).
        _event(
            "team@work",
            at(first_monday + 7, 16),
            at(first_monday + 7, 17),
            f"RECURRENCE-ID;TZID={ZONE}:{at(first_monday + 7, 9):%Y%m%dT%H%M%S}",
        ),
        # A short stand-up every weekday, 12:30-12:45, with no end.
        _event("standup@work", at(1, 12, 30), at(1, 12, 45), "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
        # A client review every other Thursday afternoon.
        _event("review@work", at(2, 15), at(2, 16, 30), "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"),
    ]
    family = [
        # School run on weekdays, 15:00-15:45, until the end of the window.
        _event(
            "school@family",
            at(1, 15),
            at(1, 15, 45),
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=" + f"{at(DAYS + 2, 0):%Y%m%d}T000000Z",
        ),
        # A two-day trip: all day.
        _event("trip@family", f"{today + timedelta(days=20):%Y%m%d}", f"{today + timedelta(days=22):%Y%m%d}"),
        # A cancelled dinner and a "free" reminder: they do not block.
        _event("dinner@family", at(5, 18), at(5, 20), "STATUS:CANCELLED"),
        _event("reminder@family", at(6, 9), at(6, 10), "TRANSP:TRANSPARENT"),
    ]
    for n in range(10):
        day, hour = rng.randrange(1, DAYS), rng.choice((9, 10, 13, 16, 18))
        family.append(_event(f"errand-{n}@family", at(day, hour), at(day, hour, 45)))
    outlook = []
    for n in range(120):
        day, hour, minute = rng.randrange(0, DAYS), rng.randrange(7, 20), rng.choice((0, 15, 30, 45))
        length = rng.choice((30, 45, 60, 90))
        start = at(day, hour, minute)
        busy = rng.choice(("", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE"))
        outlook.append(_event(f"appt-{n}@outlook", start, start + timedelta(minutes=length), *([busy] if busy else [])))
    return {
        "Work (Google)": _ics(work, "Work"),
        "Family (Apple)": _ics(family, "Family"),
        "Appointments (Outlook)": _ics(outlook, "Appointments"),
    }


def make_calendars(*, vendor, now) -> dict[str, int]:
    """The three calendars, read as the refresh reads them (good read, busy times stored): rows per calendar."""
    import hashlib

    from marketplace.availability.calendar_parse import busy_ranges_from_ics
    from marketplace.availability.limits import MAX_HORIZON_DAYS
    from marketplace.availability.models import BusyTime, ExternalCalendar

    counts = {}
    for n, (name, data) in enumerate(calendar_files(now).items()):
        url = f"https://calendar.example.com/private-{n}/basic.ics"
        calendar = ExternalCalendar.objects.create(
            vendor=vendor,
            name=name,
            url=url,
            url_digest=hashlib.sha256(url.encode()).hexdigest(),
            refresh_minutes=30,
            next_fetch_at=now + timedelta(minutes=30),
            last_fetched_at=now,
            last_good_at=now,
            parsed_at=now,
        )
        ranges = busy_ranges_from_ics(
            data, time_zone=vendor.time_zone, start=now - timedelta(days=1), end=now + timedelta(days=MAX_HORIZON_DAYS)
        )
        BusyTime.objects.bulk_create(
            BusyTime(calendar=calendar, vendor=vendor, starts_at=start, ends_at=end) for start, end in ranges
        )
        counts[name] = len(ranges)
    return counts


# --- The timed run ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def time_calls(service, rounds: int) -> dict:
    """Health (test client), 60-day and 7-day ``service_slots``, alternating, ``rounds`` times each after a warm-up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from marketplace.bookings.selectors import service_slots

    client = Client()
    today = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()
    calls = {
        "health": lambda: client.get("/api/v1/health"),
        "slots_60_days": lambda: service_slots(
            service=service, first_day=today, last_day=today + timedelta(days=DAYS - 1)
        ),
        "slots_7_days": lambda: service_slots(service=service, first_day=today, last_day=today + timedelta(days=6)),
    }
    for _ in range(5):  # warm-up: connections open, code paths imported, caches filled
        assert calls["health"]().status_code == 200
        calls["slots_60_days"]()
        calls["slots_7_days"]()
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - started) * 1000)
    queries, sizes = {}, {}
    for name in ("slots_60_days", "slots_7_days"):
        with CaptureQueriesContext(connection) as captured:
            found = calls[name]()
        queries[name] = len(captured.captured_queries)
        sizes[name] = len(found.slots)
    return {"timings": timings, "queries": queries, "slots": sizes, "first_day": today.isoformat()}


def profile_call(service, top: int = 25) -> str:
    from marketplace.bookings.selectors import service_slots

    today = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        service_slots(service=service, first_day=today, last_day=today + timedelta(days=DAYS - 1))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    args = parse_args()
    began = time.monotonic()
    server = server_url()
    parts = urlsplit(server)
    say(f"Creating the database {DATABASE} on PostgreSQL {parts.hostname}:{parts.port or 5432}")
    database_url = recreate_database(server, DATABASE)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.dashboard_settings"  # production's, for an in-process client
    for name in ("REDIS_URL", "OPENSEARCH_URL"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    profiled = ""
    try:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        now = timezone.now()
        say(f"Making one organizer ({ZONE}, open 08:00-20:00 daily) with {BOOKINGS} bookings and 3 calendars")
        vendor, service, customers = make_organizer()
        made = make_bookings(vendor=vendor, service=service, customers=customers, now=now)
        busy = make_calendars(vendor=vendor, now=now)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        say(f"Timing service_slots (60 and 7 days) and GET /api/v1/health, {args.rounds} calls each, alternating")
        measured = time_calls(service, args.rounds)
        if args.profile:
            profiled = profile_call(service)
    finally:
        if not args.keep:
            drop_database(server, DATABASE)
    report(args, measured, made, busy, profiled, time.monotonic() - began)


def report(args, measured: dict, made: int, busy: dict, profiled: str, elapsed: float) -> None:
    timings = measured["timings"]
    health = statistics.median(timings["health"])
    rows = {}
    for name in ("health", "slots_60_days", "slots_7_days"):
        median = statistics.median(timings[name])
        rows[name] = {
            "median_ms": round(median, 3),
            "p95_ms": round(percentile(timings[name], 95), 3),
            "ratio_to_health_median": round(median / health, 3),
        }
    print()
    print(
        f"Slots benchmark: PostgreSQL database {DATABASE}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
        f"{BOOKINGS} active + {made - BOOKINGS} cancelled bookings, busy times {sum(busy.values())} "
        f"({', '.join(f'{name}: {count}' for name, count in busy.items())})"
    )
    header = f"{'call':<44} {'median ms':>10} {'p95 ms':>8} {'x health':>9} {'queries':>8} {'slots':>6}"
    print(header)
    print("-" * len(header))
    labels = {
        "health": "GET /api/v1/health (test client)",
        "slots_60_days": f"service_slots, {DAYS} days",
        "slots_7_days": "service_slots, 7 days",
    }
    for name, row in rows.items():
        print(
            f"{labels[name]:<44} {row['median_ms']:>10.2f} {row['p95_ms']:>8.2f} {row['ratio_to_health_median']:>9.2f} "
            f"{measured['queries'].get(name, ''):>8} {measured['slots'].get(name, ''):>6}"
        )
    sixty = rows["slots_60_days"]["median_ms"]
    verdict = "within" if sixty <= TARGET_MS else "ABOVE"
    print(f"\n60-day median {sixty:.2f} ms: {verdict} the target of {TARGET_MS:.0f} ms ({args.rounds} calls each).")
    if profiled:
        print("\ncProfile of 50 calls of the 60-day window (cumulative):")
        print(profiled)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "bookings_active": BOOKINGS,
                "bookings_cancelled": made - BOOKINGS,
                "busy_times": busy,
                "rounds": args.rounds,
                "target_median_ms_60_days": TARGET_MS,
                "results": rows,
                "queries": measured["queries"],
                "slots": measured["slots"],
                "timings_ms": timings,
                "elapsed_seconds": round(elapsed, 1),
            },
            indent=2,
        )
        + "\n"
    )
    shown = args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json
    print(f"Results written to {shown}; whole run {elapsed:.0f} s.")


if __name__ == "__main__":
    main()
