"""The API's description, with the catalogue of every error code it can answer with.

Every domain app's ``errors`` module is imported here, so the catalogue lists each
code declared anywhere in the domain, with its HTTP status and what it means (the
docstring of the class that declares it).
"""

from marketplace.accounts import errors as _accounts  # noqa: F401  (imported for their error codes)
from marketplace.bookings import errors as _bookings  # noqa: F401
from marketplace.catalog import errors as _catalog  # noqa: F401
from marketplace.core.errors import error_catalog
from marketplace.disputes import errors as _disputes  # noqa: F401
from marketplace.payments import errors as _payments  # noqa: F401
from marketplace.reviews import errors as _reviews  # noqa: F401
from marketplace.vendors import errors as _vendors  # noqa: F401

from .pagination import DESCRIPTION as PAGINATION

INTRODUCTION = (
    "Find, book and pay professional organizers. Authenticate with `POST /auth/login` and send "
    "`Authorization: Bearer <access>`. Money is in integer minor units with an ISO 4217 currency: "
    "cents for USD (1250 is $12.50), whole yen for JPY (1250 is ¥1,250), as its ISO exponent says. "
    'Errors are `{"detail": ..., "code": ...}`: `detail` is a sentence for people, `code` is stable '
    "and meant for programs (the table below lists them all). Every POST made while signed in "
    "accepts an `Idempotency-Key` header, so a retry never books or charges twice. Every answer "
    "carries an `X-Request-ID` (yours, when you send a sane one: letters, digits and `._:-`, up to 64)."
)


ERRORS = (
    "Each operation lists the statuses it can answer and, for each error status, the codes it can carry. "
    "What the schema can say (types, lengths, ranges, enums; no NUL character in any string) is refused with "
    "422 `invalid_input` and an `errors` list naming each field; rules that need the marketplace's state or "
    "several fields at once (a free slot, a price range whose minimum is above its maximum, a duration the "
    "service does not offer) are refused with the code of the rule, and `field` names the input when there is "
    "one. A 429, and a 409 `idempotency_key_in_use`, carry Retry-After."
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def error_code_table(extra: list[tuple[str, int, str]] = ()) -> str:
    """A Markdown table of every error code: the domain's, plus ``extra`` ones the API itself answers with."""
    rows = [(info.code, info.status, info.meaning) for info in error_catalog()]
    rows = sorted([*rows, *extra], key=lambda row: (row[1], row[0]))
    lines = ["| code | HTTP status | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{code}` | {status} | {_cell(meaning)} |" for code, status, meaning in rows]
    return "\n".join(lines)


def api_description(extra: list[tuple[str, int, str]] = ()) -> str:
    return (
        f"{INTRODUCTION}\n\n### Lists\n\n{PAGINATION}\n\n### Errors\n\n{ERRORS}\n\n"
        f"### Error codes\n\n{error_code_table(extra)}\n"
    )
