"""Settings for the test suite: fast, offline, deterministic.

The database still comes from DATABASE_URL, so the same suite runs on PostgreSQL
(CI) and on the embedded SQLite default.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key-0123456789abcdefghij")

from .base import *  # noqa: F403

DEBUG = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so tests that use real threads share one database;
    # one file per run, so parallel runs on one machine do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# WhiteNoise scans STATIC_ROOT when the app starts; the tests never collect static files,
# so point it away from var/static, which a concurrent collectstatic may be rewriting.
STATIC_ROOT = BASE_DIR / "var" / "test-static"  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
PAYMENTS_GATEWAY = "local"
# The suite searches services with the database engine even when OPENSEARCH_URL is set:
# tests/search/test_opensearch_live.py runs the OpenSearch engine on a throwaway index of its own.
SEARCH_ENGINE = os.environ.get("SEARCH_ENGINE") or "database"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
LOGGING["loggers"] = {
    **LOGGING["loggers"],
    "django-q": {**LOGGING["loggers"]["django-q"], "level": "ERROR"},
    "django.request": {"level": "ERROR"},
}
