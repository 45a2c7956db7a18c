"""The "manage_jobs" staff permission: see failed background jobs in the back office, retry or delete them.

Admins hold it by role (accounts.backends.AdminRoleBackend), so no group is given it here;
the row is made now so the Wagtail group editor offers it at once.
"""

from django.db import migrations


def create_permission(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="staffpermission")
    Permission.objects.get_or_create(
        content_type=content_type,
        codename="manage_jobs",
        defaults={"name": "See failed background jobs, and retry or delete them"},
    )


def remove_permission(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="accounts", codename="manage_jobs"
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_staff_groups'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='staffpermission',
            options={'default_permissions': (), 'managed': False, 'permissions': [('verify_organizers', 'Verify, reject and suspend organizers'), ('manage_bookings', 'See every booking, and cancel one at any time'), ('resolve_disputes', 'Resolve disputes'), ('refund_up_to_limit', 'Refund payments up to STAFF_REFUND_LIMIT_MINOR'), ('refund_payments', 'Refund payments of any amount'), ('approve_payouts', 'See payouts, approve those that wait, and hold or release escrow'), ('view_ledger', 'See the ledger'), ('export_data', 'Export money records (CSV)'), ('view_audit_log', 'See the audit log'), ('manage_categories', 'Add and change service categories'), ('manage_jobs', 'See failed background jobs, and retry or delete them')]},
        ),
        migrations.RunPython(create_permission, remove_permission),
    ]
