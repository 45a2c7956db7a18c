"""API sign-in: short-lived JWT access tokens and rotating, revocable refresh tokens.

An access token is a signed JWT naming the user and the sign-in (ApiSession) it
belongs to; checking it costs one indexed read that also proves the session is
still live, so logout takes effect at once. A refresh token is an opaque random
string stored only as a hash; each one can be used once and is replaced by a new
one. Presenting a refresh token that was already used revokes the whole session,
because only a stolen copy would be replayed.

A session is bound to the user's credentials when it starts: it keeps a fingerprint
of the user's password hash, and every use of its tokens compares it with the user's
current one. Changing or resetting the password, by whatever path (allauth's views,
the Wagtail admin, ``manage.py changepassword``, ``set_password`` anywhere), changes
the hash, so every earlier API sign-in of that user is refused and marked revoked
(``credentials_changed``) the first time it is used; so is every sign-in of a
deactivated user (``user_deactivated``). Like Django's own session hash, but without a
key: the fingerprint never leaves the database that holds the password hash itself,
so rotating SECRET_KEY or JWT_SIGNING_KEY does not end every sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .errors import InvalidRefreshToken, InvalidToken, SessionRevoked, TokenExpired
from .models import ApiSession, RefreshToken, User

ALGORITHM = "HS256"
ISSUER = "marketplace"
FINGERPRINT_PREFIX = b"marketplace.accounts.ApiSession.credentials:"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _access_token(session: ApiSession) -> tuple[str, int]:
    lifetime = settings.JWT_ACCESS_TOKEN_MINUTES * 60
    now = timezone.now()
    payload = {
        "iss": ISSUER,
        "sub": str(session.user_id),
        "sid": str(session.id),
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "typ": "access",
    }
    return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM), lifetime


def _new_refresh_token(session: ApiSession) -> str:
    token = secrets.token_urlsafe(48)
    RefreshToken.objects.create(
        session=session,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.JWT_REFRESH_TOKEN_DAYS),
    )
    return token


def _credentials_fingerprint(user: User) -> str:
    """Changes whenever the user's password does: a hash of the password hash (salt included)."""
    return hashlib.sha256(FINGERPRINT_PREFIX + user.password.encode()).hexdigest()


def _ended_by_user(session: ApiSession) -> str | None:
    """Why the session's user has ended it, if they have: deactivated, or credentials changed since sign-in."""
    if not session.user.is_active:
        return "user_deactivated"
    if not constant_time_compare(session.credentials_fingerprint, _credentials_fingerprint(session.user)):
        return "credentials_changed"  # also a session older than the binding (empty fingerprint)
    return None


def api_session_start(*, user: User, user_agent: str = "") -> TokenPair:
    with transaction.atomic():
        session = ApiSession.objects.create(
            user=user, user_agent=user_agent[:255], credentials_fingerprint=_credentials_fingerprint(user)
        )
        refresh = _new_refresh_token(session)
    access, lifetime = _access_token(session)
    return TokenPair(access=access, refresh=refresh, expires_in=lifetime)


def api_session_refresh(*, refresh_token: str) -> TokenPair:
    """Swap a refresh token for a new pair.

    Reusing an old refresh token revokes the session; so does a refresh after the
    user's password changed or the user was deactivated.
    """
    invalid = InvalidRefreshToken("The refresh token is invalid or has expired.")
    refresh = None
    with transaction.atomic():
        token = (
            RefreshToken.objects.select_for_update()
            .select_related("session__user")
            .filter(token_hash=_hash(refresh_token or ""))
            .first()
        )
        if token is None:
            raise invalid
        session = token.session
        now = timezone.now()
        if token.used_at is not None:
            # Only a copy of an old token is ever replayed: end the sign-in. The
            # revocation commits; the request still fails below.
            _revoke(session.id, reason="refresh_token_reused", at=now)
        elif session.revoked_at is not None or token.expires_at <= now:
            raise invalid
        elif (reason := _ended_by_user(session)) is not None:
            _revoke(session.id, reason=reason, at=now)  # commits too; the request fails below
        else:
            token.used_at = now
            token.save(update_fields=["used_at"])
            refresh = _new_refresh_token(session)
    if refresh is None:
        raise invalid
    access, lifetime = _access_token(session)
    return TokenPair(access=access, refresh=refresh, expires_in=lifetime)


def _revoke(session_id, *, reason: str, at) -> None:
    """End a live session; a session already revoked keeps its first reason."""
    ApiSession.objects.filter(id=session_id, revoked_at__isnull=True).update(revoked_at=at, revoked_reason=reason)


def api_session_revoke(*, session_id: str, reason: str = "logout") -> None:
    _revoke(session_id, reason=reason, at=timezone.now())


def api_sessions_end_for_user(*, user: User, reason: str) -> int:
    """End every live API sign-in of ``user`` now; returns how many ended.

    Tokens of a deactivated user are refused on their next use anyway; ending them at
    once also keeps them ended if the user is activated again later.
    """
    return ApiSession.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


@dataclass(frozen=True)
class AccessIdentity:
    user: User
    session_id: str


def user_for_access_token(token: str) -> AccessIdentity:
    """Verify an access token and return its user, or raise NotAuthenticated."""
    try:
        payload = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "sid", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired("The access token has expired; refresh it.") from None
    except jwt.PyJWTError:
        raise InvalidToken("The access token is invalid.") from None
    if payload.get("typ") != "access":
        raise InvalidToken("The access token is invalid.")
    try:
        session_id, user_id = uuid.UUID(str(payload["sid"])), int(payload["sub"])
    except (TypeError, ValueError):
        raise InvalidToken("The access token is invalid.") from None
    ended = SessionRevoked("This sign-in has ended; log in again.")
    session = ApiSession.objects.select_related("user").filter(id=session_id, user_id=user_id).first()
    if session is None or session.revoked_at is not None:
        raise ended
    reason = _ended_by_user(session)
    if reason is not None:
        _revoke(session.id, reason=reason, at=timezone.now())
        raise ended
    return AccessIdentity(user=session.user, session_id=str(session.id))
