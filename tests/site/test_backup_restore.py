"""A backup restores: ``pg_dump -Fc`` of a database with a paid booking, ``pg_restore`` into a new
database, and the app (production settings, its own process) runs on the copy with the data there.

The steps are docs/operations.md's ("Backup and restore"): the dump is taken while the app
is connected, restored with ``--no-owner --exit-on-error`` into a database created empty,
and the app is pointed at it by DATABASE_URL alone. Needs PostgreSQL and its client tools
of the server's major version (``pg_dump`` refuses a newer server).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from django.db import connection
from django.db.models import Sum

from marketplace.payments.models import LedgerLine
from tests.conftest import local_slot
from tests.factories import PASSWORD, CustomerFactory
from tests.factories.bookings import paid_booking

from . import stack

# Committed for real (pg_dump sees only committed rows); the migrations' own rows come back after.
pytestmark = [stack.site_tests, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Run by the app on the restored database, in one process: `manage.py migrate --check` (exits 1
# if a migration is missing) and `createcachetable` (this run's database was migrated with the test
# settings' local-memory cache, so it has none; the restore steps create it when missing, as for a
# site that used Redis), then the app answers, a customer signs in and reads the booking.
CHECK_RESTORED = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", check=True, verbosity=0)
call_command("createcachetable")
from django.db.models import Sum
from django.test import Client
from marketplace.payments.models import LedgerLine
email, password, booking_id = sys.argv[1:]
client = Client()
login = client.post("/api/v1/auth/login", {"email": email, "password": password}, content_type="application/json")
bearer = "Bearer " + login.json()["access"]
booking = client.get(f"/api/v1/bookings/{booking_id}", HTTP_AUTHORIZATION=bearer)
print(json.dumps({
    "health": client.get("/api/v1/health").status_code,
    "booking": [booking.status_code, booking.json()["status"], booking.json()["payment"]["status"]],
    "balances": dict(LedgerLine.objects.values_list("account").annotate(Sum("amount_minor")).order_by("account")),
}))
"""


def client_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"SITE_TESTS=1 but {name} is missing (apt-get install -y postgresql-client)")
    return path


def connection_arguments(database: dict) -> list[str]:
    return ["-h", database["HOST"] or "127.0.0.1", "-p", str(database["PORT"] or 5432), "-U", database["USER"]]


def test_a_pg_dump_restored_into_a_new_database_runs_the_app_with_the_data(tmp_path, settings, service):
    database = stack.require_postgresql()
    tools_env = {**os.environ, "PGPASSWORD": database["PASSWORD"] or "", "PGCONNECT_TIMEOUT": "5"}
    # given a paid booking, its customer's password hashed as production hashes it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    customer = CustomerFactory(email="rosa@example.com")
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    balances = dict(LedgerLine.objects.values_list("account").annotate(Sum("amount_minor")).order_by("account"))
    assert balances == {"customer_escrow": -30000, "processor_cash": 30000}

    # when the database is dumped, and the dump restored into a new database
    dump = tmp_path / "marketplace.dump"
    subprocess.run(
        [
            client_tool("pg_dump"),
            *connection_arguments(database),
            "-Fc",
            "-f",
            str(dump),
            connection.settings_dict["NAME"],
        ],
        env=tools_env,
        check=True,
        timeout=120,
    )
    with stack.new_database(database, "site_restore") as restored:
        subprocess.run(
            [
                client_tool("pg_restore"),
                *connection_arguments(database),
                "--no-owner",
                "--exit-on-error",
                "-d",
                restored,
                str(dump),
            ],
            env=tools_env,
            check=True,
            timeout=120,
        )
        (tmp_path / "static").mkdir()
        env = stack.app_environment(
            stack.database_url(database, restored),
            ALLOWED_HOSTS="testserver",
            SECURE_SSL_REDIRECT="false",
            STATIC_ROOT=str(tmp_path / "static"),
        )

        # then the app runs on it: every migration is there, and the booking and its money too
        result = subprocess.run(
            [str(stack.PYTHON), "-c", CHECK_RESTORED, customer.email, PASSWORD, str(booking.pk)],
            cwd=stack.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "health": 200,
        "booking": [200, booking.status, "held"],
        "balances": balances,
    }
