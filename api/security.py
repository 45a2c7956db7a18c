"""Bearer-token authentication and rate limits for the API."""

import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from marketplace.accounts.models import User
from marketplace.accounts.tokens import user_for_access_token


class JWTAuth(HttpBearer):
    """Authorization: Bearer <access token>. Sets request.auth (and request.user) to the user."""

    openapi_scheme = "bearer"
    openapi_bearerFormat = "JWT"

    def authenticate(self, request: HttpRequest, token: str) -> User:
        identity = user_for_access_token(token)  # raises NotAuthenticated with a clear message
        request.user = identity.user
        request.api_session_id = identity.session_id
        return identity.user


jwt_auth = JWTAuth()


def user_from_bearer(request: HttpRequest) -> User | None:
    """The user named by the request's bearer token, or None (used before routing)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return user_for_access_token(token.strip()).user
    except Exception:
        return None


def _per_thread(name: str) -> property:
    def get(self):
        return getattr(self._per_request, name)

    def set(self, value) -> None:
        setattr(self._per_request, name, value)

    return property(get, set)


class ScopedRateThrottle(SimpleRateThrottle):
    """A rate limit per scope (auth, search, booking), per user when signed in, else per IP.

    The rate is read from settings.API_RATE_LIMITS on every request, so it can be
    changed per environment (and per test) without a restart.

    One instance serves every request of its scope, and SimpleRateThrottle keeps the
    request being checked (its key, history, clock) on ``self``. Under a threaded
    server two checks at once would then count one client's request against the
    other, so that state lives per thread.
    """

    key = _per_thread("key")
    history = _per_thread("history")
    now = _per_thread("now")
    num_requests = _per_thread("num_requests")
    duration = _per_thread("duration")

    def __init__(self, scope: str):
        self.scope = scope
        self._per_request = threading.local()
        super().__init__(rate=self.get_rate())

    def get_rate(self) -> str:
        return settings.API_RATE_LIMITS[self.scope]

    def get_cache_key(self, request: HttpRequest) -> str:
        user = getattr(request, "auth", None)
        ident = f"user-{user.pk}" if getattr(user, "pk", None) else f"ip-{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        return super().allow_request(request)

    def wait(self) -> float:
        """Seconds until the client may send again: until enough of its recent requests leave the window.

        (The inherited formula gives no answer, hence no Retry-After header, when the
        history is longer than the limit, as it is right after the limit is lowered.)
        """
        history, limit = self.history, self.num_requests
        if not limit or len(history) < limit:
            return float(self.duration)
        # history is newest first: every request from index limit - 1 on must age out
        return max(1.0, self.duration - (self.now - history[limit - 1]))


auth_throttle = ScopedRateThrottle("auth")
search_throttle = ScopedRateThrottle("search")
booking_throttle = ScopedRateThrottle("booking")
