"""The ledger is append-only in the database, and a job finishes interrupted money movements.

On PostgreSQL a trigger refuses every UPDATE and DELETE of a ledger entry or line: a
mistake is corrected by a new posting. (A test database is emptied with TRUNCATE,
which row triggers do not see.) SQLite has no such guard beyond the models' own
refusal to save or delete a posted row.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION payments_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused; post a correcting entry instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
TABLES = ("payments_ledgerentry", "payments_ledgerline")


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function's RAISE format has '%' placeholders that psycopg must not interpolate.
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS payments_ledger_append_only()")


SWEEP = "payments: finish interrupted money movements"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SWEEP,
        defaults={
            "func": "marketplace.payments.tasks.movement_recover_sweep",
            "schedule_type": "I",
            "minutes": 2,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_movements_payouts_holds_partial_refunds")]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
