#!/usr/bin/env python3
"""Project commands that work on a fresh machine with nothing but Python 3.11+.

    python3 dev.py demo    run the marketplace with demo data on SQLite at http://127.0.0.1:8000
    python3 dev.py test    run the whole test suite (PostgreSQL if DATABASE_URL is set, else SQLite)
    python3 dev.py setup   create .venv and install the locked dependencies (the others do this first)
    python3 dev.py lint    ruff check and format, the import-layer contracts, mypy on the payment gateways, bandit
    python3 dev.py bench   run the benchmark in bench/ (the API served by gunicorn)
    python3 dev.py bench money   the money benchmark: release and payout of 10,000 bookings (PostgreSQL)
    python3 dev.py bench dashboard   the back office's dashboard over 100,000 bookings (PostgreSQL)
    python3 dev.py bench slots   the slot engine: 60 days of slots, 200 bookings and 3 calendars (PostgreSQL)
    python3 dev.py bench storm   500 booking requests from 32 clients at one organizer's 50 slots (PostgreSQL)
    python3 dev.py bench search   search over 100,000 generated services: API, service_find, raw SQL (PostgreSQL)
    python3 dev.py bench scale   the API with 1, 2 and 4 gunicorn workers, read and booking mixes (PostgreSQL)
    python3 dev.py clean   delete .venv (the next command creates it again)

Dependencies come from uv.lock (uv sync --frozen), so every install resolves the
same versions. Extra arguments after `test` go to pytest: `python3 dev.py test -n 2` runs
the suite in two processes (pytest-xdist), as CI does. `lint` is the static gates of CI's
lint step (docs/operations.md, "Quality gates"); it stops at the first that fails.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
UV_VERSION = "0.13.9"
DEMO_DATABASE = ROOT / "var" / "demo.sqlite3"


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict | None = None, check: bool = True) -> int:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def setup() -> None:
    """Create .venv and sync it with uv.lock; skipped when nothing changed since the last sync."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on the system Python, before any venv exists
        sys.exit("Python 3.11 or newer is needed (found {}.{}).".format(*sys.version_info[:2]))
    if not (BIN / "python").exists():
        if importlib.util.find_spec("ensurepip") is None:
            sys.exit(
                "This Python has no ensurepip, so it cannot create a virtual environment with pip. "
                "On Debian or Ubuntu: sudo apt-get install python3-venv"
            )
        say("Creating the virtual environment in .venv")
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".synced"
    digest = hashlib.sha256((ROOT / "uv.lock").read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    if not (BIN / "uv").exists():
        say(f"Installing uv {UV_VERSION}")
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"uv=={UV_VERSION}")
    say("Installing the locked dependencies (uv sync --frozen)")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    run(BIN / "uv", "sync", "--frozen", "--quiet", env=env)
    stamp.write_text(digest)


def manage(*args: str, env: dict) -> None:
    run(BIN / "python", "manage.py", *args, env=env)


def describe_database(url: str | None) -> str:
    if not url:
        return "SQLite (DATABASE_URL is not set)"
    engine = "PostgreSQL" if url.startswith(("postgres://", "postgresql://", "pgsql://")) else url.split(":", 1)[0]
    safe = url.split("@", 1)[-1] if "@" in url else url
    return f"{engine} ({safe})"


# Asks a PostgreSQL server (its maintenance database) which of the extensions the schema needs it lacks.
MISSING_EXTENSIONS = """
import sys, environ, psycopg
settings = environ.Env.db_url_config(sys.argv[1])
with psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"] or None,
                     password=settings["PASSWORD"] or None, dbname="postgres", connect_timeout=10) as connection:
    found = {row[0] for row in connection.execute("SELECT name FROM pg_available_extensions")}
print(" ".join(name for name in ("postgis", "pg_trgm") if name not in found))
"""


def check_postgres_extensions(url: str) -> None:
    """Stop with a clear message when the PostgreSQL server lacks PostGIS or pg_trgm (the search needs both)."""
    found = subprocess.run([BIN / "python", "-c", MISSING_EXTENSIONS, url], capture_output=True, text=True)
    if found.returncode != 0:
        return  # no answer: the tests themselves say why the database cannot be reached
    missing = found.stdout.split()
    if missing:
        sys.exit(
            f"The PostgreSQL server at {describe_database(url)} lacks {' and '.join(missing)}, which the search needs "
            "(a geography column and trigram typo tolerance). Install it on the server: on Debian "
            "`apt-get install -y postgresql-15-postgis-3` (use your server's major version); docs/operations.md, "
            "'PostgreSQL extensions'. Or run the tests on SQLite: unset DATABASE_URL."
        )


