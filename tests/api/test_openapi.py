"""The OpenAPI document lists every seed endpoint at the seed's path; the docs page works offline."""

import pytest

pytestmark = pytest.mark.django_db

SEED_OPERATIONS = [
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/vendors/profile"),
    ("put", "/api/v1/vendors/{vendor_id}/verify"),
    ("post", "/api/v1/catalog/services"),
    ("get", "/api/v1/catalog/search"),
    ("post", "/api/v1/bookings"),
    ("post", "/api/v1/payments/capture"),
    ("post", "/api/v1/bookings/{booking_id}/confirm_completion"),
    ("post", "/api/v1/payments/payout"),
    ("post", "/api/v1/reviews"),
]


def test_openapi_lists_every_seed_endpoint(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    missing = [(method, path) for method, path in SEED_OPERATIONS if method not in paths.get(path, {})]
    assert missing == []


def test_protected_seed_endpoints_declare_bearer_auth(client):
    document = client.get("/api/v1/openapi.json").json()

    assert document["components"]["securitySchemes"]["JWTAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert document["paths"]["/api/v1/bookings"]["post"]["security"] == [{"JWTAuth": []}]
    assert "security" not in document["paths"]["/api/v1/catalog/search"]["get"]


def test_the_docs_page_answers_and_loads_nothing_from_a_cdn(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html


def test_the_docs_list_every_error_code_with_its_status(client):
    from marketplace.core.errors import error_catalog

    description = client.get("/api/v1/openapi.json").json()["info"]["description"]

    for info in error_catalog():
        assert f"| `{info.code}` | {info.status} |" in description
    assert "| `slot_unavailable` | 409 |" in description


def test_the_price_limits_come_from_the_catalog_limits(client):
    from marketplace.catalog.limits import MAX_PRICE_MINOR

    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    assert schemas["ServiceIn"]["properties"]["base_price_minor"]["maximum"] == MAX_PRICE_MINOR
    assert schemas["QuoteIn"]["properties"]["price_minor"]["maximum"] == MAX_PRICE_MINOR


def test_the_docs_list_the_api_s_own_error_codes_too(client):
    from api.errors import API_ERROR_CODES

    description = client.get("/api/v1/openapi.json").json()["info"]["description"]

    for code, status, _ in API_ERROR_CODES:
        assert f"| `{code}` | {status} |" in description
