"""POST auth/register, auth/login, auth/refresh, auth/logout, GET auth/me."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.contract import error_codes
from marketplace.accounts.models import ApiSession, User
from marketplace.core.models import AuditLogEntry
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "tidy-nest-2026!"


def _login(api, email: str, password: str):
    return api.anonymous().post("auth/login", {"email": email, "password": password})


def test_register_creates_a_customer_with_a_lowercased_email(api):
    response = api.post("auth/register", {"email": "  Casey.New@Example.COM ", "password": GOOD_PASSWORD})

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "casey.new@example.com"
    assert response.json()["role"] == "customer"
    user = User.objects.get()
    assert user.email == "casey.new@example.com"
    assert AuditLogEntry.objects.filter(action="user.registered").count() == 1


def test_register_refuses_an_email_taken_in_another_case(api, customer):
    before = data_snapshot()

    response = api.post("auth/register", {"email": "CASEY@Example.com", "password": GOOD_PASSWORD})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "An account with this email address already exists.",
        "code": "email_taken",
        "field": "email",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_register_refuses_the_admin_role(api):
    response = api.post("auth/register", {"email": "eve@example.com", "password": GOOD_PASSWORD, "role": "admin"})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["detail"] == "Invalid input. role: Input should be 'customer' or 'vendor'."
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("8675309123", "This password is entirely numeric."),
        ("eve.example", "The password is too similar to the email address."),
    ],
)
def test_register_refuses_weak_passwords_with_the_reason(api, password, message):
    response = api.post("auth/register", {"email": "eve.example@example.com", "password": password})

    assert response.status_code == 400
    assert response.json() == {"detail": message, "code": "validation_failed", "field": "password"}
    assert not User.objects.exists()


def test_register_refuses_a_bad_time_zone(api):
    response = api.post(
        "auth/register", {"email": "eve@example.com", "password": GOOD_PASSWORD, "time_zone": "Eastern Time"}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "'Eastern Time' is not a known time zone (use an IANA name such as America/New_York)."
    )
    assert not User.objects.exists()


def test_login_returns_a_bearer_token_pair(api, customer, password):
    response = _login(api, "Casey@Example.com", password)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    me = api.get("auth/me", headers={"Authorization": f"Bearer {body['access']}"})
    assert me.json()["email"] == "casey@example.com"


@pytest.mark.parametrize(
    ("email", "password"),
    [("casey@example.com", "wrong-password"), ("nobody@example.com", "correct-horse-battery-staple")],
)
def test_login_failures_share_one_vague_message(api, customer, email, password):
    response = _login(api, email, password)

    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password.", "code": "invalid_credentials"}
    assert not ApiSession.objects.exists()


def test_login_of_a_deactivated_user_fails_the_same_way(api, customer, password):
    customer.is_active = False
    customer.save()

    response = _login(api, customer.email, password)

    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password."


LOCKED_OUT = {
    "detail": "Too many failed sign-in attempts. Please wait a few minutes and try again.",
    "code": "too_many_login_attempts",
}


def test_an_account_locked_out_on_the_storefront_gets_429_from_the_api_login(api, customer, password):
    # given a customer the storefront locked out five minutes' worth
    start = timezone.now()
    storefront = Client()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            storefront.post(reverse("account_login"), {"login": customer.email, "password": "wrong-password"})
    before = data_snapshot()

    # when the API login gets the right password a minute later
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        response = _login(api, customer.email, password)

    # then it answers 429 in the usual envelope, says when to come back, and signs nobody in
    assert response.status_code == 429
    assert response.json() == LOCKED_OUT
    assert response["Retry-After"] == "240"
    assert not ApiSession.objects.exists()
    assert changed_tables(before, data_snapshot()) == []


def _login_from(api, address: str, email: str, password: str):
    body = json.dumps({"email": email, "password": password})
    return api.client.post("/api/v1/auth/login", body, content_type="application/json", REMOTE_ADDR=address)


def test_failed_api_logins_lock_the_storefront_and_the_admin_login_too(api, customer, admin_user, password):
    # given five wrong passwords through the API for a customer and for the admin, each from five addresses
    for user in (customer, admin_user):
        answers = [_login_from(api, f"10.0.0.{i}", user.email, "wrong-password").status_code for i in range(5)]
        assert answers == [401] * 5

    # when the right passwords come through the API, the storefront and the admin login
    api_answer = _login(api, customer.email, password)
    storefront = Client().post(reverse("account_login"), {"login": customer.email, "password": password})
    admin = Client().post("/admin/login/", {"username": admin_user.email, "password": password})

    # then every face refuses them
    assert (api_answer.status_code, api_answer.json()) == (429, LOCKED_OUT)
    assert "Too many failed login attempts. Try again later." in storefront.content.decode()
    assert "_auth_user_id" not in storefront.wsgi_request.session
    assert list(admin.context["form"].non_field_errors()) == [LOCKED_OUT["detail"]]
    assert "_auth_user_id" not in admin.wsgi_request.session
    assert not ApiSession.objects.exists()


def test_a_lockout_is_not_remembered_by_an_idempotency_key(api, customer, password):
    for _ in range(5):
        _login(api, customer.email, "wrong-password")

    response = api.post(
        "auth/login", {"email": customer.email, "password": password}, headers={"Idempotency-Key": "login-1"}
    )

    assert response.status_code == 429
    assert "Idempotent-Replayed" not in response


def test_the_openapi_document_lists_the_login_lockout(client):
    document = client.get("/api/v1/openapi.json").json()

    too_many = document["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"]
    assert error_codes(too_many) == ["rate_limited", "too_many_login_attempts"]
    assert "too_many_login_attempts" in too_many["description"]
    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 0}


def test_refresh_rotates_and_the_old_refresh_token_then_fails(api, customer, password):
    first = _login(api, customer.email, password).json()

    rotated = api.post("auth/refresh", {"refresh": first["refresh"]})
    assert rotated.status_code == 200, rotated.content
    second = rotated.json()
    assert second["refresh"] != first["refresh"]

    replay = api.post("auth/refresh", {"refresh": first["refresh"]})
    assert replay.status_code == 401
    assert replay.json() == {
        "detail": "The refresh token is invalid or has expired.",
        "code": "invalid_refresh_token",
    }


def test_reusing_an_old_refresh_token_revokes_the_whole_sign_in(api, customer, password):
    # given a sign-in whose refresh token was rotated
    first = _login(api, customer.email, password).json()
    second = api.post("auth/refresh", {"refresh": first["refresh"]}).json()

    # when the old refresh token is replayed (only a thief would)
    api.post("auth/refresh", {"refresh": first["refresh"]})

    # then the new access and refresh tokens stop working too
    me = api.get("auth/me", headers={"Authorization": f"Bearer {second['access']}"})
    assert me.status_code == 401
    assert me.json() == {"detail": "This sign-in has ended; log in again.", "code": "session_revoked"}
    assert api.post("auth/refresh", {"refresh": second["refresh"]}).status_code == 401
    assert ApiSession.objects.get().revoked_reason == "refresh_token_reused"


def test_reuse_revocation_sticks_even_when_the_replay_carries_an_idempotency_key(api, customer, password):
    first = _login(api, customer.email, password).json()
    second = api.post("auth/refresh", {"refresh": first["refresh"]}).json()
    bearer = {"Authorization": f"Bearer {second['access']}", "Idempotency-Key": "refresh-1"}

    replay = api.post("auth/refresh", {"refresh": first["refresh"]}, headers=bearer)

    assert replay.status_code == 401
    assert ApiSession.objects.get().revoked_reason == "refresh_token_reused"


def test_logout_revokes_access_and_refresh_tokens(api, customer, password):
    tokens = _login(api, customer.email, password).json()
    bearer = {"Authorization": f"Bearer {tokens['access']}"}

    response = api.post("auth/logout", headers=bearer)

    assert response.status_code == 204
    assert api.get("auth/me", headers=bearer).status_code == 401
    assert api.post("auth/refresh", {"refresh": tokens["refresh"]}).status_code == 401


def test_an_expired_access_token_is_refused_with_token_expired(api, customer):
    api.as_user(customer)

    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        response = api.get("auth/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token has expired; refresh it.", "code": "token_expired"}


def test_an_expired_refresh_token_is_refused(api, customer, password):
    tokens = _login(api, customer.email, password).json()

    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=1)):
        response = api.post("auth/refresh", {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"


@pytest.mark.parametrize("tamper", ["payload", "signature", "garbage", "none-algorithm"])
def test_a_tampered_access_token_is_refused(api, customer, admin_user, tamper):
    import base64
    import json

    token = api.as_user(customer).token
    header, payload, signature = token.split(".")
    if tamper == "payload":  # claim to be the admin, keep the customer's signature
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = str(admin_user.pk)
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        token = f"{header}.{payload}.{signature}"
    elif tamper == "signature":
        token = f"{header}.{payload}.{signature[:-4]}AAAA"
    elif tamper == "garbage":
        token = "not-a-jwt"
    else:
        unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
        token = f"{unsigned}.{payload}."

    response = api.get("auth/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is invalid.", "code": "invalid_token"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic Y2FzZXk6cGFzcw=="}, {"Authorization": "Token abc"}],
)
def test_unauthenticated_requests_get_a_401_json(api, headers):
    response = api.get("auth/me", headers=headers)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "detail": "Authentication required: send 'Authorization: Bearer <access token>'.",
        "code": "not_authenticated",
    }