def test(pytest_args: list[str]) -> None:
    setup()
    url = os.environ.get("DATABASE_URL")
    say(f"Running the test suite on {describe_database(url)}")
    if url and url.startswith(("postgres://", "postgresql://", "pgsql://")):
        check_postgres_extensions(url)
    sys.exit(run(BIN / "pytest", *pytest_args, check=False))


def lint() -> None:
    setup()
    say("ruff check")
    run(BIN / "ruff", "check", ".")
    say("ruff format --check")
    run(BIN / "ruff", "format", "--check", ".")
    say("import-layer contracts (lint-imports)")
    run(BIN / "lint-imports")
    say("mypy (the payment gateways, Stripe's against the SDK's types: pyproject.toml [tool.mypy])")
    run(BIN / "mypy")
    say("bandit (security lint; any medium or high finding fails: pyproject.toml [tool.bandit])")
    run(BIN / "bandit", "-c", "pyproject.toml", "-r", ".", "--severity-level", "medium", "--quiet")


def demo_environment(port: str) -> dict[str, str]:
    """The demo's environment: the embedded default (no services), served like production.

    DEBUG is off, as in production, so a dead link shows the product's 404 page and static
    files come from `collectstatic` through WhiteNoise. Production's nginx serves uploaded
    media; the demo has no nginx, so the app serves it (SERVE_MEDIA). The dev settings
    module only adds a fallback SECRET_KEY (the production one would also force HTTPS).
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.dev",
        "DEBUG": "false",
        "SERVE_MEDIA": "true",
        "DATABASE_URL": f"sqlite:///{DEMO_DATABASE}",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PORT": port,
    }
    for name in ("REDIS_URL", "OPENSEARCH_URL", "EMAIL_URL"):
        env.pop(name, None)  # the embedded default: no services
    return env


def demo() -> None:
    """Migrate a SQLite database, load the demo data, and serve it like production does."""
    setup()
    DEMO_DATABASE.parent.mkdir(exist_ok=True)
    port = os.environ.get("PORT", "8000")
    env = demo_environment(port)
    say(f"Preparing the demo database ({DEMO_DATABASE.relative_to(ROOT)}) and static files")
    manage("migrate", "--noinput", "--verbosity", "0", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    manage("demo_load", env=env)
    say("Starting the job worker (django-q2, ORM broker) and the web server (gunicorn, 2 sync workers)")
    worker = subprocess.Popen([str(BIN / "python"), "manage.py", "qcluster"], cwd=ROOT, env=env)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "site/gunicorn.conf.py", "--no-control-socket", "marketplace.wsgi"],
        cwd=ROOT,
        env=env,
    )
    print(
        f"\n  Storefront   http://127.0.0.1:{port}/\n"
        f"  Wagtail admin http://127.0.0.1:{port}/admin/\n"
        f"  API docs     http://127.0.0.1:{port}/api/v1/docs\n\n  Press Ctrl-C to stop.\n",
        flush=True,
    )

    def stop(*_):
        for process in (server, worker):
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        code = server.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        stop()
        for process in (server, worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    sys.exit(code)


def bench(args: list[str]) -> None:
    setup()
    if args[:1] == ["money"]:
        sys.exit(run(BIN / "python", "bench/money.py", *args[1:], check=False))
    if args[:1] == ["dashboard"]:
        sys.exit(run(BIN / "python", "bench/dashboard.py", *args[1:], check=False))
    if args[:1] == ["slots"]:
        sys.exit(run(BIN / "python", "bench/slots.py", *args[1:], check=False))
    if args[:1] == ["storm"]:
        sys.exit(run(BIN / "python", "bench/storm.py", *args[1:], check=False))
    if args[:1] == ["search"]:
        sys.exit(run(BIN / "python", "bench/search.py", *args[1:], check=False))
    sys.exit(run(BIN / "python", "bench/run.py", *args, check=False))


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "setup":
        setup()
    elif command == "test":
        test(rest)
    elif command == "lint":
        lint()
    elif command == "demo":
        demo()
    elif command == "bench":
        bench(rest)
    elif command == "clean":
        shutil.rmtree(VENV, ignore_errors=True)
    else:
        print(__doc__)
        sys.exit(0 if command in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main()
