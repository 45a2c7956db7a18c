"""An account's lines summed from the index alone: the balances, and the dashboard's figures by day."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_local_payout_accounts_and_waiting_payouts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ledgerline",
            index=models.Index(
                fields=["account", "currency", "entry", "amount_minor"], name="ledger_line_account_sums"
            ),
        ),
    ]
