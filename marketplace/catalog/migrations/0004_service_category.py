"""Categories become a domain model, step 2 of 2: the services' category is catalog.Category.

storefront 0003 (which runs before this one) filled the temporary key; the key to
the category page goes, the temporary key takes its name. The duration constraint
now reads the service limits (marketplace/catalog/limits.py): 30 minutes to 12 hours.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_category"),
    ]

    operations = [
        migrations.RemoveField(model_name="service", name="category"),
        migrations.RenameField(model_name="service", old_name="domain_category", new_name="category"),
        migrations.AlterField(
            model_name="service",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="services", to="catalog.category"
            ),
        ),
        migrations.RemoveConstraint(model_name="service", name="service_duration_range"),
        migrations.AddConstraint(
            model_name="service",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration_minutes__gte", 30), ("duration_minutes__lte", 720)),
                name="service_duration_range",
            ),
        ),
    ]
