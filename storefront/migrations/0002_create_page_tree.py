"""Replace Wagtail's placeholder page with the marketplace's page tree.

Home (/) with two sections: Categories (/categories/) and Organizers
(/organizers/). Demo content is added by `manage.py demo_load`, not here.
"""

import uuid

from django.db import migrations

TREE = [
    # (model, path, depth, slug, title, url_path, extra fields)
    ("homepage", "00010001", 2, "home", "Home", "/home/", {
        "hero_title": "Find a professional organizer you can trust",
        "hero_text": "Book vetted organizers for decluttering, moving, closets and events. "
                     "Pay securely: your money is held until you confirm the work is done.",
        "body": "[]",
    }),
    ("categoryindexpage", "000100010001", 3, "categories", "Categories", "/home/categories/", {"intro": ""}),
    ("vendorindexpage", "000100010002", 3, "organizers", "Organizers", "/home/organizers/", {"intro": ""}),
]


def create_tree(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")

    Page.objects.filter(depth=2, content_type__app_label="wagtailcore", content_type__model="page").delete()
    locale = Locale.objects.order_by("pk").first()
    for model, path, depth, slug, title, url_path, extra in TREE:
        content_type, _ = ContentType.objects.get_or_create(app_label="storefront", model=model)
        apps.get_model("storefront", model).objects.create(
            title=title, draft_title=title, slug=slug, content_type=content_type, path=path, depth=depth,
            numchild=2 if depth == 2 else 0, url_path=url_path, live=True, locale=locale,
            translation_key=uuid.uuid4(), **extra,
        )
    home = Page.objects.get(path="00010001")
    Site.objects.filter(is_default_site=True).delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Tidy Nest")
    root = Page.objects.get(depth=1)
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])


def remove_tree(apps, schema_editor):
    apps.get_model("wagtailcore.Page").objects.filter(path__startswith="00010001").delete()


class Migration(migrations.Migration):
    dependencies = [("storefront", "0001_initial"), ("wagtailcore", "0001_initial")]

    operations = [migrations.RunPython(create_tree, remove_tree)]
