"""Scale-out benchmark: the API on PostgreSQL and Redis with 1, 2 and 4 gunicorn processes.

    python3 dev.py bench scale              (under six minutes; needs wrk: apt-get install -y wrk)
    python3 dev.py bench scale --help       options: worker counts, request counts, connections

What it does:

1. Prepares a fresh database as `python3 dev.py bench` does (bench/run.py, prepare_data):
   <name>_bench on the PostgreSQL server of --database-url (default scale_web_bench on
   127.0.0.1:5432), migrated, with the demo data and bench/dataset.py's accounts. Redis
   (--redis-url, default database 13 on 127.0.0.1:6379, emptied first) is the cache, the
   rate-limit counters and the job broker, as in production (marketplace/settings/base.py).
2. For each worker count (1, 2, 4), starts gunicorn with site/gunicorn.conf.py and
   WEB_CONCURRENCY set to it, warms every worker up, then measures one after the other:
   GET /api/v1/health, the READ MIX, health, the BOOKING MIX, health. Each mix is a
   schedule of requests weighted like the marketplace's traffic (read_mix, booking_mix)
   that wrk.lua takes in turn; every booking request asks for a distinct free slot with its
   own Idempotency-Key, so it should answer 201. Each measurement stops after a number of
   requests or --cap seconds, whichever comes first.
3. Records for each measurement: req/s, latency percentiles, answers that are not 2xx, the
   ratio to the health runs just before and after, the ratio to the same mix with one worker,
   and what the machine did meanwhile: CPU cores used by the gunicorn workers, by this
   database's PostgreSQL backends, by wrk, and by everything else (other people's work on a
   shared machine); PostgreSQL's connections to the database (most seen, mean active) and
   transactions committed per request. After each worker count: memory of each worker
   (RSS and PSS) and the Redis connections on the benchmark's Redis database.

The table goes to the terminal; everything to bench/results/scale.json (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import child_pids, cores, cpu_of, cpu_spent, machine_busy_seconds, memory_kib  # noqa: E402
from bench.run import (  # noqa: E402
    RESULTS,
    VAR,
    Booking,
    Measurement,
    Target,
    drop_database,
    free_port,
    prepare_data,
    prepare_database,
    request_once,
    run_wrk,
    say,
    server_environment,
    start_server,
    stop_server,
    wait_until_up,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scale_web"  # the run uses scale_web_bench
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
BUDGET_SECONDS = 330  # preparation included; a worker count that would start after BUDGET - 50 s is skipped
SEARCH_QUERIES = ("closet", "garage", "pantry", "kitchen")
READER_BOOKINGS = 3


# --- The mixes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MixEntry:
    """One kind of request in a mix: a GET of ``path`` (as the reader customer when ``auth``), or a booking."""

    name: str
    weight: int
    path: str = ""
    auth: bool = False
    book: bool = False


def spread(name: str, weight: int, paths: list[str], *, auth: bool = False) -> list[MixEntry]:
    """``weight`` shared as evenly as whole numbers allow among ``paths`` (the first ones get the remainder)."""
    if not paths:
        return []
    share, extra = divmod(weight, len(paths))
    return [
        MixEntry(name, share + (1 if index < extra else 0), path, auth)
        for index, path in enumerate(paths)
        if share + (1 if index < extra else 0) > 0
    ]


def read_mix(dataset: dict, reader_booking_ids: list[int]) -> list[MixEntry]:
    """Browsing as the marketplace sees it: mostly search and service pages, some profiles and reviews,
    and a signed-in customer looking at their bookings (percent of requests)."""
    services = dataset["read_service_ids"]
    vendors = dataset["read_vendor_ids"]
    return [
        *spread("GET search", 25, ["/api/v1/catalog/search?" + urlencode({"q": q}) for q in SEARCH_QUERIES]),
        *spread("GET service", 25, [f"/api/v1/catalog/services/{s}" for s in services]),
        *spread("GET service slots", 10, [f"/api/v1/catalog/services/{s}/slots" for s in services]),
        *spread("GET organizer", 10, [f"/api/v1/vendors/{v}" for v in vendors]),
        *spread("GET reviews", 10, [f"/api/v1/reviews?vendor_id={v}" for v in vendors]),
        MixEntry("GET categories", 5, "/api/v1/catalog/categories"),
        *spread("GET booking (customer)", 10, [f"/api/v1/bookings/{b}" for b in reader_booking_ids], auth=True),
        MixEntry("GET bookings (customer)", 5, "/api/v1/bookings", auth=True),
    ]


def booking_mix(dataset: dict, reader_booking_ids: list[int]) -> list[MixEntry]:
    """A booking rush: most requests book a distinct free slot, the rest are the reads around a booking."""
    services = dataset["read_service_ids"]
    return [
        MixEntry("POST booking", 60, book=True),
        *spread("GET service", 15, [f"/api/v1/catalog/services/{s}" for s in services]),
        *spread("GET service slots", 10, [f"/api/v1/catalog/services/{s}/slots" for s in services]),
        *spread("GET booking (customer)", 10, [f"/api/v1/bookings/{b}" for b in reader_booking_ids], auth=True),
        MixEntry("GET search", 5, "/api/v1/catalog/search?" + urlencode({"q": SEARCH_QUERIES[0]})),
    ]


def interleave(entries: list[MixEntry]) -> list[MixEntry]:
    """One cycle of the mix, ``sum(weights)`` requests long, each kind spread evenly through it.

    Smooth weighted round-robin (as nginx balances upstreams): each step every entry gains its
    weight, the largest is taken and pays back the total. A run of any length then keeps
    close to the weights, and no kind comes in a burst.
    """
    entries = [entry for entry in entries if entry.weight > 0]
    total = sum(entry.weight for entry in entries)
    current = [0] * len(entries)
    cycle = []
    for _ in range(total):
        for index, entry in enumerate(entries):
            current[index] += entry.weight
        best = max(range(len(entries)), key=lambda index: current[index])  # the first of equals
        current[best] -= total
        cycle.append(entries[best])
    return cycle


def schedule_lines(cycle: list[MixEntry]) -> list[str]:
    """The schedule file wrk.lua's "mix" mode reads: "GET<TAB>auth<TAB>path" or "BOOK", a line each."""
    return ["BOOK" if entry.book else f"GET\t{1 if entry.auth else 0}\t{entry.path}" for entry in cycle]


