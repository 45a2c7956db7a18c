"""Response and request shapes shared by several routers."""

import re
from datetime import date, datetime, time
from typing import Annotated

from ninja import Schema
from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from marketplace.catalog.cancellation import terms_lines

# Ids in requests (bodies, paths, query strings): a positive 64-bit integer. Anything
# larger cannot be a row id, and the database driver would fail on it instead of
# simply finding nothing.
MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]


# Dates and times the API reads are text in the one form the schema names. Pydantic alone
# also takes a number (or a string of digits) as seconds since 1970, and a time with an
# offset: "start=0" would be 1 January 1970. These refuse anything else with a 422.
def _written_as(pattern: str, example: str):
    compiled = re.compile(pattern)

    def check(value):
        if isinstance(value, str) and compiled.fullmatch(value):
            return value
        raise PydanticCustomError("written_as", "must be written like {example}", {"example": example})

    return BeforeValidator(check)


IsoDate = Annotated[date, _written_as(r"\d{4}-\d{2}-\d{2}", "2026-12-01")]
IsoDateTime = Annotated[
    datetime,
    _written_as(
        r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})", "2026-12-01T10:00:00-05:00"
    ),
]
WALL_CLOCK_PATTERN = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?"
WALL_CLOCK_SCHEMA = {
    "type": "string",
    "pattern": f"^{WALL_CLOCK_PATTERN}$",
    "description": "A wall-clock time in the organizer's time zone, HH:MM or HH:MM:SS, without an offset.",
}
WallClockTime = Annotated[time, _written_as(WALL_CLOCK_PATTERN, "08:30"), WithJsonSchema(WALL_CLOCK_SCHEMA)]
# Answers write wall-clock times HH:MM:SS (JSON Schema's "time" format would need an offset).
WallClockTimeOut = Annotated[
    time,
    WithJsonSchema({**WALL_CLOCK_SCHEMA, "pattern": "^([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$"}),
]


class ErrorOut(Schema):
    detail: str
    code: str


class MoneyFields(Schema):
    currency: str


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    time_zone: str


class VendorRef(Schema):
    id: int
    business_name: str
    slug: str


def _live_page(category):
    """The live storefront page presenting the category, if marketing published one."""
    page = getattr(category, "page", None)  # the reverse one-to-one may not exist
    return page if page is not None and page.live else None


class CategoryRef(Schema):
    id: int
    title: str = Field(description="The category's name.")
    slug: str

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.name


class CategoryOut(CategoryRef):
    summary: str = Field(description="One line from the category's page; empty when it has no page yet.")
    url: str | None = Field(description="The category's page on the storefront, if it has one.")

    @staticmethod
    def resolve_summary(obj) -> str:
        page = _live_page(obj)
        return page.summary if page else ""

    @staticmethod
    def resolve_url(obj) -> str | None:
        page = _live_page(obj)
        return page.url if page else None


class RefundTierOut(Schema):
    hours_before_start: int = Field(description="Cancelling at least this many hours before the start...")
    refund_percent: int = Field(description="...refunds this percentage of what the customer paid.")


class CancellationTermsOut(Schema):
    policy: str = Field(description="The preset the terms come from: flexible, moderate or strict.")
    refund_tiers: list[RefundTierOut] = Field(
        description="From the earliest tier to the latest; the first tier the customer is still in applies. "
        "The last tier is always at 0 hours."
    )
    reschedule_hours: int = Field(description="Until how many hours before the start the booking may be moved.")
    lines: list[str] = Field(description="The terms in words, as the storefront shows them.")


def cancellation_terms_out(terms: dict) -> dict:
    """Cancellation terms (``marketplace.catalog.cancellation``) in the shape of CancellationTermsOut."""
    return {
        "policy": terms["policy"],
        "refund_tiers": [
            {"hours_before_start": hours, "refund_percent": percent} for hours, percent in terms["refund_tiers"]
        ],
        "reschedule_hours": terms["reschedule_hours"],
        "lines": terms_lines(terms),
    }


class ReviewOut(Schema):
    id: int
    booking_id: int
    vendor_id: int
    service_id: int
    rating: int
    title: str
    body: str
    author: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.customer.get_short_name()
