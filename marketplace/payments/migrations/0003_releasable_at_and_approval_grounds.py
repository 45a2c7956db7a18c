"""The money service keeps its own state: when escrow became due for release, and why a payout waits.

Until now a payment's release checked its booking's status, so payments depended on
bookings both ways. ``releasable_at`` is filled from the booking's completion time
for payments of completed bookings; the approval grounds of payouts still waiting are
worked out by today's rules. The release sweep's schedule takes its new name.
"""

from django.conf import settings
from django.db import migrations, models

OLD_SWEEP, NEW_SWEEP = "marketplace.payments.tasks.release_due_payouts", "marketplace.payments.tasks.escrow_release_sweep"
OLD_NAME, NEW_NAME = "payments: release due payouts", "payments: escrow release sweep"


def fill(apps, schema_editor):
    Transaction = apps.get_model("payments", "Transaction")
    for payment in Transaction.objects.filter(booking__status="completed").select_related("booking__vendor"):
        payment.releasable_at = payment.booking.completed_at or payment.released_at or payment.captured_at
        if payment.payout_needs_approval:
            grounds = []
            if payment.amount_minor > settings.PAYOUT_APPROVAL_THRESHOLD_MINOR:
                grounds.append("amount_above_threshold")
            if payment.booking.vendor.payouts_need_approval:
                grounds.append("vendor_flagged")
            payment.payout_approval_grounds = grounds
        payment.save(update_fields=["releasable_at", "payout_approval_grounds"])
    apps.get_model("django_q", "Schedule").objects.filter(name=OLD_NAME).update(name=NEW_NAME, func=NEW_SWEEP)


def unfill(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NEW_NAME).update(name=OLD_NAME, func=OLD_SWEEP)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_schedules"),
        ("bookings", "0004_schedules"),
    ]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="releasable_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="transaction",
            name="payout_approval_grounds",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill, unfill),
    ]
