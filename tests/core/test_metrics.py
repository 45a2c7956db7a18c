"""/metrics: Prometheus's text format, for the scraper only, with latency by route and the marketplace's counters."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_q.brokers import get_broker
from django_q.models import Failure
from prometheus_client import REGISTRY

from marketplace.bookings import services as bookings
from marketplace.core.errors import ValidationFailed

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-scrape-token"
MONDAY = datetime(2027, 6, 7, 9, 0, tzinfo=ZoneInfo("America/New_York"))
COUNTERS = ("bookings_requested", "payments_captured", "payouts_sent", "payouts_failed")


def counted() -> dict[str, float]:
    return {name: REGISTRY.get_sample_value(f"marketplace_{name}_total") or 0.0 for name in COUNTERS}


def latency_count(*, route: str, method: str = "GET", status: str = "2xx") -> float:
    labels = {"route": route, "method": method, "status": status}
    return REGISTRY.get_sample_value("marketplace_http_request_duration_seconds_count", labels) or 0.0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return TOKEN


@pytest.mark.django_db
def test_a_scrape_with_the_token_answers_every_metric_in_the_text_format(client, metrics_token):
    # given a failed job and a queued one
    Failure.objects.create(
        id="f1",
        name="alpha-bravo",
        func="marketplace.x.tasks.t",
        args=(),
        kwargs={},
        success=False,
        started=MONDAY,
        stopped=MONDAY,
        result="boom",
        attempt_count=1,
    )
    client.get("/health")

    response = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    for name in (
        "marketplace_http_request_duration_seconds_bucket",
        "marketplace_bookings_requested_total",
        "marketplace_payments_captured_total",
        "marketplace_payouts_sent_total",
        "marketplace_payouts_failed_total",
    ):
        assert f"\n{name}" in text, name
    assert f"\nmarketplace_jobs_queued {float(get_broker().queue_size())}" in text  # ORM or Redis, as configured
    assert "\nmarketplace_jobs_failed 1.0" in text
    assert 'route="health"' in text
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_latency_is_labelled_by_route_pattern_not_by_path(client):
    health, unknown_api = latency_count(route="api/v1/health"), latency_count(route="^api/", status="4xx")

    client.get("/api/v1/health")
    client.get("/api/v1/health?x=1")
    client.get("/api/no-such-thing-1")
    client.get("/api/no-such-thing-2")

    assert latency_count(route="api/v1/health") == health + 2
    assert latency_count(route="^api/", status="4xx") == unknown_api + 2


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}],
)
def test_a_scrape_without_the_token_is_refused(client, metrics_token, headers):
    response = client.get("/metrics", headers=headers)

    assert response.status_code == 403
    assert b"marketplace_" not in response.content


def test_an_allowed_address_may_scrape_but_not_through_the_proxy(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("marketplace.core.metrics.JobsCollector.collect", lambda self: iter(()))
        direct = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": "203.0.113.9"})
    elsewhere = client.get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert (direct.status_code, proxied.status_code, elsewhere.status_code) == (200, 403, 403)


@pytest.mark.django_db  # a 404 passes Wagtail's redirects middleware, which looks in the database
def test_metrics_are_off_until_a_token_or_an_address_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    response = client.get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 404
    assert b"marketplace_" not in response.content


@pytest.mark.django_db
def test_a_booking_paid_and_completed_counts_once_in_each_counter(customer, service):
    before = counted()

    with time_machine.travel(MONDAY, tick=False) as clock:
        booking = bookings.booking_request(
            customer=customer,
            service_id=service.pk,
            starts_at=(MONDAY + timedelta(days=5)).replace(hour=10),
            address="12 Elm St, Brooklyn, NY",
        )
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")
        booking.refresh_from_db()
        clock.move_to(booking.ends_at + timedelta(minutes=5))
        bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)

    after = counted()
    assert {name: after[name] - before[name] for name in COUNTERS} == {
        "bookings_requested": 1.0,
        "payments_captured": 1.0,
        "payouts_sent": 1.0,
        "payouts_failed": 0.0,
    }


@pytest.mark.django_db
def test_a_refused_booking_counts_nothing(customer, service):
    before = counted()

    with pytest.raises(ValidationFailed):
        bookings.booking_request(
            customer=customer, service_id=service.pk, starts_at=MONDAY + timedelta(days=5), address=" "
        )

    assert counted() == before


COUNT_ONE_BOOKING = """
import django
django.setup()
from marketplace.core import metrics
metrics.record_booking_requested()
"""

SCRAPE = """
import django
django.setup()
from marketplace.core import metrics
print(metrics.metrics_text().decode())
"""


def test_in_multiprocess_mode_a_scrape_adds_up_every_process(tmp_path):
    # given two processes (two gunicorn workers, a qcluster) that each counted a booking
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        LOG_LEVEL="ERROR",
    )
    (tmp_path / "metrics").mkdir()

    def python(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    python(COUNT_ONE_BOOKING)
    python(COUNT_ONE_BOOKING)

    # when a third one answers the scrape
    text = python(SCRAPE)

    # then it reports both
    assert "\nmarketplace_bookings_requested_total 2.0" in text
