"""Migration operations that depend on the database engine or on the settings."""

from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import migrations, router


class RunSQLOnPostgres(migrations.RunSQL):
    """Run SQL on PostgreSQL only; a no-op on SQLite (which enforces the rule in code)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def create_database_cache_tables(apps, schema_editor):
    """Create the table of every database cache in settings.CACHES: `manage.py createcachetable`.

    Without it a fresh `migrate` leaves a site whose cache is the database answering 500
    ("no such table") until someone remembers the extra command. With Redis or any other
    cache there is no such table and this does nothing; a table that exists is left alone.
    """
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_database_cache_tables(apps, schema_editor):
    """Reverse of create_database_cache_tables: a cache holds nothing that must survive."""
    connection = schema_editor.connection
    for alias in caches:
        cache = caches[alias]
        if isinstance(cache, BaseDatabaseCache) and router.allow_migrate_model(
            connection.alias, cache.cache_model_class
        ):
            schema_editor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(cache._table)}")
