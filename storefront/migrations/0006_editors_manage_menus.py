"""The Editors group may change the site's menus (Settings > Menus): menus are theirs to manage."""

from django.db import migrations

EDITORS = "Editors"  # accounts.permissions.EDITORS, frozen here as migrations must be


def grant(apps, schema_editor):
    # Django makes permissions after migrate; this one is made now (the same row it would make).
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group is None:
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="storefront", model="sitemenus")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="change_sitemenus", defaults={"name": "Can change Menus"}
    )
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=EDITORS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="storefront", codename="change_sitemenus")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("storefront", "0005_site_menus"),
        ("accounts", "0004_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
