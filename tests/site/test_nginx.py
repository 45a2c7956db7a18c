"""site/nginx.conf.example in front of gunicorn (site/gunicorn.conf.py), as production runs them.

Debian's nginx serves the example site, rendered with loopback ports and temp paths only
(``stack.example_on_loopback``), over HTTPS with a throwaway certificate; gunicorn runs the
production settings on a PostgreSQL database of its own, migrated by ``manage.py migrate``,
with its static files collected into a temp STATIC_ROOT. Through nginx the test checks the
static files (from disk, with cache headers), the forwarded client address (the per-IP rate
limit sees the client, and a forged X-Forwarded-For does not evade it), the body-size limit,
and a booking made and paid through the API. Clients connect from other loopback addresses
(127.0.0.2, 127.0.0.3) than nginx's own, so "the client's address" is not nginx's.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.conftest import local_slot

from . import stack

pytestmark = stack.site_tests

LIMIT = 2560 * 1024  # client_max_body_size 2560k, the app's REQUEST_BODY_LIMIT_MB
SEED = """
import django
django.setup()
from tests.factories import ServiceFactory, VendorFactory, make_category, with_weekly_hours
vendor = with_weekly_hours(VendorFactory(business_name="Calm Spaces", slug="calm-spaces"))
service = ServiceFactory(vendor=vendor, category=make_category("Home decluttering"),
                         title="Whole-home declutter", base_price_minor=30000)
# No job worker runs beside this site: do the search index job the save queued, as one would.
from marketplace.catalog.tasks import service_reindex
service_reindex(service_ids=[service.pk])
print(service.pk)
"""


class Site:
    """HTTPS requests to nginx from a chosen loopback address, trusting only the test's certificate."""

    def __init__(self, port: int, certificate: Path):
        self.port = port
        self.context = ssl.create_default_context(cafile=str(certificate))

    def request(
        self, method: str, path: str, body: bytes | dict | None = None, *, source: str = "127.0.0.1", headers=None
    ):
        headers = dict(headers or {})
        if isinstance(body, dict):
            body, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=30, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


