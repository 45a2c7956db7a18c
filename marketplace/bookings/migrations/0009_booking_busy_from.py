"""A booking holds the organizer's buffer before it too: [busy_from, busy_until) may not overlap.

Existing bookings were made without a buffer before, so their busy_from is their start.
PostgreSQL's exclusion constraint (0003) now compares [busy_from, busy_until).
"""

from django.db import migrations, models
from django.db.models import F

from marketplace.core.migration_operations import RunSQLOnPostgres


def busy_from_is_start(apps, schema_editor):
    apps.get_model("bookings", "Booking").objects.update(busy_from=F("starts_at"))


class Migration(migrations.Migration):
    dependencies = [("bookings", "0008_booking_calendar_sequence")]

    operations = [
        migrations.AddField(model_name="booking", name="busy_from", field=models.DateTimeField(null=True)),
        migrations.RunPython(busy_from_is_start, migrations.RunPython.noop),
        migrations.AlterField(model_name="booking", name="busy_from", field=models.DateTimeField()),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.CheckConstraint(
                condition=models.Q(busy_from__lte=F("starts_at")), name="booking_busy_from_before_start"
            ),
        ),
        RunSQLOnPostgres(
            sql="""
                ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap_per_vendor;
                ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap_per_vendor
                EXCLUDE USING gist (vendor_id WITH =, tstzrange(busy_from, busy_until, '[)') WITH &&)
                WHERE (status IN ('requested', 'confirmed', 'completed', 'disputed'))
            """,
            reverse_sql="""
                ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap_per_vendor;
                ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap_per_vendor
                EXCLUDE USING gist (vendor_id WITH =, tstzrange(starts_at, busy_until, '[)') WITH &&)
                WHERE (status IN ('requested', 'confirmed', 'completed', 'disputed'))
            """,
        ),
    ]
