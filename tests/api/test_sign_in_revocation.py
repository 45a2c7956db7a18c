"""Changing or resetting a password, or deactivating the user, ends every API sign-in of that user.

Each test goes through a real path that changes the password and then checks, through
the API, that the old access token answers 401 and the old refresh token is refused.
"""

import importlib
import re
from unittest import mock

import jwt
import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from marketplace.accounts.models import ApiSession

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-tidy-password-2027"
ENDED = {"detail": "This sign-in has ended; log in again.", "code": "session_revoked"}
REFRESH_REFUSED = {"detail": "The refresh token is invalid or has expired.", "code": "invalid_refresh_token"}


def _sign_in(api, email: str, password: str) -> dict:
    response = api.anonymous().post("auth/login", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def _assert_ended(api, tokens: dict, reason: str) -> None:
    me = api.get("auth/me", headers={"Authorization": f"Bearer {tokens['access']}"})
    assert (me.status_code, me.json()) == (401, ENDED)
    refresh = api.post("auth/refresh", {"refresh": tokens["refresh"]})
    assert (refresh.status_code, refresh.json()) == (401, REFRESH_REFUSED)
    assert api.get("auth/me", headers={"Authorization": f"Bearer {tokens['access']}"}).status_code == 401
    session_id = jwt.decode(tokens["access"], options={"verify_signature": False})["sid"]
    assert ApiSession.objects.get(pk=session_id).revoked_reason == reason


def _assert_alive(api, tokens: dict) -> None:
    assert api.get("auth/me", headers={"Authorization": f"Bearer {tokens['access']}"}).status_code == 200


def test_changing_the_password_on_the_storefront_ends_every_api_sign_in(api, customer, other_customer, password):
    # given two API sign-ins of the customer (phone and laptop) and one of someone else
    phone, laptop = _sign_in(api, customer.email, password), _sign_in(api, customer.email, password)
    others = _sign_in(api, other_customer.email, password)
    browser = Client()
    browser.force_login(customer)

    # when the customer changes the password in allauth's password change view
    response = browser.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    # then both API sign-ins have ended, the browser stays signed in, and nobody else is affected
    assert response.status_code == 302
    for tokens in (phone, laptop):
        _assert_ended(api, tokens, "credentials_changed")
    assert list(ApiSession.objects.filter(user=customer).values_list("revoked_reason", flat=True)) == [
        "credentials_changed",
        "credentials_changed",
    ]
    assert browser.get(reverse("storefront:booking_list")).status_code == 200
    _assert_alive(api, others)
    # and the new password signs in to the API again
    _assert_alive(api, _sign_in(api, customer.email, NEW_PASSWORD))


def test_a_refused_password_change_leaves_the_api_sign_ins_alone(api, customer, password):
    tokens = _sign_in(api, customer.email, password)
    browser = Client()
    browser.force_login(customer)

    response = browser.post(
        reverse("account_change_password"),
        {"oldpassword": "not-my-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    _assert_alive(api, tokens)
    assert api.post("auth/refresh", {"refresh": tokens["refresh"]}).status_code == 200
    assert not ApiSession.objects.filter(revoked_at__isnull=False).exists()


def test_resetting_the_password_from_the_emailed_link_ends_every_api_sign_in(api, customer, password):
    tokens = _sign_in(api, customer.email, password)
    browser = Client()

    # when someone resets the password from the link in the email
    browser.post(reverse("account_reset_password"), {"email": customer.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    form_url = browser.get(link)["Location"]
    response = browser.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # then the API sign-in made with the old password has ended
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    _assert_ended(api, tokens, "credentials_changed")


def test_manage_py_changepassword_ends_every_api_sign_in(api, customer, password):
    tokens = _sign_in(api, customer.email, password)

    with mock.patch("getpass.getpass", return_value=NEW_PASSWORD):
        call_command("changepassword", customer.email, stdout=mock.Mock())

    _assert_ended(api, tokens, "credentials_changed")


def test_set_password_anywhere_ends_every_api_sign_in(api, customer, password):
    tokens = _sign_in(api, customer.email, password)

    customer.set_password(NEW_PASSWORD)
    customer.save()

    _assert_ended(api, tokens, "credentials_changed")


def test_setting_a_password_in_the_wagtail_admin_ends_every_api_sign_in(api, customer, admin_user, password):
    tokens = _sign_in(api, customer.email, password)
    admin = Client()
    admin.force_login(admin_user)

    response = admin.post(
        reverse("wagtailusers_users:edit", args=[customer.pk]),
        {
            "email": customer.email,
            "first_name": "Casey",
            "last_name": "Customer",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    _assert_ended(api, tokens, "credentials_changed")


def test_deactivating_the_user_ends_every_api_sign_in(api, customer, password):
    tokens = _sign_in(api, customer.email, password)

    customer.is_active = False
    customer.save()

    _assert_ended(api, tokens, "user_deactivated")


def test_deactivating_in_the_wagtail_admin_ends_the_sign_ins_for_good(api, customer, admin_user, password):
    tokens = _sign_in(api, customer.email, password)
    admin = Client()
    admin.force_login(admin_user)

    response = admin.post(
        reverse("wagtailusers_users:edit", args=[customer.pk]),
        {"email": customer.email, "first_name": "Casey", "last_name": "Customer"},  # "is_active" left unticked
    )

    assert response.status_code == 302, response.context["form"].errors
    customer.refresh_from_db()
    assert customer.is_active is False
    # activated again later, with the same password: the old sign-in stays ended
    customer.is_active = True
    customer.save()
    _assert_ended(api, tokens, "user_deactivated")


def test_a_refresh_after_the_password_changed_is_refused_and_ends_the_sign_in(api, customer, password):
    # given a sign-in whose access token was never used after the password changed
    tokens = _sign_in(api, customer.email, password)
    customer.set_password(NEW_PASSWORD)
    customer.save()

    # when its refresh token is presented first
    refresh = api.post("auth/refresh", {"refresh": tokens["refresh"]})

    # then it is refused and the sign-in is marked ended, so the access token is refused too
    assert (refresh.status_code, refresh.json()) == (401, REFRESH_REFUSED)
    assert ApiSession.objects.get().revoked_reason == "credentials_changed"
    me = api.get("auth/me", headers={"Authorization": f"Bearer {tokens['access']}"})
    assert (me.status_code, me.json()) == (401, ENDED)


def test_saving_the_user_without_a_new_password_keeps_the_sign_in(api, customer, password):
    tokens = _sign_in(api, customer.email, password)

    customer.full_name = "Casey Renamed"
    customer.save()

    _assert_alive(api, tokens)
    assert api.post("auth/refresh", {"refresh": tokens["refresh"]}).status_code == 200


def test_sign_ins_made_before_the_binding_are_ended_by_the_migration(customer, other_customer):
    # given a live sign-in without a fingerprint (made before the migration), one bound, one logged out
    from marketplace.accounts.tokens import api_session_start

    api_session_start(user=customer)
    api_session_start(user=other_customer)
    ApiSession.objects.filter(user=customer).update(credentials_fingerprint="")
    logged_out = ApiSession.objects.create(user=customer, revoked_reason="logout", revoked_at="2026-01-01T00:00Z")
    migration = importlib.import_module("marketplace.accounts.migrations.0002_apisession_credentials_fingerprint")

    migration.end_unbound_sessions(apps, None)

    assert dict(ApiSession.objects.exclude(pk=logged_out.pk).values_list("user__email", "revoked_reason")) == {
        "casey@example.com": "credentials_unbound",
        "olive@example.com": "",
    }
    logged_out.refresh_from_db()
    assert logged_out.revoked_reason == "logout"


def test_a_sign_in_without_a_fingerprint_is_refused(api, customer, password):
    tokens = _sign_in(api, customer.email, password)
    ApiSession.objects.update(credentials_fingerprint="")

    _assert_ended(api, tokens, "credentials_changed")
