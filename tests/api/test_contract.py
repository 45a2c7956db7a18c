"""The OpenAPI document is the API's contract: each operation lists what it can answer, and only that.

The whole suite also checks every answer it provokes against the document
(tests/api_contract.py); these tests pin the rules the document is built from.
"""

import pytest

from api.contract import error_codes, raises
from api.errors import API_ERROR_CODES
from marketplace.core.errors import DomainError, error_catalog
from tests.api_contract import Answer, violation

pytestmark = pytest.mark.django_db

TOKEN_CODES = ["invalid_token", "not_authenticated", "session_revoked", "token_expired"]


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_every_documented_code_is_a_real_code_with_the_status_it_is_listed_under(document):
    statuses = {info.code: info.status for info in error_catalog()} | {c: s for c, s, _ in API_ERROR_CODES}
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            codes = error_codes(answer)
            assert codes, f"{method} {path} lists {status} with no code"
            for code in codes:
                assert statuses[code] == int(status), f"{method} {path}: {code} is a {statuses[code]}, not {status}"
                assert f"`{code}`" in answer["description"]


def test_each_operation_lists_its_own_errors_not_one_shared_set(document):
    login = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "402" not in login and "404" not in login and "403" not in login
    assert error_codes(login["401"]) == ["invalid_credentials"]  # no token codes: login takes none
    capture = document["paths"]["/api/v1/payments/capture"]["post"]["responses"]
    assert {"card_declined", "invalid_payment_method"} <= set(error_codes(capture["402"]))
    assert "already_paid" in error_codes(capture["409"])
    health = document["paths"]["/api/v1/health"]["get"]["responses"]
    assert set(health) == {"200"}


def test_every_operation_that_reads_input_lists_422_and_only_those(document):
    for method, path, operation in operations(document):
        reads_input = bool(operation.get("requestBody")) or any(
            parameter["name"] != "Idempotency-Key" for parameter in operation["parameters"]
        )
        codes = error_codes(operation["responses"]["422"]) if "422" in operation["responses"] else []
        assert ("invalid_input" in codes) == reads_input, f"{method} {path}"
    assert "422" not in document["paths"]["/api/v1/auth/me"]["get"]["responses"]
    assert "422" not in document["paths"]["/api/v1/payments/earnings"]["get"]["responses"]


def test_signed_in_operations_list_the_token_errors_and_public_ones_do_not(document):
    for method, path, operation in operations(document):
        answers = operation["responses"]
        if operation.get("security"):
            assert set(TOKEN_CODES) <= set(error_codes(answers["401"])), f"{method} {path}"
        elif "401" in answers:
            assert not set(TOKEN_CODES) & set(error_codes(answers["401"])), f"{method} {path}"
    assert "401" not in document["paths"]["/api/v1/catalog/search"]["get"]["responses"]


