"""Each organizer's booking rules: a buffer before a job as well as after, and their own notice,
horizon, slot step and daily cap (None = the platform's default setting)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("vendors", "0005_calendar_feed_token")]

    operations = [
        migrations.RemoveConstraint(model_name="vendor", name="vendor_buffer_range"),
        migrations.RenameField(model_name="vendor", old_name="buffer_minutes", new_name="buffer_after_minutes"),
        migrations.AddField(
            model_name="vendor", name="buffer_before_minutes", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="vendor", name="min_notice_minutes", field=models.PositiveIntegerField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="vendor", name="horizon_days", field=models.PositiveIntegerField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="vendor", name="slot_step_minutes", field=models.PositiveIntegerField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="vendor", name="daily_cap", field=models.PositiveSmallIntegerField(blank=True, null=True)
        ),
        migrations.AddConstraint(
            model_name="vendor",
            constraint=models.CheckConstraint(
                condition=models.Q(buffer_before_minutes__lte=1440, buffer_after_minutes__lte=1440),
                name="vendor_buffer_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="vendor",
            constraint=models.CheckConstraint(
                condition=(models.Q(horizon_days__isnull=True) | models.Q(horizon_days__gte=1))
                & (models.Q(slot_step_minutes__isnull=True) | models.Q(slot_step_minutes__gte=15)),
                name="vendor_booking_rules_range",
            ),
        ),
    ]
