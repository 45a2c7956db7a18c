"""user_register: self-service accounts only, one account per email whatever its case, even in a race."""

import pytest
from allauth.account.models import EmailAddress

from marketplace.accounts.models import User
from marketplace.accounts.services import user_register
from marketplace.core.errors import Conflict, ValidationFailed
from tests.races import run_at_once

pytestmark = pytest.mark.django_db

PASSWORD = "tidy-nest-2026!"


def test_registering_creates_the_allauth_email_record_too():
    user = user_register(email="Nora@Example.com", password=PASSWORD, role="vendor", full_name="Nora Neat")

    assert (user.email, user.role, user.full_name) == ("nora@example.com", "vendor", "Nora Neat")
    assert list(EmailAddress.objects.values_list("email", "primary", "verified")) == [("nora@example.com", True, False)]


@pytest.mark.parametrize("role", ["admin", "ADMIN", "superuser", ""])
def test_only_customer_and_vendor_roles_are_self_service(role):
    with pytest.raises(ValidationFailed, match="Role must be 'customer' or 'vendor'"):
        user_register(email="eve@example.com", password=PASSWORD, role=role)

    assert not User.objects.exists()


def test_the_same_email_in_another_case_is_taken(customer):
    with pytest.raises(Conflict) as error:
        user_register(email="CASEY@EXAMPLE.COM", password=PASSWORD)

    assert error.value.code == "email_taken"
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sign_ups_with_one_email_at_once_make_one_account():
    def register(index):
        email = "twin@example.com" if index % 2 else "TWIN@example.com"
        try:
            return user_register(email=email, password=PASSWORD).pk
        except Conflict as error:
            return error.code

    results = run_at_once(4, register)

    assert sorted(map(str, results)) == sorted([str(User.objects.get().pk)] + ["email_taken"] * 3)
    assert EmailAddress.objects.count() == 1