def test_the_headers_the_api_reads_and_sets_are_in_the_document(document):
    for method, path, operation in operations(document):
        names = [parameter["name"] for parameter in operation["parameters"]]
        answers = operation["responses"]
        successes = [answer for status, answer in answers.items() if status.startswith("2")]
        if method == "POST":
            assert "Idempotency-Key" in names, f"{method} {path}"
            assert all("Idempotent-Replayed" in answer["headers"] for answer in successes), f"{method} {path}"
            assert "Retry-After" in answers["409"]["headers"]  # idempotency_key_in_use
        else:
            assert "Idempotency-Key" not in names, f"{method} {path}"
        if "429" in answers:
            assert answers["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert all(answer["headers"]["X-Request-ID"]["required"] for answer in answers.values()), f"{method} {path}"
    throttled = document["paths"]["/api/v1/catalog/search"]["get"]["responses"]["429"]
    assert error_codes(throttled) == ["rate_limited"]


def test_every_answer_carries_the_request_id_the_document_promises(api, customer):
    from marketplace.core.request_id import SANE_REQUEST_ID

    response = api.as_user(customer).get("bookings", headers={"X-Request-ID": "trace-42"})
    refused = api.anonymous().get("bookings")

    assert response["X-Request-ID"] == "trace-42"
    assert refused.status_code == 401 and SANE_REQUEST_ID.fullmatch(refused["X-Request-ID"])


def test_the_error_envelope_is_one_schema_narrowed_per_operation(document):
    envelope = document["components"]["schemas"]["Error"]
    assert envelope["required"] == ["detail", "code"]
    assert set(envelope["properties"]) == {"detail", "code", "field", "errors"}
    answer = document["paths"]["/api/v1/bookings"]["post"]["responses"]["409"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema["allOf"][0] == {"$ref": "#/components/schemas/Error"}
    assert {"slot_unavailable", "outside_availability", "idempotency_key_in_use"} <= set(error_codes(answer))


def test_creating_operations_link_to_the_operations_that_use_what_they_made(document):
    ids = {operation["operationId"] for _, _, operation in operations(document)}
    created = document["paths"]["/api/v1/bookings"]["post"]["responses"]["201"]["links"]
    assert created["GetBooking"] == {"operationId": "get_booking", "parameters": {"booking_id": "$response.body#/id"}}
    for _, _, operation in operations(document):
        for answer in operation["responses"].values():
            for link in answer.get("links", {}).values():
                assert link["operationId"] in ids


def test_every_list_is_paged_the_same_way(document):
    schemas = document["components"]["schemas"]
    lists = []
    for method, path, operation in operations(document):
        if method != "GET" or "200" not in operation["responses"]:
            continue
        content = operation["responses"]["200"].get("content", {}).get("application/json")
        if content is None:
            continue  # a file download
        schema = content["schema"]
        assert schema.get("type") != "array", f"GET {path} answers a bare list"
        body = schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
        if "results" in body.get("properties", {}):
            lists.append(path)
            envelope = {"count", "count_exact", "page", "page_size", "next", "previous", "results"}
            # A search adds what it searched around, its corrections and its facets; no list drops a key.
            extra = {"place", "corrections", "facets"} if path == "/api/v1/catalog/search" else set()
            assert envelope | extra == set(body["properties"]), path
            parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
            assert parameters["page_size"]["schema"]["maximum"] == 100, path
            assert parameters["page"]["schema"]["minimum"] == 1, path
    assert sorted(lists) == [
        "/api/v1/bookings",
        "/api/v1/catalog/categories",
        "/api/v1/catalog/search",
        "/api/v1/catalog/services/mine",
        "/api/v1/disputes",
        "/api/v1/payouts",
        "/api/v1/reviews",
        "/api/v1/vendors/me/calendars",
        "/api/v1/vendors/me/documents",
    ]
    assert "### Lists" in document["info"]["description"]


def test_the_schema_says_what_the_server_enforces(document):
    schemas = document["components"]["schemas"]
    assert schemas["CaptureIn"]["properties"]["payment_method"]["minLength"] == 1
    duration = schemas["BookingIn"]["properties"]["duration_minutes"]["anyOf"][0]
    assert duration["multipleOf"] == 15
    search = {p["name"]: p for p in document["paths"]["/api/v1/catalog/search"]["get"]["parameters"]}
    assert "min_price_minor" in search["max_price_minor"]["description"]


# --- The check the whole suite runs (tests/api_contract.py) can fail -------------------------


def test_the_suite_s_contract_check_flags_an_undocumented_status_or_code():
    assert violation(Answer("GET", "/api/v1/bookings/7", 200, None)) is None
    assert violation(Answer("GET", "/api/v1/bookings/7", 404, "not_found")) is None
    assert "do not list" in violation(Answer("GET", "/api/v1/bookings/7", 402, "card_declined"))
    assert "not among" in violation(Answer("GET", "/api/v1/bookings/7", 404, "service_not_found"))
    assert "not among" in violation(Answer("POST", "/api/v1/auth/login", 401, "token_expired"))
    # /services/mine is its own operation, not /services/{service_id}
    assert violation(Answer("GET", "/api/v1/catalog/services/mine", 404, "no_vendor_profile")) is None
    assert violation(Answer("GET", "/api/v1/no-such-thing", 500, None)) is None  # not an operation


def test_raises_takes_only_domain_errors():
    with pytest.raises(TypeError):
        raises(ValueError)
    with pytest.raises(TypeError):
        raises("not_found")

    @raises(DomainError)
    def view(request):
        return None

    assert view.contract_raises == (DomainError,)


# --- What the schema allows, the server takes; what it cannot say is a documented 400 ------------


def test_an_empty_payment_method_is_refused_by_the_schema(api, customer, service):
    from tests.factories.bookings import request_booking

    from ..conftest import local_slot

    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = api.as_user(customer).post("payments/capture", {"booking_id": booking.pk, "payment_method": ""})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["payment_method"]


def test_a_duration_off_the_schema_s_step_is_422_and_one_the_service_does_not_offer_is_a_documented_400(
    api, customer, hourly_service, document
):
    from ..conftest import local_slot

    def book(minutes):
        body = {"service_id": hourly_service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "1 St"}
        return api.as_user(customer).post("bookings", {**body, "duration_minutes": minutes})

    off_step = book(130)  # not a multiple of 15: the schema says so
    not_offered = book(135)  # a multiple of 15, but not 120 + 30k minutes: the service's rule

    assert off_step.status_code == 422
    assert [error["field"] for error in off_step.json()["errors"]] == ["duration_minutes"]
    assert not_offered.status_code == 400
    assert (not_offered.json()["code"], not_offered.json()["field"]) == ("validation_failed", "duration_minutes")
    listed = document["paths"]["/api/v1/bookings"]["post"]["responses"]["400"]
    assert "validation_failed" in error_codes(listed)


def test_a_minimum_price_above_the_maximum_is_a_documented_400(api, document):
    response = api.anonymous().get("catalog/search", {"min_price_minor": 500, "max_price_minor": 100})

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("validation_failed", "min_price_minor")
    assert "validation_failed" in error_codes(document["paths"]["/api/v1/catalog/search"]["get"]["responses"]["400"])


@pytest.mark.parametrize("start", ["0", "1700000000", "2026-12-1", "01/12/2026", "2026-12-01T00:00:00"])
def test_a_date_is_only_a_date_written_yyyy_mm_dd(api, service, start):
    response = api.anonymous().get(f"catalog/services/{service.pk}/slots", {"from": start})

    assert response.status_code == 422, response.content  # pydantic alone took "0" as 1 January 1970
    assert response.json()["errors"][0]["field"] == "from"


@pytest.mark.parametrize("starts_at", [0, "1700000000", "2026-12-04 10:00", "2026-12-04T10:00:00"])
def test_a_booking_time_is_rfc_3339_with_an_offset(api, customer, service, starts_at):
    body = {"service_id": service.pk, "starts_at": starts_at, "address": "1 Main St"}

    response = api.as_user(customer).post("bookings", body)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["starts_at"]


@pytest.mark.parametrize("start_time", ["08:00Z", "08:00+01:00", "8:00", "24:00", 28800])
def test_weekly_hours_are_wall_clock_times_without_an_offset(api, vendor, start_time):
    body = {"windows": [{"weekday": 0, "start_time": start_time, "end_time": "17:00"}]}

    response = api.as_user(vendor.user).put("vendors/availability", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "windows.0.start_time"


def test_wall_clock_times_are_answered_as_the_document_says(api, vendor, document):
    import re

    window = api.as_user(vendor.user).get("vendors/availability").json()["windows"][0]
    schema = document["components"]["schemas"]["WindowOut"]["properties"]["start_time"]

    assert "format" not in schema  # JSON Schema's "time" needs an offset; these are the organizer's wall clock
    assert re.fullmatch(schema["pattern"].strip("^$"), window["start_time"])