def shares(entries: list[MixEntry]) -> dict[str, float]:
    """Each kind's share of the requests, by name, largest first."""
    total = sum(entry.weight for entry in entries)
    by_name: dict[str, int] = {}
    for entry in entries:
        by_name[entry.name] = by_name.get(entry.name, 0) + entry.weight
    return {name: weight / total for name, weight in sorted(by_name.items(), key=lambda item: -item[1])}


# --- What the machine does meanwhile -------------------------------------------------------------


class DatabaseWatch:
    """PostgreSQL's side of one measurement: transactions, connections, the backends' CPU.

    A thread samples pg_stat_activity every 0.2 s (connections to the benchmark database,
    how many are running a statement). pg_stat_database's counters come from each backend
    at most once a second, so transactions per request are approximate over a short run.
    """

    def __init__(self, connection, database: str) -> None:
        self.connection = connection
        self.database = database
        self.samples: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _query(self, sql: str):
        with self._lock, self.connection.cursor() as cursor:
            cursor.execute(sql, {"db": self.database})
            return cursor.fetchall()

    def backends(self) -> list[int]:
        rows = self._query("SELECT pid FROM pg_stat_activity WHERE datname = %(db)s AND pid <> pg_backend_pid()")
        return [pid for (pid,) in rows]

    def counters(self) -> dict[str, int]:
        rows = self._query(
            "SELECT xact_commit, xact_rollback, tup_fetched, tup_inserted, tup_updated "
            "FROM pg_stat_database WHERE datname = %(db)s"
        )
        return dict(zip(("commits", "rollbacks", "fetched", "inserted", "updated"), rows[0], strict=True))

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            (row,) = self._query(
                "SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity "
                "WHERE datname = %(db)s AND pid <> pg_backend_pid()"
            )
            self.samples.append((row[0], row[1]))

    def start(self) -> None:
        self.samples = []
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> dict:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return connection_summary(self.samples)


