"""Migration operations that apply only on one database engine."""

from django.db import migrations


class RunSQLOnPostgres(migrations.RunSQL):
    """Run SQL on PostgreSQL only; a no-op on SQLite (which enforces the rule in code)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
