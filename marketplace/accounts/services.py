"""Writes for users and API sign-ins."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from marketplace.core.audit import audit_log
from marketplace.core.errors import ValidationFailed
from marketplace.core.validation import validate_time_zone

from .errors import EmailTaken, InvalidCredentials
from .models import Role, User

SELF_SERVICE_ROLES = (Role.CUSTOMER, Role.VENDOR)


def user_normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_register(
    *,
    email: str,
    password: str,
    role: str = Role.CUSTOMER,
    full_name: str = "",
    phone: str = "",
    time_zone: str = "America/New_York",
) -> User:
    """Create a customer or organizer account.

    Admin accounts are never self-service. Emails are unique without regard to case.
    The allauth email record is created too, so the account can sign in on the
    storefront exactly like one created there.
    """
    from allauth.account.models import EmailAddress

    email = user_normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed("Enter a valid email address.", field="email") from None
    if role not in SELF_SERVICE_ROLES:
        raise ValidationFailed("Role must be 'customer' or 'vendor'.", field="role")
    full_name = (full_name or "").strip()
    if len(full_name) > 150:
        raise ValidationFailed("Full name must be at most 150 characters.", field="full_name")
    validate_time_zone(time_zone)
    candidate = User(email=email, full_name=full_name, role=role)
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="password") from None

    taken = EmailTaken("An account with this email address already exists.", field="email")
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise taken
        try:
            # Two sign-ups with one address at the same moment both pass the check above;
            # the unique index stops the second, which gets the same clear answer.
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, role=role, full_name=full_name, phone=phone, time_zone=time_zone
                )
                EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        except IntegrityError:
            raise taken from None
        audit_log(actor=user, action="user.registered", target=user, data={"role": role})
    return user


def user_authenticate(*, email: str, password: str) -> User:
    """Check an email and password; one vague message for every failure, so accounts can't be probed."""
    user = authenticate(email=user_normalize_email(email), password=password or "")
    if user is None or not user.is_active:
        raise InvalidCredentials("Incorrect email or password.")
    return user