def connection_summary(samples: list[tuple[int, int]]) -> dict:
    """(connections, active) samples: the most connections seen, the mean and most running a statement."""
    if not samples:
        return {"connections_max": 0, "active_mean": 0.0, "active_max": 0}
    return {
        "connections_max": max(total for total, _ in samples),
        "active_mean": sum(active for _, active in samples) / len(samples),
        "active_max": max(active for _, active in samples),
    }


def redis_clients(client) -> int:
    """Connections on the benchmark's Redis database (CLIENT LIST's db field), this one left out."""
    url_db = client.connection_pool.connection_kwargs.get("db", 0)
    own = client.client_id()
    return sum(1 for c in client.client_list() if int(c.get("db", -1)) == url_db and int(c["id"]) != own)


# --- Figures ------------------------------------------------------------------------------


def non_2xx(statuses: dict) -> int:
    return sum(count for status, count in statuses.items() if not 200 <= int(status) < 300)


def ratio(value: float, reference: float) -> float:
    return value / reference if reference else 0.0


def health_between(healths: list[dict], index: int) -> float:
    """The health baseline for the measurement between health runs ``index`` and ``index + 1``: their mean req/s."""
    return (healths[index]["rps"] + healths[index + 1]["rps"]) / 2


def cpu_ms_per_request(row: dict) -> dict[str, float]:
    """CPU milliseconds one request cost the gunicorn workers and PostgreSQL: cores used over req/s.

    Unlike req/s these hardly move when other work shares the cores (it takes cores, not
    CPU time per request), so they say where the limit is on any machine: PostgreSQL
    alone on C cores serves at most 1000 * C / pg requests a second.
    """
    return {
        "app": ratio(row["cores"]["app"] * 1000, row["rps"]),
        "postgres": ratio(row["cores"]["postgres"] * 1000, row["rps"]),
    }


def add_ratios(rounds: list[dict]) -> None:
    """Each mix's req/s against the health runs around it, and against the same mix with the fewest workers."""
    first = rounds[0] if rounds else None
    for round_ in rounds:
        for index, mix in enumerate(("read", "booking")):
            row = round_[mix]
            row["x_health"] = ratio(row["rps"], health_between(round_["health"], index))
            row["x_first"] = ratio(row["rps"], first[mix]["rps"]) if first else 0.0
            row["cpu_ms_per_request"] = cpu_ms_per_request(row)
        health = sum(h["rps"] for h in round_["health"]) / len(round_["health"])
        round_["health_rps"] = health
        round_["health_x_first"] = ratio(health, first["health_rps"]) if first else 0.0


def table(rounds: list[dict]) -> list[str]:
    """The terminal table: one line per worker count and measurement."""
    header = (
        f"{'workers':>7} {'measure':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
        f"{'non-2xx':>7} {'x health':>8} {'x 1st':>6} {'app':>5} {'pg':>5} {'wrk':>5} {'other':>5} "
        f"{'pg conn':>7} {'pg act':>6} {'xact/req':>8} {'app ms':>6} {'pg ms':>6}"
    )
    lines = [header, "-" * len(header)]
    for round_ in rounds:
        for name, row in (
            ("health", round_["health"][0]),
            ("read", round_["read"]),
            ("health", round_["health"][1]),
            ("booking", round_["booking"]),
            ("health", round_["health"][2]),
        ):
            is_mix = name != "health"
            lines.append(
                f"{round_['workers']:>7} {name:<8} {row['requests']:>8} {row['rps']:>7,.0f} {row['p50_ms']:>7.1f} "
                f"{row['p90_ms']:>7.1f} {row['p99_ms']:>7.1f} {row['non_2xx'] + row['socket_errors']:>7} "
                + (f"{row['x_health']:>8.2f} {row['x_first']:>6.2f} " if is_mix else f"{'':>8} {'':>6} ")
                + f"{row['cores']['app']:>5.2f} {row['cores']['postgres']:>5.2f} {row['cores']['wrk']:>5.2f} "
                f"{row['cores']['other']:>5.2f} {row['db']['connections_max']:>7} {row['db']['active_mean']:>6.2f} "
                f"{row['db']['commits_per_request']:>8.2f} "
                + (
                    f"{row['cpu_ms_per_request']['app']:>6.2f} {row['cpu_ms_per_request']['postgres']:>6.2f}"
                    if is_mix
                    else f"{'':>6} {'':>6}"
                )
            )
    return lines


