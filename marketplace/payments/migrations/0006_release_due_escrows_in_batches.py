"""Escrows are released in batches: the scheduled safety net runs the same job as each release request.

A partial index holds the payments still in escrow and due, in the order the release
job takes them: when many jobs were queued at once, all but the first few find
nothing, and that lookup must cost next to nothing.

The schedule "payments: escrow release sweep" called ``escrow_release_sweep``, which
released due escrows one transaction each; it now runs ``escrow_release_due``, which
releases them a batch per transaction.
"""

from django.db import migrations, models

OLD = ("payments: escrow release sweep", "marketplace.payments.tasks.escrow_release_sweep")
NEW = ("payments: release due escrows", "marketplace.payments.tasks.escrow_release_due")


def rename(apps, schema_editor, *, old=OLD, new=NEW):
    apps.get_model("django_q", "Schedule").objects.filter(name=old[0]).update(name=new[0], func=new[1])


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_append_only_ledger_and_recovery_schedule")]

    operations = [
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("releasable_at__isnull", False), ("status", "held")),
                fields=["releasable_at", "id"],
                name="transaction_held_releasable",
            ),
        ),
        migrations.RunPython(rename, rename_back),
    ]