@pytest.fixture
def served(tmp_path):
    """nginx on 127.0.0.1 in front of gunicorn on 127.0.0.1, the app on a new database with one service."""
    database = stack.require_postgresql()
    paths = {name: tmp_path / name for name in ("static", "media", "private", "acme", "logs", "tls")}
    for path in paths.values():
        path.mkdir()
    paths["certificate"], paths["key"] = stack.self_signed_certificate(paths["tls"])
    http_port, https_port, gunicorn_port = stack.free_port(), stack.free_port(), stack.free_port()
    with stack.new_database(database, "site_nginx") as name:
        env = stack.app_environment(
            stack.database_url(database, name),
            ALLOWED_HOSTS="127.0.0.1",
            SITE_URL=f"https://127.0.0.1:{https_port}",
            CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{https_port}",
            STATIC_ROOT=str(paths["static"]),
            MEDIA_ROOT=str(paths["media"]),
            PRIVATE_MEDIA_ROOT=str(paths["private"]),
            NUM_PROXIES="1",  # behind this one nginx, as docs/operations.md says
            RATE_LIMIT_AUTH="3/min",
            GUNICORN_BIND=f"127.0.0.1:{gunicorn_port}",
            GUNICORN_ACCESS_LOG=str(paths["logs"] / "gunicorn-access.log"),
            WEB_CONCURRENCY="2",
        )
        # A release's steps; collectstatic needs no database, so it runs while migrate does.
        with stack.started(
            [str(stack.PYTHON), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            log=paths["logs"] / "collectstatic.log",
            env=env,
        ) as collectstatic:
            stack.manage("migrate", "--noinput", "--verbosity", "0", env=env)
            assert collectstatic.wait(timeout=stack.RELEASE_STEP_SECONDS) == 0, (
                paths["logs"] / "collectstatic.log"
            ).read_text()

        site_file = tmp_path / "marketplace.conf"
        site_file.write_text(
            stack.example_on_loopback(
                http_port=http_port, https_port=https_port, upstream_port=gunicorn_port, paths=paths
            )
        )
        main = tmp_path / "nginx.conf"
        main.write_text(stack.nginx_main_config(site=site_file, prefix=tmp_path))
        nginx = [stack.NGINX, "-p", str(tmp_path), "-c", str(main), "-g", "daemon off;"]
        tested = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
        assert tested.returncode == 0, tested.stderr

        gunicorn = [str(stack.PYTHON.parent / "gunicorn"), "--config", "site/gunicorn.conf.py", "--no-control-socket"]
        with (
            stack.started([*gunicorn, "marketplace.wsgi"], log=paths["logs"] / "gunicorn.log", env=env) as web,
            stack.started(nginx, log=paths["logs"] / "nginx.log") as proxy,
        ):
            # One organizer's service, made while gunicorn's workers start.
            seeded = subprocess.run(
                [str(stack.PYTHON), "-c", SEED], cwd=stack.ROOT, env=env, capture_output=True, text=True, timeout=60
            )
            assert seeded.returncode == 0, seeded.stderr
            service_id = int(seeded.stdout.split()[-1])
            site = Site(https_port, paths["certificate"])
            stack.wait_until(
                lambda: site.request("GET", "/api/v1/health")[0] == 200,
                what="answer from /api/v1/health through nginx",
                processes=[(web, paths["logs"] / "gunicorn.log"), (proxy, paths["logs"] / "nginx.log")],
            )
            yield site, service_id, http_port, paths["logs"] / "gunicorn-access.log"


def test_nginx_serves_the_app_static_files_client_address_body_limit_and_a_booking(served):
    site, service_id, http_port, app_log = served

    # plain HTTP is sent to HTTPS
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    connection.request("GET", "/organizers/")
    response = connection.getresponse()
    assert (response.status, response.headers["Location"]) == (301, "https://127.0.0.1/organizers/")
    connection.close()

    # static files: a page's stylesheet, served by nginx from STATIC_ROOT, gzipped, cached a year
    status, _, page = site.request("GET", "/")
    stylesheet = re.search(rb'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page).group(1).decode()
    status, headers, body = site.request("GET", stylesheet, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"] == "text/css"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _ = site.request("GET", "/static/" + stylesheet.split("/static/")[1].rsplit(".", 2)[0] + ".css")
    assert (status, headers["Cache-Control"]) == (200, "public, max-age=60")  # the unhashed copy

    # a booking through nginx: a customer signs up, logs in, finds the service, books and pays
    customer = {"email": "casey@example.com", "password": "tidy-nest-2026!", "role": "customer", "full_name": "Casey"}
    status, _, body = site.request("POST", "/api/v1/auth/register", customer)
    assert status == 201, body
    status, _, body = site.request(
        "POST", "/api/v1/auth/login", {"email": customer["email"], "password": customer["password"]}
    )
    assert status == 200, body
    bearer = {"Authorization": f"Bearer {json.loads(body)['access']}"}
    status, headers, body = site.request("GET", "/api/v1/catalog/search?q=declutter")
    assert status == 200, body
    # nginx gives each request an id (32 hex digits), which the app keeps and sends back
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"]), headers["X-Request-ID"]
    assert [found["id"] for found in json.loads(body)["results"]] == [service_id]
    booking = {"service_id": service_id, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "12 Elm St"}
    status, _, body = site.request("POST", "/api/v1/bookings", booking, headers={**bearer, "Idempotency-Key": "site-1"})
    assert status == 201, body
    booking_id = json.loads(body)["id"]
    payment = {"booking_id": booking_id, "payment_method": "pm_card_visa"}
    status, _, body = site.request("POST", "/api/v1/payments/capture", payment, headers=bearer)
    assert status == 200, body
    assert json.loads(body)["payment"]["status"] == "held"
    assert json.loads(body)["payment"]["amount_minor"] == 30000

    # the per-IP rate limit (auth: 3 a minute here) counts the client nginx saw, whatever it claims
    wrong = {"email": customer["email"], "password": "not-the-password"}
    for forged in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        status, _, body = site.request(
            "POST", "/api/v1/auth/login", wrong, source="127.0.0.2", headers={"X-Forwarded-For": forged}
        )
        assert status == 401, body
    status, headers, body = site.request(
        "POST", "/api/v1/auth/login", wrong, source="127.0.0.2", headers={"X-Forwarded-For": "10.0.0.4"}
    )
    assert (status, json.loads(body)["code"]) == (429, "rate_limited")
    assert int(headers["Retry-After"]) > 0
    status, _, body = site.request("POST", "/api/v1/auth/login", wrong, source="127.0.0.3")
    assert status == 401, body  # another client is not limited: the app does not see nginx's address

    # request bodies: the limit passes, one byte more gets nginx's JSON 413 under /api/, its page elsewhere
    status, _, body = site.request(
        "POST", "/api/v1/bookings", b"x" * LIMIT, headers={"Content-Type": "application/json"}
    )
    assert status != 413, body
    status, headers, body = site.request(
        "POST", "/api/v1/bookings", b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"}
    )
    assert (status, headers["Content-Type"]) == (413, "application/json")
    assert json.loads(body) == {
        "detail": "The request body is too large: the limit is 2.5 MB.",
        "code": "payload_too_large",
    }
    status, _, body = site.request("POST", "/account/login/", b"x" * (LIMIT + 1))
    assert status == 413
    assert b"nginx" in body

    # gunicorn saw the API calls (from nginx), and neither the static file nor a refused body
    # (production logs are JSON, one object per line, each with the request id nginx gave it)
    lines = [json.loads(line) for line in app_log.read_text().splitlines() if line.strip()]
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in lines), lines
    access = "\n".join(line["message"] for line in lines)
    assert re.search(r'127\.0\.0\.1 - - "POST /api/v1/payments/capture HTTP/1\.0" 200', access), access
    assert "/static/" not in access
    assert access.count("POST /api/v1/bookings HTTP/1.0") == 2  # the booking and the body at the limit