def summary(rounds: list[dict]) -> list[str]:
    """Per worker count: the mean health and the two mixes' req/s, and what each process holds."""
    header = (
        f"{'workers':>7} {'health/s':>9} {'read/s':>7} {'book/s':>7} {'read x1':>7} {'book x1':>7} "
        f"{'RSS MiB/worker':>14} {'PSS MiB/worker':>14} {'pg conns':>8} {'redis conns':>11} "
        f"{'read ms app/pg':>14} {'book ms app/pg':>14}"
    )
    lines = [header, "-" * len(header)]
    for round_ in rounds:
        memory = round_["worker_memory_kib"]
        rss = sum(m.get("rss", 0) for m in memory) / len(memory) / 1024 if memory else 0
        pss = sum(m.get("pss", 0) for m in memory) / len(memory) / 1024 if memory else 0
        lines.append(
            f"{round_['workers']:>7} {round_['health_rps']:>9,.0f} {round_['read']['rps']:>7,.0f} "
            f"{round_['booking']['rps']:>7,.0f} {round_['read']['x_first']:>7.2f} {round_['booking']['x_first']:>7.2f} "
            f"{rss:>14.0f} {pss:>14.0f} {round_['postgres_connections']:>8} {round_['redis_connections']:>11} "
            + " ".join(
                f"{cpu['app']:>7.1f}/{cpu['postgres']:<6.1f}"
                for cpu in (round_["read"]["cpu_ms_per_request"], round_["booking"]["cpu_ms_per_request"])
            )
        )
    return lines


# --- The run ------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 dev.py bench scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="gunicorn worker counts, in turn (default 1,2,4)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8: two per worker at 4)")
    parser.add_argument("--health-requests", type=int, default=1500, help="per health run (default 1500)")
    parser.add_argument("--read-requests", type=int, default=1000, help="per read-mix run (default 1000)")
    parser.add_argument("--booking-requests", type=int, default=400, help="per booking-mix run (default 400)")
    parser.add_argument("--cap", type=float, default=8.0, help="seconds at most per measurement (default 8)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL server and base name; the run creates and drops <name>_bench (default scale_web_bench)",
    )
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS_URL, help="Redis database, emptied first (default db 13 on 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=None, help="port for gunicorn (default: first free in 8300-8399)")
    parser.add_argument("--json", type=Path, default=RESULTS / "scale.json", help="where to write the results")
    return parser.parse_args(argv)


