"""Periodic jobs: expire stale requests, complete bookings whose release timer ran out."""

from django.db import migrations

SCHEDULES = [
    ("bookings: expire stale requests", "marketplace.bookings.tasks.expire_stale_requests", 5),
    ("bookings: complete due bookings", "marketplace.bookings.tasks.complete_due_bookings", 15),
]


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("bookings", "0003_no_overlap_exclusion"), ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
