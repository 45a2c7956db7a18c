"""Each category page now presents a domain category (catalog.Category).

Copies every category page into a Category with the same id, name (the page's
title), slug, commission and menu position, active when the page is live; links the
page to it; and points every service at it through the temporary key catalog 0003
added. Runs before catalog 0004, which makes that key the services' category.
"""

import django.db.models.deletion
from django.db import migrations, models


def pages_to_categories(apps, schema_editor):
    CategoryPage = apps.get_model("storefront", "CategoryPage")
    Category = apps.get_model("catalog", "Category")
    Service = apps.get_model("catalog", "Service")
    pages = list(CategoryPage.objects.order_by("path"))
    names: set[str] = set()
    for position, page in enumerate(pages):
        name = page.title[:120]
        if name.lower() in names:  # two pages with one title: the slug tells them apart
            name = f"{name[:100]} ({page.slug})"[:120]
        names.add(name.lower())
        category = Category.objects.create(
            id=page.pk,
            name=name,
            slug=page.slug,
            commission_bps=page.commission_bps,
            position=position,
            is_active=page.live,
        )
        page.category_id = category.pk
        page.save(update_fields=["category"])
        Service.objects.filter(category_id=page.pk).update(domain_category_id=category.pk)
    if pages and schema_editor.connection.vendor == "postgresql":
        # Ids were given explicitly: move the sequence past them so new categories get fresh ones.
        with schema_editor.connection.cursor() as cursor:
            for statement in schema_editor.connection.ops.sequence_reset_sql(schema_editor.connection.no_style(), [Category]):
                cursor.execute(statement)


def categories_to_pages(apps, schema_editor):
    CategoryPage = apps.get_model("storefront", "CategoryPage")
    Service = apps.get_model("catalog", "Service")
    for page in CategoryPage.objects.select_related("category").exclude(category=None):
        page.commission_bps = page.category.commission_bps
        page.save(update_fields=["commission_bps"])
        Service.objects.filter(domain_category_id=page.category_id).update(category_id=page.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("storefront", "0002_create_page_tree"),
        ("catalog", "0003_category"),
    ]
    # The domain must not depend on a face, so catalog 0004 cannot name this migration;
    # this migration names it instead.
    run_before = [
        ("catalog", "0004_service_category"),
    ]

    operations = [
        migrations.AddField(
            model_name="categorypage",
            name="category",
            field=models.OneToOneField(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="page", to="catalog.category"
            ),
        ),
        migrations.RunPython(pages_to_categories, categories_to_pages),
    ]
