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


def _control_characters(text: str, *, multiline: bool) -> bool:
    allowed = "\n\t" if multiline else ""
    return any(
        (ord(char) < 32 and char not in allowed) or 127 <= ord(char) < 160 or char in "\u2028\u2029" for char in text
    )


def clean_text(
    value: str | None, *, field: str, label: str, max_length: int, required: bool = False, multiline: bool = False
) -> str:
    """Text a person typed, trimmed and checked where it is stored.

    A single-line text (a title, a name, an address) may hold no line break or other
    control character: it is shown in headings, list cells and email subjects, where a
    line break would break the layout or the message. A multi-line text (a description,
    a note) may hold line breaks and tabs, and no other control character. Windows line
    endings become plain ones.
    """
    text = (value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationFailed(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"{label} must be at most {max_length} characters.", field=field)
    if _control_characters(text, multiline=multiline):
        what = "control characters" if multiline else "line breaks or control characters"
        raise ValidationFailed(f"{label} cannot contain {what}.", field=field)
    return text


def require_text(value: str | None, *, field: str, label: str, max_length: int) -> str:
    """A required single-line text (see ``clean_text``)."""
    return clean_text(value, field=field, label=label, max_length=max_length, required=True)


_TIME_ZONES: frozenset[str] | None = None


def _time_zones() -> frozenset[str]:
    global _TIME_ZONES
    if _TIME_ZONES is None:
        _TIME_ZONES = frozenset(available_timezones())
    return _TIME_ZONES
