"""Bearer-token authentication and rate limits for the API."""

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


class ScopedRateThrottle(SimpleRateThrottle):
    """A rate limit per scope (auth, search, booking), per user when signed in, else per IP.

    The rate is read from settings.API_RATE_LIMITS on every request, so it can be
    changed per environment (and per test) without a restart.
    """

    def __init__(self, scope: str):
        self.scope = scope
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


auth_throttle = ScopedRateThrottle("auth")
search_throttle = ScopedRateThrottle("search")
booking_throttle = ScopedRateThrottle("booking")
