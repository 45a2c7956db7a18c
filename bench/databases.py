"""The benchmarks' own PostgreSQL databases: made fresh for a run, dropped after it."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """The server ``DATABASE_URL`` names when it is PostgreSQL, else the local one as ``postgres``."""
    url = os.environ.get("DATABASE_URL", "")
    return url if urlsplit(url).scheme in ("postgres", "postgresql", "pgsql") else DEFAULT_SERVER


def maintenance(url: str):
    """A connection to the server's ``postgres`` database, in autocommit (CREATE and DROP DATABASE)."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(url: str, name: str) -> str:
    """Drop ``name`` if it exists, create it empty, and return its URL on the same server."""
    from psycopg import sql

    with maintenance(url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def drop_database(url: str, name: str) -> None:
    """Close Django's connections, then drop ``name``."""
    from django.db import connections

    connections.close_all()
    drop_unused_database(url, name)


def drop_unused_database(url: str, name: str) -> None:
    """Drop ``name`` from a process that holds no connection to it (one that never set up Django)."""
    from psycopg import sql

    with maintenance(url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def verified_organizer(*, admin, number: int, password: str):
    """Organizer ``number`` (``organizer-N@bench.test``), with a profile and verified by ``admin``: (user, vendor)."""
    from marketplace.accounts.services import user_register
    from marketplace.vendors.services import vendor_profile_upsert, vendor_verify

    user = user_register(
        email=f"organizer-{number}@bench.test", password=password, role="vendor", full_name=f"Organizer {number}"
    )
    vendor, _ = vendor_profile_upsert(
        user=user,
        business_name=f"Bench Organizing {number}",
        city="Brooklyn, NY",
        latitude="40.678200",
        longitude="-73.944200",
        time_zone="UTC",
    )
    vendor_verify(admin=admin, vendor_id=vendor.pk, decision="verified")
    return user, vendor


LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def production_cache() -> str:
    """The Redis a benchmark's app caches in, as production does (``REDIS_URL``, recommended in
    docs/operations.md: the rate-limit counters and the cache), or "" when none answers.

    ``REDIS_URL`` when set (an empty one: none, the database cache), else the local server on
    its default port when it answers a PING within a second.
    """
    url = os.environ.get("REDIS_URL", LOCAL_REDIS)
    if not url:
        return ""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError:
        return ""
    return url
