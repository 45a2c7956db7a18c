"""Writes for users and API sign-ins."""

from __future__ import annotations

import math
import time

from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from marketplace.core.audit import audit_log
from marketplace.core.errors import ValidationFailed
from marketplace.core.validation import validate_time_zone

from .errors import EmailTaken, InvalidCredentials, TooManyLoginAttempts
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
    via: str = "",
) -> User:
    """Create a customer or organizer account: every sign-up, whichever face it comes from.

    Admin accounts are never self-service. Emails are unique without regard to case.
    The allauth email record (primary, not yet verified) is created too, so an account
    made through the API signs in on the storefront exactly like one made there (whose
    sign-up form leaves that record to this service). ``via`` names the face
    ("storefront", "api") in the audit entry.
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
        audit_log(
            actor=user, action="user.registered", target=user, data={"role": role, **({"via": via} if via else {})}
        )
    return user


def login_attempts_key(email: str) -> str:
    """The account's key in allauth's ``login_failed`` rate limit, the same for every face and host.

    allauth prefixes the email with the request's host; one site answering on several
    hosts (127.0.0.1 and localhost, www and the bare domain) would then count each
    host's guesses apart, so the storefront's allauth adapter keys by this alone.
    """
    return user_normalize_email(email)


def user_authenticate(*, request: HttpRequest, email: str, password: str) -> User:
    """Check an email and password under the sign-in limits that every face shares.

    The storefront (allauth's login form), the Wagtail admin login and the API login all
    go through allauth's adapter, whose ``login_failed`` limit counts failed attempts in
    the cache: by default 10 a minute per client address and 5 in 5 minutes per account.
    Past either limit every attempt is refused, the right password included, with
    TooManyLoginAttempts saying how long to wait. A successful sign-in takes back its
    own attempt, so it does not reset what an attacker already spent. Every other
    failure gets one vague message, so accounts can't be probed.
    """
    from allauth.account.adapter import get_adapter

    email = user_normalize_email(email)
    try:
        user = get_adapter(request).authenticate(request, email=email, password=password or "")
    except ValidationError as error:
        if error.code != "too_many_login_attempts":
            raise
        raise TooManyLoginAttempts(
            "Too many failed sign-in attempts. Please wait a few minutes and try again.",
            retry_after=_login_retry_after(request, email),
        ) from None
    if user is None or not user.is_active:
        raise InvalidCredentials("Incorrect email or password.")
    return user


def _login_retry_after(request: HttpRequest, email: str) -> int:
    """Whole seconds until allauth's ``login_failed`` limit lets this client try this account again.

    Each rate keeps the times of recent attempts, newest first; a full rate opens again
    when the oldest attempt that still counts leaves its window.
    """
    from allauth.core.internal import ratelimit

    now = time.time()
    wait = 0.0
    for rate in ratelimit.get_rates(app="allauth.account", action="login_failed"):
        cache_key = ratelimit.get_cache_key(
            request, app="allauth.account", action="login_failed", rate=rate, key=login_attempts_key(email)
        )
        recent = [moment for moment in cache.get(cache_key, []) if moment > now - rate.duration]
        if len(recent) >= rate.amount:
            wait = max(wait, recent[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))
