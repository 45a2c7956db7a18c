"""The versioned JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from marketplace.core.health import liveness

from .contract import ContractAPI
from .docs import api_description
from .errors import API_ERROR_CODES, install_error_handlers
from .parser import StrictJSONParser
from .routes import (
    accounts,
    bookings,
    catalog,
    disputes,
    payments,
    reviews,
    vendor_calendars,
    vendor_documents,
    vendors,
    webhooks,
)

api = ContractAPI(
    title="Tidy Nest marketplace API",
    version="1.0.0",
    description=api_description(extra=API_ERROR_CODES),
    urls_namespace="api-v1",
    parser=StrictJSONParser(),
)
install_error_handlers(api)


@api.get("/health", tags=["meta"], include_in_schema=True)
def health(request):
    """Liveness for load balancers and smoke tests: answers without touching the database."""
    return {**liveness(), "version": api.version}


api.add_router("/auth", accounts.router)
api.add_router("/vendors", vendors.router)
api.add_router("/vendors", vendor_documents.router)
api.add_router("/vendors", vendor_calendars.router)
api.add_router("/catalog", catalog.router)
api.add_router("/bookings", bookings.router)
api.add_router("/bookings", disputes.booking_router)
api.add_router("/disputes", disputes.router)
api.add_router("/payments/webhooks", webhooks.router)
api.add_router("/payments", payments.router)
api.add_router("/payouts", payments.payouts_router)
api.add_router("/reviews", reviews.router)
