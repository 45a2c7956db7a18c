"""Prometheus metrics at /metrics: request latency by route, the money and booking counters, the job queue.

The only module that imports ``prometheus_client``: services call the ``record_*``
functions below, the request middleware and the scrape view live here too.

No state may live in one web process (every gunicorn worker and every ``qcluster``
process counts its own share), so with ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client
runs in multiprocess mode: each process writes its samples to files in that directory and
a scrape, in whichever worker answers it, adds them up. The directory must exist, be shared
by the web and worker processes of a machine, and start empty (docs/operations.md).
Without it (the demo, tests) each process counts alone.

Queue depth and failed jobs are not counted by any process: they are read from the broker
and from django-q2's Failure table when Prometheus scrapes.

Counters move only once the change that they count has committed.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from .db import after_commit, in_unit_of_work

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "marketplace_http_request_duration_seconds",
    "Time to answer a request, by route pattern (not path), method and status class.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
BOOKINGS_REQUESTED = Counter("marketplace_bookings_requested", "Bookings requested by customers.")
PAYMENTS_CAPTURED = Counter("marketplace_payments_captured", "Payments captured into escrow.")
PAYOUTS_SENT = Counter("marketplace_payouts_sent", "Payouts the gateway transferred to organizers.")
PAYOUTS_FAILED = Counter("marketplace_payouts_failed", "Payouts the gateway refused for good.")

# Methods named in the latency metric; anything else is "other", so a client cannot add labels.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"


def _after_commit(call: Callable[[], None]) -> None:
    after_commit(call) if in_unit_of_work() else call()


def record_booking_requested() -> None:
    _after_commit(BOOKINGS_REQUESTED.inc)


def record_payment_captured() -> None:
    _after_commit(PAYMENTS_CAPTURED.inc)


def record_payouts_sent(*, count: int) -> None:
    _after_commit(lambda: PAYOUTS_SENT.inc(count))


def record_payout_failed() -> None:
    _after_commit(PAYOUTS_FAILED.inc)


# --- Requests ----------------------------------------------------------------------------------


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered ("api/v1/bookings/{booking_id}"), never the path: bounded label values."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED_ROUTE
    return match.route


class RequestMetricsMiddleware:
    """Times every request, from the outside of the other middleware to the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        REQUEST_LATENCY.labels(
            route=route_of(request), method=method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


# --- Jobs, read at scrape time ------------------------------------------------------------------


class JobsCollector(Collector):
    """Tasks waiting in the broker and failed tasks kept by django-q2, asked when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django_q.brokers import get_broker
        from django_q.models import Failure

        try:
            queued = get_broker().queue_size()
            failed = Failure.objects.count()
        except Exception:
            # A scrape must answer even when the database is down: /ready says what is wrong.
            logger.warning("Job metrics could not be read", exc_info=True)
            return
        yield GaugeMetricFamily("marketplace_jobs_queued", "Tasks waiting in the job broker.", value=queued)
        yield GaugeMetricFamily(
            "marketplace_jobs_failed", "Failed tasks kept by django-q2 (back office: Failed jobs).", value=failed
        )


# --- The scrape ----------------------------------------------------------------------------------


def _multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def metrics_text() -> bytes:
    """Every process's samples (multiprocess mode) or this process's, then the job gauges."""
    if _multiprocess_dir():
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    jobs = CollectorRegistry()
    jobs.register(JobsCollector())
    return generate_latest(counted) + generate_latest(jobs)


def scrape_allowed(request: HttpRequest) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a direct request (no proxy in between) from METRICS_ALLOWED_IPS.

    A request that came through nginx carries X-Forwarded-For and its REMOTE_ADDR is nginx's
    own (127.0.0.1), so addresses are trusted only for requests that did not.
    """
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    if "X-Forwarded-For" in request.headers:
        return False
    return request.META.get("REMOTE_ADDR", "") in settings.METRICS_ALLOWED_IPS


@require_safe
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """/metrics for Prometheus: 404 while neither METRICS_TOKEN nor METRICS_ALLOWED_IPS is set, 403 to others."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_IPS:
        return HttpResponseNotFound("Metrics are not enabled.", content_type="text/plain")
    if not scrape_allowed(request):
        return HttpResponseForbidden("Metrics need the bearer token or an allowed address.", content_type="text/plain")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
