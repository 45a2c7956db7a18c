"""API tokens at the service level: refresh tokens are stored hashed, used once, and revocable."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.accounts.models import ApiSession, RefreshToken
from marketplace.accounts.tokens import (
    api_session_refresh,
    api_session_revoke,
    api_session_start,
    user_for_access_token,
)
from marketplace.core.errors import NotAuthenticated

pytestmark = pytest.mark.django_db


def test_refresh_tokens_are_stored_only_as_hashes(customer):
    pair = api_session_start(user=customer)

    stored = RefreshToken.objects.get()
    assert pair.refresh not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_a_rotation_marks_the_old_token_used_and_keeps_the_session(customer):
    pair = api_session_start(user=customer)

    new = api_session_refresh(refresh_token=pair.refresh)

    assert user_for_access_token(new.access).user == customer
    assert RefreshToken.objects.filter(used_at__isnull=False).count() == 1
    assert ApiSession.objects.get().revoked_at is None


def test_a_reused_refresh_token_ends_the_session_for_every_token(customer):
    pair = api_session_start(user=customer)
    new = api_session_refresh(refresh_token=pair.refresh)

    with pytest.raises(NotAuthenticated) as error:
        api_session_refresh(refresh_token=pair.refresh)

    assert error.value.code == "invalid_refresh_token"
    with pytest.raises(NotAuthenticated) as error:
        user_for_access_token(new.access)
    assert error.value.code == "session_revoked"
    with pytest.raises(NotAuthenticated):
        api_session_refresh(refresh_token=new.refresh)


def test_revoking_one_session_leaves_the_users_other_sign_ins_alone(customer):
    phone, laptop = api_session_start(user=customer), api_session_start(user=customer)

    api_session_revoke(session_id=user_for_access_token(phone.access).session_id)

    with pytest.raises(NotAuthenticated):
        user_for_access_token(phone.access)
    assert user_for_access_token(laptop.access).user == customer


def test_a_deactivated_user_can_neither_use_nor_refresh_tokens(customer):
    pair = api_session_start(user=customer)
    customer.is_active = False
    customer.save()

    with pytest.raises(NotAuthenticated):
        user_for_access_token(pair.access)
    with pytest.raises(NotAuthenticated):
        api_session_refresh(refresh_token=pair.refresh)


def test_an_access_token_expires_after_its_lifetime(customer, settings):
    settings.JWT_ACCESS_TOKEN_MINUTES = 5
    pair = api_session_start(user=customer)

    with time_machine.travel(timezone.now() + timedelta(minutes=4, seconds=59)):
        assert user_for_access_token(pair.access).user == customer
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)),
        pytest.raises(NotAuthenticated) as error,
    ):
        user_for_access_token(pair.access)

    assert error.value.code == "token_expired"


def test_a_token_signed_with_another_key_is_invalid(customer, settings):
    pair = api_session_start(user=customer)
    settings.JWT_SIGNING_KEY = "another-key-0123456789-another-key-0123456789"

    with pytest.raises(NotAuthenticated) as error:
        user_for_access_token(pair.access)

    assert error.value.code == "invalid_token"
