"""Bind API sign-ins to the user's password; the sign-ins made before the binding end."""

from django.db import migrations, models
from django.utils import timezone


def end_unbound_sessions(apps, schema_editor):
    # A session without a fingerprint cannot prove that its user's password is unchanged
    # since it started: end it now (its client logs in again) rather than trust it for
    # the 30 days its refresh token has left.
    ApiSession = apps.get_model("accounts", "ApiSession")
    ApiSession.objects.filter(revoked_at__isnull=True, credentials_fingerprint="").update(
        revoked_at=timezone.now(), revoked_reason="credentials_unbound"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apisession",
            name="credentials_fingerprint",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(end_unbound_sessions, migrations.RunPython.noop),
    ]