class Slots:
    """Hands out booking numbers that no earlier request of the run has used (each a distinct free slot)."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, requests: int, connections: int) -> int:
        """The first number for a run of at most ``requests`` answers; wrk may send one more per connection."""
        first = self.next
        self.next += requests + connections + 10
        return first


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    import shutil

    if not shutil.which("wrk"):
        sys.exit("The scale-out benchmark needs wrk: apt-get install -y wrk")
    worker_counts = [int(n) for n in args.workers.split(",")]
    began = time.monotonic()
    VAR.mkdir(exist_ok=True)
    import psycopg
    import redis

    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()  # the benchmark's own Redis database: throttle counters of an earlier run out
    port = free_port(args.port)
    database_url, database = prepare_database(args.database_url)
    env = server_environment(database_url, port)
    env["REDIS_URL"] = args.redis_url
    env.pop("OPENSEARCH_URL", None)
    say(f"Preparing the benchmark database: {database}; Redis {args.redis_url}")
    demo, dataset = prepare_data(env, demo_data=True)
    print(f"    demo data: {demo}; prepared in {time.monotonic() - began:.0f} s")
    db_name = urlsplit(database_url).path.lstrip("/")
    watch_connection = psycopg.connect(database_url, autocommit=True)
    watch = DatabaseWatch(watch_connection, db_name)
    rounds: list[dict] = []
    try:
        for workers in worker_counts:
            if time.monotonic() - began > BUDGET_SECONDS - 50:
                print(f"    Time budget spent: {workers} workers not measured.")
                continue
            rounds.append(run_round(args, workers, env, port, dataset, watch, broker, first=not rounds))
    finally:
        watch_connection.close()
        drop_database(database_url)
        broker.flushdb()
    add_ratios(rounds)
    report(args, database, rounds, time.monotonic() - began)


_state: dict = {}  # what the first round sets up for the others: tokens, the reader's bookings, the slots


def run_round(args, workers: int, env: dict, port: int, dataset: dict, watch: DatabaseWatch, broker, *, first: bool):
    with open(VAR / f"bench-scale-server-{workers}.log", "wb") as server_log:
        say(f"{workers} gunicorn worker{'s' if workers > 1 else ''}: starting")
        server = start_server({**env, "WEB_CONCURRENCY": str(workers)}, server_log)
        try:
            wait_until_up(port, server)
            if first:
                _state.update(sign_in_and_book(port, dataset))
            booking, reader_token, slots = _state["booking"], _state["reader_token"], _state["slots"]
            reader_ids = _state["reader_booking_ids"]
            read_file, booking_file = VAR / "bench-scale-read.txt", VAR / "bench-scale-booking.txt"
            read_file.write_text("\n".join(schedule_lines(interleave(read_mix(dataset, reader_ids)))) + "\n")
            booking_file.write_text("\n".join(schedule_lines(interleave(booking_mix(dataset, reader_ids)))) + "\n")
            health = Target("health", "GET", "/api/v1/health", args.health_requests)
            read = Target("read", "GET", "/api/v1/health", args.read_requests, mix=read_file, reader_token=reader_token)
            book = Target("booking", "POST", "/api/v1/bookings", args.booking_requests, mix=booking_file)
            book.reader_token = reader_token

            def measure(target: Target, requests: int | None = None, *, watched: bool = True) -> dict:
                target = Target(**{**asdict(target), "requests": requests or target.requests})
                offset = slots.take(target.requests, args.connections) if target.mix else 0
                pids = child_pids(server.pid)
                backends = watch.backends()
                before_app, before_pg = cpu_of(pids), cpu_of(backends)
                before_machine, before_children = machine_busy_seconds(), os.times()
                before_db = watch.counters()
                watch.start()
                started = time.perf_counter()
                result: Measurement = run_wrk(
                    port, target, cap=args.cap, connections=args.connections, threads=1, booking=booking, offset=offset
                )
                wall = time.perf_counter() - started
                db = watch.stop()
                after_db = watch.counters()
                after_children, after_machine = os.times(), machine_busy_seconds()
                app = cpu_spent(before_app, cpu_of(pids))
                postgres = cpu_spent(before_pg, cpu_of(watch.backends()))
                load = (after_children.children_user + after_children.children_system) - (
                    before_children.children_user + before_children.children_system
                )
                machine = after_machine - before_machine
                row = asdict(result)
                row["non_2xx"] = non_2xx(result.statuses)
                row["cores"] = {
                    "app": cores(app, wall),
                    "postgres": cores(postgres, wall),
                    "wrk": cores(load, wall),
                    "other": max(0.0, cores(machine - app - postgres - load, wall)),
                    "machine": cores(machine, wall),
                }
                commits = after_db["commits"] - before_db["commits"]
                db.update(
                    commits=commits,
                    rollbacks=after_db["rollbacks"] - before_db["rollbacks"],
                    inserted=after_db["inserted"] - before_db["inserted"],
                    commits_per_request=ratio(commits, result.requests),
                )
                row["db"] = db
                return row

            # Warm-up: every worker imports, connects (one persistent connection each) and fills its caches.
            say(f"{workers} worker{'s' if workers > 1 else ''}: warming up, then health, read mix, health, booking mix")
            measure(health, 200 * workers)
            measure(read, 100 * workers)
            measure(book, 40 * workers)
            healths = [measure(health)]
            read_row = measure(read)
            healths.append(measure(health))
            booking_row = measure(book)
            healths.append(measure(health))
            pids = child_pids(server.pid)
            memory = [memory_kib(pid) for pid in pids]
            postgres_connections = len(watch.backends())
            redis_connections = redis_clients(broker)
        finally:
            stop_server(server)
    for name, row in (("read", read_row), ("booking", booking_row)):
        print(
            f"    {name} mix: {row['rps']:,.0f} req/s, p50 {row['p50_ms']:.1f} ms, non-2xx {row['non_2xx']}, "
            f"statuses {row['statuses']}"
        )
    return {
        "workers": workers,
        "health": healths,
        "read": read_row,
        "booking": booking_row,
        "worker_memory_kib": memory,
        "postgres_connections": postgres_connections,
        "redis_connections": redis_connections,
    }


def sign_in_and_book(port: int, dataset: dict) -> dict:
    """Tokens for the booking customer and the reader, and a few bookings of the reader's for the reads."""

    def sign_in(credentials: dict) -> str:
        status, body = request_once(
            port,
            "POST",
            "/api/v1/auth/login",
            json.dumps(credentials).encode(),
            {"Content-Type": "application/json", "User-Agent": "bench"},
        )
        if status != 200:
            sys.exit(f"Signing in {credentials['email']} failed ({status}): {body[:300]!r}")
        return json.loads(body)["access"]

    def booking_for(token: str) -> Booking:
        return Booking(
            token=token,
            service_ids=dataset["booking_service_ids"],
            base_epoch=dataset["slot_base_epoch"],
            slots_per_day=dataset["slots_per_day"],
            slot_minutes=dataset["slot_minutes"],
        )

    booking, reader = booking_for(sign_in(dataset["customer"])), booking_for(sign_in(dataset["reader"]))
    slots = Slots()
    reader_ids = []
    for _ in range(READER_BOOKINGS):
        k = slots.take(1, 0)
        status, body = request_once(port, "POST", "/api/v1/bookings", reader.body(k), reader.headers(k))
        if status != 201:
            sys.exit(f"The reader's booking failed ({status}): {body[:300]!r}")
        reader_ids.append(json.loads(body)["id"])
    for entry in {*read_mix(dataset, reader_ids), *booking_mix(dataset, reader_ids)}:
        if entry.book:
            continue
        headers = {"Authorization": f"Bearer {reader.token}"} if entry.auth else {}
        status, body = request_once(port, "GET", entry.path, None, headers)
        if status != 200:
            sys.exit(f"{entry.name} ({entry.path}) answered {status}, not 200: {body[:300]!r}")
    return {"booking": booking, "reader_token": reader.token, "slots": slots, "reader_booking_ids": reader_ids}


