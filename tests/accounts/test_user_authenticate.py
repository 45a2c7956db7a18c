"""user_authenticate: one vague failure, and allauth's failed-login limits shared by every face."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from marketplace.accounts.errors import InvalidCredentials, TooManyLoginAttempts
from marketplace.accounts.services import user_authenticate
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

START = datetime(2027, 6, 10, 12, 0, 0, tzinfo=UTC)


def _request(address: str = "10.0.0.1", host: str = "testserver"):
    return RequestFactory().post("/api/v1/auth/login", REMOTE_ADDR=address, HTTP_HOST=host)


def _fail(email: str, *, address: str = "10.0.0.1", host: str = "testserver") -> None:
    with pytest.raises(InvalidCredentials):
        user_authenticate(request=_request(address, host), email=email, password="wrong-password")


def test_the_right_password_returns_the_user_whatever_the_email_case(customer, password):
    user = user_authenticate(request=_request(), email="  Casey@Example.COM ", password=password)

    assert user == customer


@pytest.mark.parametrize(
    ("email", "password"),
    [("casey@example.com", "wrong-password"), ("nobody@example.com", "correct-horse-battery-staple"), ("", "")],
)
def test_every_failure_gets_one_vague_message(customer, email, password):
    with pytest.raises(InvalidCredentials) as error:
        user_authenticate(request=_request(), email=email, password=password)

    assert (error.value.status, error.value.code, error.value.message) == (
        401,
        "invalid_credentials",
        "Incorrect email or password.",
    )


def test_a_deactivated_user_fails_like_a_wrong_password(customer, password):
    customer.is_active = False
    customer.save()

    with pytest.raises(InvalidCredentials):
        user_authenticate(request=_request(), email=customer.email, password=password)


def test_five_failures_lock_the_account_even_against_the_right_password(customer, password):
    # given five wrong passwords for one account within five minutes
    with time_machine.travel(START, tick=False):
        _fail(customer.email)
    for second in (60, 90, 120, 150):
        with time_machine.travel(START + timedelta(seconds=second), tick=False):
            _fail(customer.email, address=f"10.0.1.{second}")  # from other addresses, too
    before = data_snapshot()

    # when the right password comes 3 minutes after the first failure
    with time_machine.travel(START + timedelta(minutes=3), tick=False), pytest.raises(TooManyLoginAttempts) as error:
        user_authenticate(request=_request(), email=customer.email, password=password)

    # then it is refused until the first failure is 5 minutes old, and nothing changed
    assert (error.value.status, error.value.code, error.value.retry_after) == (429, "too_many_login_attempts", 120)
    assert error.value.message == "Too many failed sign-in attempts. Please wait a few minutes and try again."
    assert changed_tables(before, data_snapshot()) == []
    customer.refresh_from_db()
    assert customer.last_login is None
    with time_machine.travel(START + timedelta(minutes=5, seconds=1), tick=False):
        assert user_authenticate(request=_request(), email=customer.email, password=password) == customer


def test_ten_failures_a_minute_from_one_address_lock_that_address_for_every_account(customer, other_customer, password):
    with time_machine.travel(START, tick=False):
        for index in range(10):
            _fail(f"guess{index}@example.com")

    with time_machine.travel(START + timedelta(seconds=20), tick=False):
        with pytest.raises(TooManyLoginAttempts) as error:
            user_authenticate(request=_request(), email=customer.email, password=password)
        # another address still gets in
        assert user_authenticate(request=_request("10.0.0.2"), email=customer.email, password=password) == customer

    assert error.value.retry_after == 40


def test_the_account_count_ignores_the_host_the_attempts_came_through(customer, password):
    # one site answers on several hosts; switching between them must not multiply the guesses
    for index, host in enumerate(["127.0.0.1", "localhost", "testserver", "127.0.0.1", "localhost"]):
        _fail(customer.email.upper(), address=f"10.0.2.{index}", host=host)

    with pytest.raises(TooManyLoginAttempts):
        user_authenticate(request=_request(host="localhost"), email=customer.email, password=password)


def test_a_successful_sign_in_takes_back_only_its_own_attempt(customer, password):
    # given four failures, then a success
    for index in range(4):
        _fail(customer.email, address=f"10.0.3.{index}")
    user_authenticate(request=_request(), email=customer.email, password=password)

    # when a fifth failure comes
    _fail(customer.email, address="10.0.3.9")

    # then the account is locked: the success did not wipe the four earlier failures
    with pytest.raises(TooManyLoginAttempts):
        user_authenticate(request=_request(), email=customer.email, password=password)


def test_behind_a_proxy_each_client_address_is_counted_apart(settings, customer, password):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # NUM_PROXIES=1: nginx appends the client to X-Forwarded-For
    proxy = "127.0.0.1"

    def through_proxy(client: str):
        return RequestFactory().post("/admin/login/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client}")

    for index in range(10):
        with pytest.raises(InvalidCredentials):
            user_authenticate(request=through_proxy("203.0.113.7"), email=f"guess{index}@example.com", password="x")

    with pytest.raises(TooManyLoginAttempts):
        user_authenticate(request=through_proxy("203.0.113.7"), email=customer.email, password=password)
    assert user_authenticate(request=through_proxy("203.0.113.8"), email=customer.email, password=password) == customer


def test_a_password_reset_lifts_the_accounts_lockout(client, customer, password):
    # given a locked-out account
    for index in range(5):
        _fail(customer.email, address=f"10.0.4.{index}")
    with pytest.raises(TooManyLoginAttempts):
        user_authenticate(request=_request(), email=customer.email, password=password)

    # when its owner resets the password from the emailed link
    client.post(reverse("account_reset_password"), {"email": customer.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    form_url = client.get(link)["Location"]
    client.post(form_url, {"password1": "a-new-tidy-password-2027", "password2": "a-new-tidy-password-2027"})

    # then the new password signs in at once
    assert user_authenticate(request=_request(), email=customer.email, password="a-new-tidy-password-2027") == customer
