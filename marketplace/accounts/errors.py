"""Error codes of accounts and sign-in (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict, NotAuthenticated, PermissionDenied, TooManyRequests


class EmailTaken(Conflict):
    """An account with this email address already exists (email addresses are unique without regard to case)."""

    code = "email_taken"


class InvalidCredentials(NotAuthenticated):
    """The email address and password do not match an active account."""

    code = "invalid_credentials"


class TooManyLoginAttempts(TooManyRequests):
    """Too many failed sign-ins for this account or from this address: even the right password waits (Retry-After)."""

    code = "too_many_login_attempts"


class InvalidRefreshToken(NotAuthenticated):
    """The refresh token is unknown, expired, already used, or its sign-in has ended."""

    code = "invalid_refresh_token"


class TokenExpired(NotAuthenticated):
    """The access token has expired: get a new one with POST /auth/refresh."""

    code = "token_expired"


class InvalidToken(NotAuthenticated):
    """The access token is malformed or its signature does not verify."""

    code = "invalid_token"


class SessionRevoked(NotAuthenticated):
    """The sign-in this token belongs to has ended (logout, a reused refresh token): log in again."""

    code = "session_revoked"


class NotPermitted(PermissionDenied):
    """The account does not hold the staff permission this needs (resolve disputes, refund, approve payouts...)."""

    code = "not_permitted"