def report(args, database: str, rounds: list[dict], elapsed: float) -> None:
    print()
    print(
        f"Scale-out: {database}, Redis {args.redis_url}; wrk, {args.connections} connections; "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    print("\n".join(table(rounds)))
    print(
        "'x health': req/s over the mean of the health runs just before and after; 'x 1st': over the same "
        "measure with the first worker count.\n'app', 'pg', 'wrk', 'other': CPU cores used meanwhile by the "
        "gunicorn workers, this database's PostgreSQL backends, wrk, and everything else on the machine.\n"
        "'pg conn': most connections to the database seen; 'pg act': mean of them running a statement; "
        "'xact/req': transactions committed per request (approximate: PostgreSQL reports them once a second).\n"
        "'app ms', 'pg ms': CPU milliseconds per request in the gunicorn workers and in PostgreSQL (cores / req/s)."
    )
    print()
    print("\n".join(summary(rounds)))
    reads = shares(read_mix({"read_service_ids": [1], "read_vendor_ids": [1]}, [1]))
    books = shares(booking_mix({"read_service_ids": [1], "read_vendor_ids": [1]}, [1]))
    print("\nRead mix: " + ", ".join(f"{name} {share:.0%}" for name, share in reads.items()))
    print("Booking mix: " + ", ".join(f"{name} {share:.0%}" for name, share in books.items()))
    bad = [
        f"{r['workers']} workers {name}"
        for r in rounds
        for name in ("read", "booking")
        if r[name]["non_2xx"] or r[name]["socket_errors"]
    ]
    if bad:
        print(f"WARNING: answers that are not 2xx, or socket errors: {', '.join(bad)} (var/bench-scale-server-*.log)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "database": database,
                "redis": args.redis_url,
                "connections": args.connections,
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "elapsed_seconds": round(elapsed, 1),
                "read_mix": reads,
                "booking_mix": books,
                "rounds": rounds,
            },
            indent=2,
        )
        + "\n"
    )
    shown = args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json
    print(f"Results written to {shown}; whole run {elapsed:.0f} s.")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
