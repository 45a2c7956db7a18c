"""The database cache's table, so that `manage.py migrate` alone makes a working site.

Without REDIS_URL the cache (rate-limit counters, Wagtail's site lookups) is the table
`marketplace_cache`, and Django's `migrate` does not create cache tables: a fresh
install answered 500 until `manage.py createcachetable` ran. This runs it. With Redis
(or any other cache) it does nothing; a table that already exists is left alone, so
databases that ran `createcachetable` before are fine. Switching an existing install
from Redis to the database cache later needs `manage.py createcachetable` once.
"""

from django.db import migrations

from marketplace.core.migration_operations import create_database_cache_tables, drop_database_cache_tables


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_database_cache_tables, drop_database_cache_tables)]
