"""Bookings made in a period are counted by day on the back office's dashboard: index when they were made."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0006_paid_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(fields=["created_at"], name="booking_created_at"),
        ),
    ]
