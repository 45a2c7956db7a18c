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


class RunSQLOnSQLite(migrations.RunSQL):
    """Run SQL on SQLite only; a no-op on PostgreSQL (which has its own form of the same thing)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# Where the operations guide tells how to install each extension the schema needs.
EXTENSION_HELP = {
    "postgis": "install PostGIS on the database server (Debian: apt-get install -y postgresql-15-postgis-3; "
    "docs/operations.md, 'PostgreSQL extensions')",
}


class CreatePostgresExtensions(migrations.RunPython):
    """CREATE EXTENSION for each of ``names`` on PostgreSQL, after checking that the server has it.

    A server without one (PostGIS is a package of its own) stops the migration with a
    message that says which and how to install it, instead of PostgreSQL's bare
    'could not open extension control file'. A no-op on SQLite.
    """

    reduces_to_sql = False

    def __init__(self, *names: str):
        self.names = names
        super().__init__(self._create, migrations.RunPython.noop)

    def deconstruct(self):
        return (self.__class__.__qualname__, self.names, {})

    def _create(self, apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", [list(self.names)])
            available = {row[0] for row in cursor.fetchall()}
            missing = [name for name in self.names if name not in available]
            if missing:
                from django.core.exceptions import ImproperlyConfigured

                raise ImproperlyConfigured(
                    f"The PostgreSQL server at {connection.settings_dict.get('HOST') or 'the local socket'} lacks the "
                    f"extension(s) {', '.join(missing)} that the search needs: "
                    + "; ".join(EXTENSION_HELP.get(name, f"install {name}") for name in missing)
                    + "."
                )
            for name in self.names:
                cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {connection.ops.quote_name(name)}")
