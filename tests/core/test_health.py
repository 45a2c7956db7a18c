"""/health says the process answers; /ready says every service it needs answers, or which did not."""

import json
import threading

import pytest
from django.core.cache import caches

from marketplace.core import health


def test_health_answers_without_touching_the_database(client):
    # no django_db mark: a query would raise
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


def test_the_api_health_says_the_same_with_its_version(client):
    response = client.get("/api/v1/health")

    assert response.json() == {"status": "ok", "version": "1.0.0"}


@pytest.mark.django_db
def test_ready_when_every_service_answers(client):
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "search": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_failing_cache_makes_ready_503_naming_it_without_the_error_message(client, monkeypatch):
    # given a cache that refuses every write, with a secret in its error message
    def refuse(*args, **kwargs):
        raise ConnectionError("redis://:hunter2@cache.internal:6379 refused")

    # (on the class: each thread has its own cache object, and the checks run in threads)
    monkeypatch.setattr(type(caches["default"]), "set", refuse)

    # when the load balancer asks
    response = client.get("/ready")

    # then 503 names the cache and nothing else, and the secret stays out of the answer
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "failed (ConnectionError)", "broker": "ok", "search": "ok"},
        "failed": ["cache"],
        "message": "Not ready: cache failed (ConnectionError).",
    }
    assert "hunter2" not in response.content.decode()


@pytest.mark.django_db
def test_a_hung_check_is_reported_as_timed_out_within_the_bound(client, monkeypatch, settings):
    settings.READY_CHECK_TIMEOUT_SECONDS = 0.2
    release = threading.Event()
    monkeypatch.setitem(health.CHECKS, "search", lambda: release.wait(5))
    try:
        response = client.get("/ready")
    finally:
        release.set()

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["search"] == "timed out"
    assert body["failed"] == ["search"]


def test_ready_refuses_writes(client):
    assert client.post("/ready").status_code == 405
    assert client.post("/health").status_code == 405
