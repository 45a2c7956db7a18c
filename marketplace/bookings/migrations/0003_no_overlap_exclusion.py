"""No two active bookings of one vendor may overlap, enforced by PostgreSQL itself.

The range is [starts_at, busy_until): the booking plus the vendor's buffer. Only
statuses that hold the vendor's time take part (see bookings.models.ACTIVE_STATUSES).
On SQLite the booking service checks the same rule inside an IMMEDIATE transaction.
"""

from django.db import migrations

from marketplace.core.migration_operations import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("bookings", "0002_initial")]

    operations = [
        RunSQLOnPostgres(
            sql="CREATE EXTENSION IF NOT EXISTS btree_gist",
            reverse_sql=migrations.RunSQL.noop,
        ),
        RunSQLOnPostgres(
            sql="""
                ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap_per_vendor
                EXCLUDE USING gist (vendor_id WITH =, tstzrange(starts_at, busy_until, '[)') WITH &&)
                WHERE (status IN ('requested', 'confirmed', 'completed', 'disputed'))
            """,
            reverse_sql="ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap_per_vendor",
        ),
    ]
