"""The staff groups: Support and Finance bundle named permissions; Editors (Wagtail's) get none of them.

The permission rows are made here rather than left to Django's post-migrate step, so the
groups can be given them in the same migration. The groups stay editable in the Wagtail
admin; this migration only makes sure they exist with what marketplace.accounts.permissions
says (it is safe to run on a database where someone already made them).
"""

from django.db import migrations

# A copy, as a migration must not import code that may change later.
PERMISSIONS = {
    "verify_organizers": "Verify, reject and suspend organizers",
    "manage_bookings": "See every booking, and cancel one at any time",
    "resolve_disputes": "Resolve disputes",
    "refund_up_to_limit": "Refund payments up to STAFF_REFUND_LIMIT_MINOR",
    "refund_payments": "Refund payments of any amount",
    "approve_payouts": "See payouts, approve those that wait, and hold or release escrow",
    "view_ledger": "See the ledger",
    "export_data": "Export money records (CSV)",
    "view_audit_log": "See the audit log",
    "manage_categories": "Add and change service categories",
}
GROUPS = {
    "Support": ["verify_organizers", "manage_bookings", "resolve_disputes", "refund_up_to_limit", "view_audit_log"],
    "Finance": ["approve_payouts", "refund_payments", "view_ledger", "export_data", "view_audit_log"],
    "Editors": [],
}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="staffpermission")
    permissions = {
        codename: Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    }
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin, *(permissions[codename] for codename in codenames))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Support", "Finance"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_permissions"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
