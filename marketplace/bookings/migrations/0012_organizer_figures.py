"""When the organizer answered a request (their response time), and each organizer's jobs done so far.

Requests answered before this migration have no ``answered_at``: response times start from the
answers after it (``Vendor.response_minutes`` stays empty until an organizer has three).
"""

from django.db import migrations, models
from django.db.models import Count


def count_jobs(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    Vendor = apps.get_model("vendors", "Vendor")
    done = Booking.objects.filter(completed_at__isnull=False).values("vendor_id").annotate(jobs=Count("id"))
    for row in done:
        Vendor.objects.filter(pk=row["vendor_id"]).update(jobs_completed=row["jobs"])


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0011_search_next_available_schedule"),
        ("vendors", "0008_organizer_figures"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="answered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(count_jobs, migrations.RunPython.noop),
    ]
