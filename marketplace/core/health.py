"""Liveness (/health) and readiness (/ready) for load balancers, systemd and Kubernetes probes.

Liveness says the process answers: it touches nothing, so a slow database never gets a
healthy web worker restarted. Readiness says this process can serve a request now: the
database, the cache (rate limits, sign-in lockouts), the job broker and the search backend
each answer a trivial question within READY_CHECK_TIMEOUT_SECONDS. The checks run at once,
each in a thread of its own, so the probe answers within that bound however a service hangs.

A failed check names itself and the kind of error (an exception's class), never its
message: connection errors can carry host names, URLs and passwords.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

CACHE_PROBE_KEY = "marketplace:ready-probe"


def liveness() -> dict[str, str]:
    """What a live process answers; the API's /api/v1/health adds its version."""
    return {"status": "ok"}


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1 did not answer 1")


def check_cache() -> None:
    """Write and read back a value: a Redis that accepts connections but refuses writes is not ready."""
    cache = caches["default"]
    token = secrets.token_hex(8)
    cache.set(CACHE_PROBE_KEY, token, timeout=30)
    if cache.get(CACHE_PROBE_KEY) != token:
        raise RuntimeError("the cache did not return what was written")


def check_broker() -> None:
    """The queue's length: a query on the ORM broker's table, LLEN on Redis (the ORM broker's ping() checks nothing)."""
    from django_q.brokers import get_broker

    broker = get_broker()
    broker.ping()
    broker.queue_size()


def check_search() -> None:
    """OpenSearch: a ping; the database backend: one row of its index table."""
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    client = getattr(backend, "es", None)
    if client is not None:
        if not client.ping():
            raise ConnectionError("the search server did not answer its ping")
        return
    from wagtail.search.models import IndexEntry

    IndexEntry.objects.only("pk").first()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "search": check_search,
}


def _run_in_thread(check: Callable[[], None]) -> None:
    try:
        check()
    finally:
        # This thread's own database connections: a probe every few seconds must not leak them.
        connections.close_all()


def readiness(*, timeout: float | None = None) -> tuple[bool, dict[str, str]]:
    """Run every check at once; each answers "ok", "failed (ErrorClass)" or "timed out"."""
    timeout = settings.READY_CHECK_TIMEOUT_SECONDS if timeout is None else timeout
    executor = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="ready-check")
    futures = {name: executor.submit(_run_in_thread, check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=timeout)
    # A hung check's thread is left to finish on its own: the probe does not wait for it.
    executor.shutdown(wait=False, cancel_futures=True)
    results: dict[str, str] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = "timed out"
            logger.warning("Readiness check %s timed out after %ss", name, timeout)
            continue
        error = future.exception()
        if error is None:
            results[name] = "ok"
        else:
            results[name] = f"failed ({type(error).__name__})"
            logger.warning("Readiness check %s failed", name, exc_info=error)
    return all(result == "ok" for result in results.values()), results


@require_safe
@never_cache
def health_view(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 while the process answers; no database, no session, no authentication."""
    return JsonResponse(liveness())


@require_safe
@never_cache
def ready_view(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every service answers, else 503 naming what failed."""
    ready, checks = readiness()
    if ready:
        return JsonResponse({"status": "ready", "checks": checks})
    failed = [name for name, result in checks.items() if result != "ok"]
    message = "Not ready: " + ", ".join(f"{name} {checks[name]}" for name in failed) + "."
    return JsonResponse(
        {"status": "unavailable", "checks": checks, "failed": failed, "message": message},
        status=503,
    )
