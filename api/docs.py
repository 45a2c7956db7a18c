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

INTRODUCTION = (
    "Find, book and pay professional organizers. Authenticate with `POST /auth/login` and send "
    "`Authorization: Bearer <access>`. Money is in integer minor units with an ISO 4217 currency: "
    "cents for USD (1250 is $12.50), whole yen for JPY (1250 is ¥1,250), as its ISO exponent says. "
    'Errors are `{"detail": ..., "code": ...}`: `detail` is a sentence for people, `code` is stable '
    "and meant for programs (the table below lists them all). POSTs that create bookings or move "
    "money accept an `Idempotency-Key` header."
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
    return f"{INTRODUCTION}\n\n### Error codes\n\n{error_code_table(extra)}\n"
