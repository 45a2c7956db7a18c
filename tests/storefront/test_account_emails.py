"""allauth's emails name the site (SITE_NAME), not the host; their links still point at the host the visitor used."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1:8000"
PASSWORD = "tidy-nest-2026!"


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_HOST=HOST)


def _link(body: str, path_prefix: str) -> str:
    return re.search(rf"http://{re.escape(HOST)}({re.escape(path_prefix)}\S+)", body).group(1)


def test_the_password_reset_email_names_the_site_and_links_to_the_host(browser, customer):
    # when a customer asks for a password reset on the storefront at 127.0.0.1:8000
    browser.post(reverse("account_reset_password"), {"email": customer.email})

    # then the email is from Tidy Nest, and its link opens the reset form on that host
    [message] = mail.outbox
    assert message.subject == "[Tidy Nest] Password Reset Email"
    assert message.to == ["casey@example.com"]
    path = _link(message.body, "/accounts/password/reset/key/")
    assert message.body == (
        "Hello from Tidy Nest!\n\n"
        "You're receiving this email because you or someone else has requested a password reset for your user "
        "account.\nIt can be safely ignored if you did not request a password reset. Click the link below to reset "
        f"your password.\n\nhttp://{HOST}{path}\n\n"
        f"Thank you for using Tidy Nest!\n{HOST}"
    )
    form = browser.get(browser.get(path)["Location"])
    assert form.status_code == 200
    assert "password1" in form.context["form"].fields


def test_the_sign_up_confirmation_email_names_the_site_and_its_link_confirms(browser):
    # when someone signs up on the storefront at 127.0.0.1:8000
    browser.post(
        reverse("account_signup"),
        {
            "email": "dana@example.com",
            "full_name": "Dana Doe",
            "role": "customer",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    # then the confirmation email is from Tidy Nest
    [message] = mail.outbox
    assert message.subject == "[Tidy Nest] Please Confirm Your Email Address"
    assert message.to == ["dana@example.com"]
    path = _link(message.body, "/accounts/confirm-email/")
    assert message.body == (
        "Hello from Tidy Nest!\n\n"
        f"You're receiving this email because user Dana Doe has given your email address to register an account "
        f"on {HOST}.\n\nTo confirm this is correct, go to http://{HOST}{path}\n\n"
        f"Thank you for using Tidy Nest!\n{HOST}"
    )
    # and its link confirms the address
    assert browser.post(path).status_code == 302
    assert EmailAddress.objects.get(email="dana@example.com").verified is True


def test_the_account_already_exists_email_names_the_site(settings, browser, customer):
    # with mandatory verification, a sign-up with a taken address is answered by email only
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"

    browser.post(
        reverse("account_signup"),
        {
            "email": customer.email,
            "full_name": "Casey",
            "role": "customer",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    [message] = mail.outbox
    assert message.subject == "[Tidy Nest] Account Already Exists"
    assert message.body.startswith("Hello from Tidy Nest!\n\n")
    assert message.body.endswith(f"Thank you for using Tidy Nest!\n{HOST}")
    assert f"http://{HOST}/accounts/password/reset/" in message.body


def test_the_site_name_comes_from_the_setting(settings, browser, customer):
    settings.SITE_NAME = "Neat Co"

    browser.post(reverse("account_reset_password"), {"email": customer.email})

    [message] = mail.outbox
    assert message.subject == "[Neat Co] Password Reset Email"
    assert message.body.startswith("Hello from Neat Co!")
    assert "Tidy Nest" not in message.body
    assert "127.0.0.1:8000!" not in message.body


def test_the_wagtail_admin_uses_the_same_site_name():
    from django.conf import settings

    assert settings.WAGTAIL_SITE_NAME == settings.SITE_NAME == "Tidy Nest"
