from typing import Literal

from ninja import Router, Schema, Status
from pydantic import Field

from marketplace.accounts.errors import EmailTaken, InvalidCredentials, InvalidRefreshToken, TooManyLoginAttempts
from marketplace.accounts.services import user_authenticate, user_register
from marketplace.accounts.tokens import api_session_refresh, api_session_revoke, api_session_start
from marketplace.core.errors import ValidationFailed

from ..contract import raises
from ..schemas import UserOut
from ..security import auth_throttle, jwt_auth

router = Router(tags=["auth"])


class RegisterIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    role: Literal["customer", "vendor"] = "customer"
    full_name: str = Field(default="", max_length=150)
    phone: str = Field(default="", max_length=32)
    time_zone: str = "America/New_York"


class LoginIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)


class RefreshIn(Schema):
    refresh: str = Field(max_length=255)


class TokenOut(Schema):
    access: str
    refresh: str
    token_type: str = "Bearer"
    expires_in: int


@router.post("/register", response={201: UserOut}, throttle=[auth_throttle])
@raises(ValidationFailed, EmailTaken)
def register(request, payload: RegisterIn):
    """Create a customer or organizer account. Log in afterwards to get tokens."""
    return Status(201, user_register(**payload.dict(), via="api"))


@router.post(
    "/login",
    response={200: TokenOut},
    throttle=[auth_throttle],
)
@raises(InvalidCredentials, TooManyLoginAttempts)
def login(request, payload: LoginIn):
    """Exchange an email and password for an access token (short-lived) and a refresh token.

    Failed attempts count against the same limits as the storefront's and the admin's
    sign-in (per account and per client address): past them, even the right password
    answers 429 `too_many_login_attempts` with a Retry-After header.
    """
    user = user_authenticate(request=request, email=payload.email, password=payload.password)
    return api_session_start(user=user, user_agent=request.headers.get("User-Agent", ""))


@router.post("/refresh", response={200: TokenOut}, throttle=[auth_throttle])
@raises(InvalidRefreshToken)
def refresh(request, payload: RefreshIn):
    """Swap a refresh token for a new pair. Each refresh token works once; reusing one ends the sign-in."""
    return api_session_refresh(refresh_token=payload.refresh)


@router.post("/logout", response={204: None}, auth=jwt_auth)
def logout(request):
    """End this sign-in: its access and refresh tokens stop working at once."""
    api_session_revoke(session_id=request.api_session_id)
    return Status(204, None)


@router.get("/me", response={200: UserOut}, auth=jwt_auth)
def me(request):
    return request.auth
