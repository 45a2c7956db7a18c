"""Storefront sign-up runs the accounts service, like the API's: same rules, same records, same audit entry."""

from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from marketplace.accounts import services as accounts
from marketplace.accounts.models import User
from marketplace.core.models import AuditLogEntry
from tests.races import run_at_once
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

PASSWORD = "tidy-nest-2026!"
EMAIL_TAKEN = "An account with this email address already exists."


def _sign_up(client: Client, email: str = "dana@example.com", **fields):
    data = {
        "email": email,
        "full_name": "Dana Doe",
        "role": "customer",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }
    return client.post(reverse("account_signup"), data)


def _registrations() -> list[tuple]:
    return list(
        AuditLogEntry.objects.filter(action="user.registered")
        .order_by("pk")
        .values_list("actor__email", "target_id", "data")
    )


def test_a_storefront_sign_up_makes_the_same_records_as_the_api(client, api):
    # when one person signs up on the storefront and another through the API
    response = _sign_up(client, email="  Dana@Example.com", role="vendor", full_name=" Dana Doe ")
    api_response = api.post("auth/register", {"email": "Ed@Example.com", "password": PASSWORD, "full_name": "Ed"})

    # then both accounts, their email records and their audit entries differ only by the face
    assert response.status_code == 302
    assert api_response.status_code == 201
    dana, ed = User.objects.get(email="dana@example.com"), User.objects.get(email="ed@example.com")
    assert (dana.role, dana.full_name, dana.is_staff, dana.is_superuser) == ("vendor", "Dana Doe", False, False)
    assert dana.check_password(PASSWORD)
    assert list(EmailAddress.objects.order_by("email").values_list("user__email", "email", "primary", "verified")) == [
        ("dana@example.com", "dana@example.com", True, False),
        ("ed@example.com", "ed@example.com", True, False),
    ]
    assert _registrations() == [
        ("dana@example.com", str(dana.pk), {"role": "vendor", "via": "storefront"}),
        ("ed@example.com", str(ed.pk), {"role": "customer", "via": "api"}),
    ]
    # and the storefront signed Dana in and sent the confirmation email
    assert client.session["_auth_user_id"] == str(dana.pk)
    assert [message.to for message in mail.outbox] == [["dana@example.com"]]


def test_an_account_made_on_the_storefront_signs_in_to_the_api(client, api):
    _sign_up(client)

    response = api.post("auth/login", {"email": "dana@example.com", "password": PASSWORD})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"role": "admin"}, {"role": ["Select a valid choice. admin is not one of the available choices."]}),
        ({"email": "CASEY@example.com"}, {"email": ["A user is already registered with this email address."]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"password1": "password123", "password2": "password123"}, {"password1": ["This password is too common."]}),
        ({"password2": "something-else-2026"}, {"password2": ["You must type the same password each time."]}),
        ({"full_name": ""}, {"full_name": ["This field is required."]}),
    ],
)
def test_a_refused_sign_up_is_a_form_error_and_changes_nothing(client, customer, fields, errors):
    before = data_snapshot()

    response = _sign_up(client, **fields)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert changed_tables(before, data_snapshot()) == []
    assert EmailAddress.objects.count() == 0
    assert "_auth_user_id" not in client.session


def test_a_sign_up_that_loses_the_race_for_its_email_is_a_form_error(client):
    # given another sign-up with the same address commits after the form checked it was free
    real_register = accounts.user_register
    won = {}

    def register_after_the_winner(**fields):
        won["user"] = real_register(email="DANA@example.com", password=PASSWORD, via="api")
        return real_register(**fields)

    # when the storefront's sign-up is saved
    with mock.patch("storefront.accounts.user_register", side_effect=register_after_the_winner):
        response = _sign_up(client)

    # then it is a clear error on the email field, and only the winner's account exists
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": [EMAIL_TAKEN]}
    assert EMAIL_TAKEN in response.content.decode()
    assert list(User.objects.values_list("pk", flat=True)) == [won["user"].pk]
    assert EmailAddress.objects.count() == 1
    assert _registrations() == [("dana@example.com", str(won["user"].pk), {"role": "customer", "via": "api"})]
    assert "_auth_user_id" not in client.session
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_storefront_sign_ups_with_one_email_at_once_make_one_account_and_no_error_page():
    def sign_up(index):
        email = "twin@example.com" if index % 2 else "TWIN@example.com"
        response = _sign_up(Client(REMOTE_ADDR=f"10.0.5.{index}"), email=email)
        if response.status_code == 302:
            return "signed up"
        return response.context["form"].errors.get("email", [])[0]

    results = run_at_once(4, sign_up)

    # one wins; the others are told, by the form's check or by the service's, never with a 500
    assert results.count("signed up") == 1, results
    assert set(results) - {"signed up"} <= {EMAIL_TAKEN, "A user is already registered with this email address."}
    assert User.objects.count() == EmailAddress.objects.count() == len(_registrations()) == 1
