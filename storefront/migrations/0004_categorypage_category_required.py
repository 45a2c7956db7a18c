"""Every category page presents exactly one category; the commission lives on the category now."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("storefront", "0003_categorypage_category"),
        ("catalog", "0004_service_category"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="categorypage", name="category_commission_bps_range"),
        migrations.RemoveField(model_name="categorypage", name="commission_bps"),
        migrations.AlterField(
            model_name="categorypage",
            name="category",
            field=models.OneToOneField(
                help_text="The category of services this page presents. Admins manage categories in the back office.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="page",
                to="catalog.category",
            ),
        ),
    ]
