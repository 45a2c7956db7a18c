"""Small validators shared by several domain apps."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import ValidationFailed
from .money import SUPPORTED_CURRENCIES


def validate_time_zone(name: str, *, field: str = "time_zone") -> str:
    if not name or name not in _time_zones():
        raise ValidationFailed(
            f"'{name}' is not a known time zone (use an IANA name such as America/New_York).", field=field
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"'{name}' is not a known time zone.", field=field) from None
    return name


def validate_currency(code: str, *, field: str = "currency") -> str:
    if code not in SUPPORTED_CURRENCIES:
        raise ValidationFailed(
            f"'{code}' is not a supported currency (supported: {', '.join(SUPPORTED_CURRENCIES)}).", field=field
        )
    return code


def require_text(value: str | None, *, field: str, label: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"{label} must be at most {max_length} characters.", field=field)
    return text


_TIME_ZONES: frozenset[str] | None = None


def _time_zones() -> frozenset[str]:
    global _TIME_ZONES
    if _TIME_ZONES is None:
        _TIME_ZONES = frozenset(available_timezones())
    return _TIME_ZONES
