"""The production stack on loopback for tests/site: its own PostgreSQL database, the app's
environment with the production settings, nginx rendered from site/nginx.conf.example, and
processes that are bounded in time and always stopped.

These tests run only with ``SITE_TESTS=1`` (``.ci/run`` sets it once, in the PostgreSQL step,
after installing nginx): they start real servers and take a few seconds each.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
EXAMPLE = ROOT / "site" / "nginx.conf.example"

site_tests = pytest.mark.skipif(os.environ.get("SITE_TESTS") != "1", reason="site tests run with SITE_TESTS=1")


def require_postgresql() -> dict:
    """The connection settings of the PostgreSQL server the test run uses (SITE_TESTS=1 needs one)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("SITE_TESTS=1 needs PostgreSQL: set DATABASE_URL=postgres://...")
    return database


_ports_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port free now, for a server started a moment later (nginx, gunicorn).

    The probe is closed before the server binds, so the port must not be taken meanwhile.
    Port 0 would let the kernel pick from its ephemeral range (32768-60999 on Linux), where
    every outgoing connection of every process (PostgreSQL, Redis, the other pytest-xdist
    worker's servers) takes its local port too. So each worker draws from a range of its own
    below that (20000 + 1000 per worker: gw0 20000-20999, gw1 21000-21999...), in random order
    (another run on the machine), and never hands out a port twice.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 20000 + 1000 * (int(worker) % 12 if worker.isdigit() else 0)
    candidates = [port for port in range(first, first + 1000) if port not in _ports_handed_out]
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_handed_out.add(port)
        return port
    raise RuntimeError(f"no free loopback port between {first} and {first + 999}")


def _server_connection(database: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def database_url(database: dict, name: str) -> str:
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgres://{database['USER']}{password}@{host}:{port}/{name}"


@contextmanager
def new_database(database: dict, prefix: str):
    """An empty database with a unique name on the test run's server, dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with _server_connection(database) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _server_connection(database) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def app_environment(database_url: str, **values: str) -> dict[str, str]:
    """The environment a server gives the app: the production settings, nothing from this run's own."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "REDIS_", "OPENSEARCH_", "EMAIL_", "GUNICORN_", "PYTEST"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        PAYMENTS_GATEWAY="local",
        PYTHONPATH=str(ROOT),
        **values,
    )
    return environment


# A bound on a release step of a fresh database (migrate, collectstatic): about 30 s of CPU
# each, which take several times that in wall time while the other pytest-xdist worker (and
# whatever else the machine runs) shares the CPUs. A bound against a hang, not a benchmark.
RELEASE_STEP_SECONDS = 300


def manage(*args: str, env: dict[str, str], timeout: float = RELEASE_STEP_SECONDS) -> subprocess.CompletedProcess:
    """``manage.py <args>`` as a server runs it; fails the test with its output when it fails."""
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@contextmanager
def started(args: list[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path = ROOT):
    """A server process, in its own process group, stopped (then killed) when the block ends."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def wait_until(check, *, what: str, processes: list[tuple[subprocess.Popen, Path]], timeout: float = 30) -> None:
    """Poll ``check()`` until it is true; fail with the servers' logs if one died or time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        for process, log in processes:
            if process.poll() is not None:
                pytest.fail(
                    f"{process.args[0]} exited ({process.returncode}) before {what}:\n{log.read_text()[-4000:]}"
                )
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            logs = "\n".join(log.read_text()[-2000:] for _, log in processes)
            pytest.fail(f"no {what} within {timeout:.0f}s:\n{logs}")
        time.sleep(0.2)


# --- nginx ------------------------------------------------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render_site(example: str, values: dict[str, str]) -> str:
    """site/nginx.conf.example with its deployment-specific values replaced, nothing else.

    ``values`` maps each value as the example spells it to its replacement; every one must
    occur in the example (a value renamed there fails here rather than going untested).
    """
    rendered = example
    for old, new in values.items():
        if old not in rendered:
            raise ValueError(f"{old!r} is not in site/nginx.conf.example")
        rendered = rendered.replace(old, new)
    return rendered


def example_on_loopback(*, http_port: int, https_port: int, upstream_port: int, paths: dict[str, Path]) -> str:
    """The example site on 127.0.0.1 only, in front of gunicorn on ``upstream_port``, with temp paths."""
    site = render_site(
        EXAMPLE.read_text(),
        {
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl http2;\n": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "server_name tidynest.example www.tidynest.example;": "server_name 127.0.0.1;",
            "server 127.0.0.1:8000 ": f"server 127.0.0.1:{upstream_port} ",
            "/etc/letsencrypt/live/tidynest.example/fullchain.pem": str(paths["certificate"]),
            "/etc/letsencrypt/live/tidynest.example/privkey.pem": str(paths["key"]),
            "/var/www/letsencrypt": str(paths["acme"]),
            "/srv/marketplace/var/static/": f"{paths['static']}/",
            "/srv/marketplace/var/media/": f"{paths['media']}/",
            "/var/log/nginx/marketplace.access.log": str(paths["logs"] / "access.log"),
            "/var/log/nginx/marketplace.error.log": str(paths["logs"] / "error.log"),
        },
    )
    directives = re.sub(r"#.*", "", site)
    leftovers = re.findall(r"(?:/srv/|/etc/letsencrypt|/var/log|/var/www|\blisten (?!127\.0\.0\.1:))\S*", directives)
    assert not leftovers, f"the rendered site still names machine paths or addresses: {leftovers}"
    return site


def nginx_main_config(*, site: Path, prefix: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site, with every path of its own in ``prefix``."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers that can read the test's 0700 temp dirs
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "logs" / "main-error.log"};
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {prefix / "logs" / "main-access.log"};
{temp}
    include {site};
}}
"""


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for IP 127.0.0.1 (the clients trust it as their only CA)."""
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return certificate, key
