"""A fresh install behaves like production: `manage.py migrate` alone makes a site that answers.

The cache is a database table unless REDIS_URL is set, and Django's `migrate` does not
create cache tables (`createcachetable` is a separate command): a migration of
marketplace.core does it, so nothing else has to be remembered.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]

# The production settings, except that static files are not collected: `collectstatic`
# is its own release step (the demo in CI serves with the manifest storage). Everything
# this test is about, the database, its cache table and the pages, is production's.
SETTINGS = """
from marketplace.settings.production import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
"""

SERVE = """
import json

import django

django.setup()

from django.conf import settings
from django.test import Client

client = Client(HTTP_HOST="localhost", raise_request_exception=False)
statuses = {path: client.get(path, secure=True).status_code for path in ("/", "/admin/login/", "/api/v1/docs")}
home = client.get("/", secure=True).content.decode()
print(json.dumps({
    "debug": settings.DEBUG,
    "cache": settings.CACHES["default"]["BACKEND"],
    "statuses": statuses,
    "home_is_the_marketplace_home_page": "Find a professional organizer you can trust" in home,
}))
"""


def _fresh_install_env(tmp_path: Path) -> dict:
    (tmp_path / "fresh_install_settings.py").write_text(SETTINGS)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "REDIS_", "OPENSEARCH_", "PYTEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fresh_install_settings",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
        SECRET_KEY="fresh-install-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        REDIS_URL="",  # set, so that a .env file at the root cannot choose Redis
        OPENSEARCH_URL="",
        LOG_LEVEL="WARNING",
    )
    return env


def test_after_migrate_alone_a_fresh_database_serves_the_home_page_the_admin_and_the_api_docs(tmp_path):
    # given a brand-new SQLite file and the production settings (DEBUG off, the database cache)
    env = _fresh_install_env(tmp_path)

    # when `manage.py migrate` runs, and nothing else
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    served = subprocess.run(
        [sys.executable, "-c", SERVE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    # then the pages answer 200, and / is the marketplace's home page (migration
    # storefront 0002 replaced Wagtail's "Welcome to your new Wagtail site!" page)
    assert migrate.returncode == 0, migrate.stderr
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout) == {
        "debug": False,
        "cache": "django.core.cache.backends.db.DatabaseCache",
        "statuses": {"/": 200, "/admin/login/": 200, "/api/v1/docs": 200},
        "home_is_the_marketplace_home_page": True,
    }


DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_cache"}}
CACHE_MIGRATION = ("core", "0002_database_cache_table")
BEFORE_IT = ("core", "0001_initial")


def _migrate_to(target: tuple[str, str]) -> None:
    """Apply or unapply the core migrations up to target, without `migrate`'s signals."""
    MigrationExecutor(connection).migrate([target])


# transaction=True: SQLite cannot change its schema inside the test's transaction; like the
# other committing tests, the data of the migrations (page tree, schedules) is restored after.
migrates = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@migrates
def test_the_core_migration_creates_the_database_cache_table_and_its_reverse_drops_it():
    # given the database cache, and the cache migration unapplied
    with override_settings(CACHES=DATABASE_CACHE):
        _migrate_to(BEFORE_IT)
        before = "test_cache" in connection.introspection.table_names()

        # when the migration runs
        _migrate_to(CACHE_MIGRATION)

        # then the cache table is there and works; reversing the migration drops it
        assert before is False
        assert "test_cache" in connection.introspection.table_names()
        cache.set("greeting", "hello")
        assert cache.get("greeting") == "hello"
        _migrate_to(BEFORE_IT)
        assert "test_cache" not in connection.introspection.table_names()
    _migrate_to(CACHE_MIGRATION)


@migrates
def test_with_a_cache_that_is_not_the_database_the_core_migration_creates_no_table():
    # given the test settings' local memory cache, and the cache migration unapplied
    _migrate_to(BEFORE_IT)
    before = set(connection.introspection.table_names())

    # when the migration runs
    _migrate_to(CACHE_MIGRATION)

    # then no table was created
    assert set(connection.introspection.table_names()) == before
