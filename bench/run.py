"""Benchmark: the marketplace served as production serves it, under a bounded load.

    python3 dev.py bench            (or: make bench)
    python3 dev.py bench --help     options: request counts, concurrency, load tool, port

What it does, in under three minutes:

1. Prepares a fresh benchmark database: SQLite at var/bench.sqlite3, or, when
   DATABASE_URL points at PostgreSQL, a database named <name>_bench on that server
   (created for the run and dropped after it; the database DATABASE_URL names is not
   touched).
   Migrates it, creates the cache table, collects static files, loads the demo data
   (`manage.py demo_load`) when that command exists, and adds the benchmark's own
   customer and organizers through the domain services (bench/dataset.py).
2. Starts gunicorn with site/gunicorn.conf.py (2 sync workers, persistent database
   connections) and marketplace.settings.production, i.e. DEBUG off, WhiteNoise serving
   the collected static files. Only what a laptop lacks is set for the run: a throwaway
   SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no HTTPS redirect or secure-only cookies (there
   is no TLS proxy in front), and rate limits lifted so the load measures the work, not
   429 answers (the throttle still runs and still counts in the cache).
3. Drives a fixed number of requests per endpoint, each run capped in time, with wrk
   when it is installed (`apt-get install -y wrk`), else with a small thread-based
   Python client (which saturates sooner: its figures are lower and its ratios flatter).
   GET /api/v1/health, the baseline, is measured before and after every endpoint, and
   each endpoint is reported as a ratio to the mean of its two neighbouring baselines:
   the machine is noisy, so ratios measured side by side are what to compare.

POST /api/v1/bookings is measured on its success path: every request asks for a
distinct free slot (four organizers, 30-minute services, open 00:00-23:45 UTC every
day) and sends its own Idempotency-Key, so each answer should be 201; any other status
is counted and shown. Results go to bench/results/latest.json (not committed: the
figures belong to the machine that made them).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_unused_database, recreate_database  # noqa: E402

BIN = ROOT / ".venv" / "bin"
VAR = ROOT / "var"
RESULTS = ROOT / "bench" / "results"
WRK_SCRIPT = ROOT / "bench" / "wrk.lua"
HOST = "127.0.0.1"
BUDGET_SECONDS = 170  # the whole run, preparation included, stays under three minutes
# Variables that would change what is measured if they leaked in from the shell.
DROPPED_ENV = ("DJANGO_SETTINGS_MODULE", "DEBUG", "PORT", "GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


@dataclass
class Target:
    name: str
    method: str
    path: str
    requests: int
    expect: int = 200
    booking: bool = False
    mix: Path | None = None  # a schedule of requests for wrk.lua's "mix" mode (bench/scale.py)
    reader_token: str = ""  # the customer the mix's authenticated reads are made as


@dataclass
class Measurement:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    error_status: int
    socket_errors: int
    statuses: dict = field(default_factory=dict)


@dataclass
class Booking:
    """Everything needed to build the k-th distinct booking request (wrk.lua does the same)."""

    token: str
    service_ids: list[int]
    base_epoch: int
    slots_per_day: int
    slot_minutes: int

    def body(self, k: int) -> bytes:
        n = len(self.service_ids)
        day, slot = divmod(k // n, self.slots_per_day)
        starts = time.gmtime(self.base_epoch + day * 86400 + slot * self.slot_minutes * 60)
        payload = {
            "service_id": self.service_ids[k % n],
            "starts_at": time.strftime("%Y-%m-%dT%H:%M:00+00:00", starts),
            "address": "1 Benchmark Way, Brooklyn, NY",
        }
        return json.dumps(payload).encode()

    def headers(self, k: int) -> dict:
        return {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"bench-{k}",
        }


# --- The database and the server ------------------------------------------------------


def free_port(preferred: int | None) -> int:
    candidates = [preferred] if preferred else range(8300, 8400)
    for port in candidates:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    sys.exit(f"No free port ({'port ' + str(preferred) if preferred else '8300-8399'}); pass --port.")


def prepare_database(source_url: str | None) -> tuple[str, str]:
    """A fresh, empty benchmark database. Returns (DATABASE_URL, description)."""
    if not source_url:
        path = VAR / "bench.sqlite3"
        for leftover in VAR.glob("bench.sqlite3*"):
            leftover.unlink()
        return f"sqlite:///{path}", f"SQLite ({path.relative_to(ROOT)})"
    url = urlsplit(source_url)
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"The benchmark runs on SQLite or PostgreSQL, not {url.scheme}.")
    name = f"{url.path.lstrip('/') or 'marketplace'}_bench"
    bench_url = recreate_database(source_url, name)
    return bench_url, f"PostgreSQL ({url.hostname}:{url.port or 5432}/{name})"


def drop_database(database_url: str) -> None:
    """Drop the PostgreSQL benchmark database after the run (the SQLite file stays in var/)."""
    url = urlsplit(database_url)
    if url.scheme != "sqlite":
        drop_unused_database(database_url, url.path.lstrip("/"))


def server_environment(database_url: str, port: int) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in DROPPED_ENV}
    unlimited = "1000000/min"
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.production",
        SECRET_KEY=f"bench-only-{secrets.token_hex(24)}",
        ALLOWED_HOSTS=f"{HOST},localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SITE_URL=f"http://{HOST}:{port}",
        DATABASE_URL=database_url,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        LOG_LEVEL="WARNING",
        RATE_LIMIT_AUTH=unlimited,
        RATE_LIMIT_SEARCH=unlimited,
        RATE_LIMIT_BOOKING=unlimited,
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str, env: dict, log) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    log.write(result.stdout)
    log.flush()
    if result.returncode != 0:
        sys.stdout.write(result.stdout.decode(errors="replace")[-3000:])
        sys.exit(f"manage.py {' '.join(args)} failed (exit {result.returncode}).")
    return result


def has_command(name: str, env: dict) -> bool:
    probe = "from django.core.management import get_commands; import sys; sys.exit(0 if {!r} in get_commands() else 1)"
    code = subprocess.run(
        [str(BIN / "python"), "-c", f"import django; django.setup(); {probe.format(name)}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ).returncode
    return code == 0


def start_server(env: dict, log) -> subprocess.Popen:
    # --no-control-socket: gunicorn 25+ opens ~/.gunicorn/gunicorn.ctl by default, one path
    # shared by every gunicorn of the user; the benchmark must not take over the demo's.
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "site/gunicorn.conf.py", "--no-control-socket", "marketplace.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            server.wait(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def request_once(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited (status {server.returncode}); see var/bench-server.log.")
        try:
            if request_once(port, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    sys.exit("gunicorn did not answer /api/v1/health within 60 s; see var/bench-server.log.")


# --- Load generators --------------------------------------------------------------------


def run_wrk(port: int, target: Target, *, cap: float, connections: int, threads: int, booking: Booking, offset: int):
    threads = min(threads, connections)
    per_thread = math.ceil(target.requests / threads)
    args = [str(per_thread), "mix" if target.mix else "booking" if target.booking else "get"]
    if target.mix:
        args += [str(target.mix), target.reader_token]
    if target.booking or target.mix:
        args += [
            booking.token,
            str(threads),
            ",".join(map(str, booking.service_ids)),
            str(booking.base_epoch),
            str(booking.slots_per_day),
            str(booking.slot_minutes),
            str(offset),
        ]
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, math.ceil(cap))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        f"http://{HOST}:{port}{target.path}",
        "--",
        *args,
    ]
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, finished_threads = [], 0
    for text in wrk.stdout:  # ends when wrk exits: after -d seconds, or after the SIGINT below
        lines.append(text.rstrip("\n"))
        if text.startswith("BENCH_THREAD_DONE"):
            finished_threads += 1
            if finished_threads == threads:
                wrk.send_signal(signal.SIGINT)  # every thread has its requests: stop waiting for -d
    wrk.wait()
    line = next((x for x in lines if x.startswith("BENCH_JSON ")), None)
    if line is None:
        sys.exit(f"wrk gave no result for {target.name}:\n" + "\n".join(lines))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    return Measurement(
        name=target.name,
        requests=data["requests"],
        seconds=seconds,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        error_status=data["error_status"],
        socket_errors=data["socket_errors"],
        statuses=data.get("statuses", {}),
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def run_python(port: int, target: Target, *, cap: float, connections: int, booking: Booking, offset: int):
    """The fallback: `connections` threads, one keep-alive-capable connection each."""
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    statuses: Counter = Counter()
    socket_errors = 0
    started = time.perf_counter()
    deadline = started + cap

    def worker() -> None:
        nonlocal issued, socket_errors
        connection: http.client.HTTPConnection | None = None
        mine: list[float] = []
        codes: Counter = Counter()
        errors = 0
        while True:
            with lock:
                if issued >= target.requests or time.perf_counter() >= deadline:
                    break
                k = issued
                issued += 1
            if target.booking:
                body, headers = booking.body(offset + k), booking.headers(offset + k)
            else:
                body, headers = None, {}
            began = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=10)
                connection.request(target.method, target.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                errors += 1
                if connection is not None:
                    connection.close()
                connection = None
                continue
            mine.append(time.perf_counter() - began)
            codes[response.status] += 1
        if connection is not None:
            connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)
            socket_errors += errors

    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    seconds = time.perf_counter() - started
    done = len(latencies)
    return Measurement(
        name=target.name,
        requests=done,
        seconds=seconds,
        rps=done / seconds if seconds else 0.0,
        p50_ms=percentile(latencies, 50) * 1000,
        p90_ms=percentile(latencies, 90) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        mean_ms=(sum(latencies) / done * 1000) if done else 0.0,
        error_status=sum(count for status, count in statuses.items() if status >= 400),  # as wrk counts them
        socket_errors=socket_errors,
        statuses={str(status): count for status, count in sorted(statuses.items())},
    )


# --- The run ----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python3 dev.py bench")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: leave the cores to gunicorn)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every request count (default 1)")
    parser.add_argument("--cap", type=float, default=12.0, help="seconds at most per measurement (default 12)")
    parser.add_argument("--port", type=int, default=None, help="port for gunicorn (default: first free in 8300-8399)")
    parser.add_argument("--no-demo-data", action="store_true", help="skip `manage.py demo_load`")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json", help="where to write the results")
    return parser.parse_args()


def prepare_data(env: dict, *, demo_data: bool) -> tuple[str, dict]:
    """Migrate the benchmark database, load the demo data and the benchmark's own (bench/dataset.py).

    Returns how the demo data went and what bench/dataset.py printed.
    """
    with open(VAR / "bench-prepare.log", "wb") as prepare_log:
        manage("migrate", "--noinput", "--verbosity", "0", env=env, log=prepare_log)
        if not env.get("REDIS_URL"):
            manage("createcachetable", env=env, log=prepare_log)
        manage("collectstatic", "--noinput", "--verbosity", "0", env=env, log=prepare_log)
        demo = "not loaded (--no-demo-data)"
        if demo_data:
            if has_command("demo_load", env):
                help_text = manage("demo_load", "--help", env=env, log=prepare_log).stdout.decode()
                extra = ["--no-images"] if "--no-images" in help_text else []
                manage("demo_load", *extra, env=env, log=prepare_log)
                demo = "loaded (manage.py demo_load)"
            else:
                demo = "not available yet (no manage.py demo_load)"
        result = subprocess.run(
            [str(BIN / "python"), "bench/dataset.py"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            sys.exit(f"bench/dataset.py failed:\n{result.stdout}\n{result.stderr}")
    return demo, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
        if tool == "python":
            print("wrk is not installed: using the Python load generator (install wrk: apt-get install -y wrk).")
    elif tool == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk), or use --tool python.")

    VAR.mkdir(exist_ok=True)
    port = free_port(args.port)
    database_url, database = prepare_database(os.environ.get("DATABASE_URL"))
    env = server_environment(database_url, port)
    log_path = VAR / "bench-server.log"
    say(f"Preparing the benchmark database: {database}")
    demo, dataset = prepare_data(env, demo_data=not args.no_demo_data)
    prepared = time.monotonic() - started
    print(f"    demo data: {demo}; {dataset['services_total']} active services; prepared in {prepared:.0f} s")
    print(f"    one service's pages: {dataset['detail_service']}")

    with open(log_path, "wb") as server_log:
        say(f"Starting gunicorn (2 sync workers, production settings) on http://{HOST}:{port}")
        server = start_server(env, server_log)
        try:
            wait_until_up(port, server)
            measurements = drive(args, tool, port, dataset, started)
        finally:
            stop_server(server)
            drop_database(database_url)

    report(args, tool, database, demo, measurements, time.monotonic() - started)


def drive(args, tool: str, port: int, dataset: dict, started: float) -> list[dict]:
    login = json.dumps(dataset["customer"]).encode()
    status, body = request_once(
        port, "POST", "/api/v1/auth/login", login, {"Content-Type": "application/json", "User-Agent": "bench"}
    )
    if status != 200:
        sys.exit(f"Signing in the benchmark customer failed ({status}): {body[:300]!r}")
    booking = Booking(
        token=json.loads(body)["access"],
        service_ids=dataset["booking_service_ids"],
        base_epoch=dataset["slot_base_epoch"],
        slots_per_day=dataset["slots_per_day"],
        slot_minutes=dataset["slot_minutes"],
    )

    def count(n: int) -> int:
        return max(20, int(n * args.scale))

    health = Target("GET /api/v1/health", "GET", "/api/v1/health", count(3000))
    targets = [
        Target(
            f"GET /api/v1/catalog/search?q={dataset['search_query']}",
            "GET",
            "/api/v1/catalog/search?" + urlencode({"q": dataset["search_query"]}),
            count(1000),
        ),
        Target(
            "GET /api/v1/catalog/services/{id}",
            "GET",
            f"/api/v1/catalog/services/{dataset['detail_service_id']}",
            count(2000),
        ),
    ]
    page = dataset.get("service_page_path")
    if page:
        targets.append(Target("GET storefront service page", "GET", page, count(1000)))
    else:
        print("    The storefront has no service page yet: skipped.")
    targets.append(Target("POST /api/v1/bookings (201)", "POST", "/api/v1/bookings", count(400), 201, booking=True))

    # Warm-up: every worker process imports, connects and fills its caches before anything is
    # timed. It also checks each endpoint answers as expected; one that does not is skipped.
    say("Warming up and checking every endpoint")
    warm_slots = 0
    usable = []
    for target in [health, *targets]:
        for _ in range(20):
            if target.booking:
                body, headers = booking.body(warm_slots), booking.headers(warm_slots)
                warm_slots += 1
            else:
                body, headers = None, {}
            status, content = request_once(port, target.method, target.path, body, headers)
            if status != target.expect:
                break
        if status == target.expect:
            usable.append(target)
        elif target is health:
            sys.exit(f"{target.name} answered {status}, not {target.expect}.")
        else:
            print(f"    {target.name} answered {status}, not {target.expect}: skipped. {content[:200]!r}")
    targets = [t for t in targets if t in usable]

    def measure(target: Target, offset: int = 0) -> Measurement:
        remaining = BUDGET_SECONDS - (time.monotonic() - started)
        cap = min(args.cap, max(2.0, remaining / 2))
        common = {"cap": cap, "connections": args.connections, "booking": booking, "offset": offset}
        if tool == "wrk":
            return run_wrk(port, target, threads=args.threads, **common)
        return run_python(port, target, **common)

    say(
        f"Measuring with {tool}: {args.connections} connections, at most {args.cap:.0f} s per run; "
        "the health baseline before and after each endpoint"
    )
    rows = []
    before = measure(health)
    baselines = [before]
    for target in targets:
        if time.monotonic() - started > BUDGET_SECONDS - 10:
            print(f"    Time budget spent: {target.name} not measured.")
            continue
        # Booking slots after the warm-up's, so every measured request asks for a free one.
        result = measure(target, offset=warm_slots + 100)
        after = measure(health)
        baselines.append(after)
        baseline_rps = (before.rps + after.rps) / 2
        baseline_p50 = (before.p50_ms + after.p50_ms) / 2
        rows.append(
            {
                **asdict(result),
                "expected_status": target.expect,
                "rps_ratio_to_health": result.rps / baseline_rps if baseline_rps else 0.0,
                "p50_ratio_to_health": result.p50_ms / baseline_p50 if baseline_p50 else 0.0,
            }
        )
        print(f"    {target.name}: {result.rps:,.0f} req/s ({result.rps / baseline_rps:.2f} x health)")
        before = after
    health_row = {**asdict(baselines[0]), "expected_status": 200}
    health_row.update(rps_ratio_to_health=1.0, p50_ratio_to_health=1.0)
    health_row.update(
        requests=sum(b.requests for b in baselines),
        seconds=sum(b.seconds for b in baselines),
        rps=sum(b.rps for b in baselines) / len(baselines),
        p50_ms=sum(b.p50_ms for b in baselines) / len(baselines),
        p90_ms=sum(b.p90_ms for b in baselines) / len(baselines),
        p99_ms=sum(b.p99_ms for b in baselines) / len(baselines),
        mean_ms=sum(b.mean_ms for b in baselines) / len(baselines),
        error_status=sum(b.error_status for b in baselines),
        socket_errors=sum(b.socket_errors for b in baselines),
        health_runs_rps=[round(b.rps, 1) for b in baselines],
    )
    return [health_row, *rows]


def report(args, tool: str, database: str, demo: str, rows: list[dict], elapsed: float) -> None:
    print()
    print(f"Database: {database}; demo data {demo}; load: {tool}, {args.connections} connections; 2 sync workers")
    header = (
        f"{'endpoint':<44} {'requests':>8} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
        f"{'bad':>4} {'x health req/s':>14} {'x health p50':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        bad = row["error_status"] + row["socket_errors"]
        print(
            f"{row['name']:<44} {row['requests']:>8} {row['rps']:>8,.0f} {row['p50_ms']:>7.1f} {row['p90_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {bad:>4} {row['rps_ratio_to_health']:>14.2f} {row['p50_ratio_to_health']:>12.2f}"
        )
    health = rows[0]
    runs = health.get("health_runs_rps", [])
    if len(runs) > 1:
        spread = (max(runs) - min(runs)) / (sum(runs) / len(runs))
        print(f"\nHealth baseline runs (req/s): {', '.join(f'{r:,.0f}' for r in runs)}  (spread {spread:.0%})")
    print(
        "'bad' counts 4xx/5xx answers and socket errors; "
        "'x health' compares with the mean of the health runs just before and after."
    )
    failures = [row["name"] for row in rows if row["error_status"] or row["socket_errors"]]
    if failures:
        print(f"WARNING: unexpected answers from: {', '.join(failures)} (see var/bench-server.log)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "database": database,
                "demo_data": demo,
                "tool": tool,
                "connections": args.connections,
                "gunicorn_workers": 2,
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "elapsed_seconds": round(elapsed, 1),
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    try:
        shown = args.json.relative_to(ROOT)
    except ValueError:
        shown = args.json
    print(f"Results written to {shown}; whole run {elapsed:.0f} s.")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["scale"]:  # python3 dev.py bench scale: the scale-out run, built on this file
        from bench.scale import main as scale_main

        scale_main(sys.argv[2:])
    else:
        main()
