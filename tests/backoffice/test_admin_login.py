"""The Wagtail admin login: the storefront's failed-login limits, and only people who may enter the admin."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
LOCKED_OUT = "Too many failed sign-in attempts. Please wait a few minutes and try again."
WRONG_PASSWORD = "Your email address and password didn't match. Please try again."
NO_ADMIN_ACCESS = "This account cannot open the admin. Customers and organizers sign in on the storefront."


def _admin_login(client: Client, email: str, password: str):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password})


def _errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_an_admin_signs_in_normally(admin_user, password):
    client = Client()

    response = _admin_login(client, "Admin@Example.com", password)

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert client.session["_auth_user_id"] == str(admin_user.pk)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_a_wrong_password_gets_wagtails_message(admin_user):
    client = Client()

    response = _admin_login(client, admin_user.email, "wrong-password")

    assert response.status_code == 200
    assert _errors(response) == [WRONG_PASSWORD]
    assert not _signed_in(client)


def test_thirty_wrong_passwords_then_the_right_one_is_refused(admin_user, password):
    # given someone guessing the admin's password
    client = Client()
    answers = [_admin_login(client, admin_user.email, f"guess-{index}") for index in range(30)]
    before = data_snapshot()

    # when the right password comes
    response = _admin_login(client, admin_user.email, password)

    # then it is refused: after 5 failures the account is locked, whatever the password
    assert [_errors(answer) for answer in answers[:5]] == [[WRONG_PASSWORD]] * 5
    assert [_errors(answer) for answer in answers[5:]] == [[LOCKED_OUT]] * 25
    assert response.status_code == 200
    assert _errors(response) == [LOCKED_OUT]
    assert LOCKED_OUT in response.content.decode()
    assert not _signed_in(client)
    assert changed_tables(before, data_snapshot()) == []


def test_a_customer_locked_out_on_the_storefront_is_refused_at_the_admin_login(customer, password):
    # given a customer the storefront just locked out
    storefront = Client()
    for _ in range(5):
        storefront.post(reverse("account_login"), {"login": customer.email, "password": "wrong-password"})
    locked = storefront.post(reverse("account_login"), {"login": customer.email, "password": password})
    assert "Too many failed login attempts. Try again later." in locked.content.decode()
    before = data_snapshot()

    # when they try the admin login with the right password
    client = Client()
    response = _admin_login(client, customer.email, password)

    # then they are refused and get no session that the storefront would accept
    assert response.status_code == 200
    assert _errors(response) == [LOCKED_OUT]
    assert not _signed_in(client)
    assert client.get(reverse("storefront:booking_list")).status_code == 302  # to the login page
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize("account", ["customer", "organizer"])
def test_a_customer_or_organizer_with_the_right_password_gets_no_session(customer, vendor, password, account):
    user = customer if account == "customer" else vendor.user
    client = Client()
    before = data_snapshot()

    response = _admin_login(client, user.email, password)

    assert response.status_code == 200
    assert _errors(response) == [NO_ADMIN_ACCESS]
    assert NO_ADMIN_ACCESS in response.content.decode()
    assert not _signed_in(client)
    assert client.get(reverse("storefront:booking_list")).status_code == 302
    assert changed_tables(before, data_snapshot()) == []


def test_a_marketing_editor_and_a_role_admin_sign_in(editor, role_admin, password):
    for user in (editor, role_admin):
        client = Client()

        response = _admin_login(client, user.email, password)

        assert response.status_code == 302, user.email
        assert client.session["_auth_user_id"] == str(user.pk)


def test_a_deactivated_admin_gets_the_wrong_password_message(admin_user, password):
    admin_user.is_active = False
    admin_user.save()
    client = Client()

    response = _admin_login(client, admin_user.email, password)

    assert _errors(response) == [WRONG_PASSWORD]
    assert not _signed_in(client)


@pytest.mark.parametrize(
    "data",
    [{}, {"username": "admin@example.com"}, {"password": "x"}, {"username": "", "password": ""}],
)
def test_missing_fields_are_form_errors(admin_user, data):
    client = Client()

    response = client.post(ADMIN_LOGIN, data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not _signed_in(client)
