"""Categories become a domain model (catalog.Category), step 1 of 2.

Until now a service's category was a Wagtail page (storefront.CategoryPage), which
held the category's commission. This creates the Category table and a second,
temporary foreign key on Service. storefront 0003 then copies every category page
into a Category with the same id (so category ids in the API and in links do not
change) and points each service at it; 0004 drops the old key.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Category",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("name", models.CharField(max_length=120, unique=True)),
                ("slug", models.SlugField(max_length=140, unique=True)),
                ("commission_bps", models.PositiveIntegerField(blank=True, null=True)),
                ("position", models.PositiveIntegerField(default=0, help_text="Lower comes first in lists and menus.")),
                ("is_active", models.BooleanField(default=True)),
            ],
            options={
                "verbose_name_plural": "categories",
                "ordering": ["position", "name", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("commission_bps__isnull", True), ("commission_bps__lte", 10000), _connector="OR"),
                        name="category_commission_bps_range",
                    )
                ],
            },
        ),
        # The old key becomes nullable here, before storefront 0003 copies the data, so that
        # undoing these migrations can add it back empty and refill it before it is required.
        migrations.AlterField(
            model_name="service",
            name="category",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="services", to="storefront.categorypage"
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="domain_category",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.category"
            ),
        ),
    ]
