"""Bad input anywhere gets a readable 4xx JSON error, never a 500, and writes nothing."""

from datetime import timedelta

import pytest

from marketplace.bookings.models import Booking
from tests.conftest import local_slot
from tests.factories.bookings import request_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

HUGE = 10**30
GEOJSON_NOT_CLOSED = {"type": "Polygon", "coordinates": [[[-74, 40], [-73, 40], [-73, 41], [-74, 41]]]}


def _profile(**changes) -> dict:
    body = {"business_name": "Neat", "city": "Queens, NY", "latitude": 40.7, "longitude": -73.8}
    body.update(changes)
    return body


def _service(category_id: int, **changes) -> dict:
    body = {
        "category_id": category_id,
        "title": "Closet reset",
        "pricing_model": "fixed",
        "base_price_minor": 25000,
        "duration_minutes": 180,
    }
    body.update(changes)
    return body


def _bad_requests(*, service, category, booking, vendor) -> list[tuple[str, str, str, object]]:
    """(who, method, path, body or query) of requests that must all be refused with a 4xx."""
    slot = local_slot(days_ahead=4)
    booking_body = {"service_id": service.pk, "starts_at": slot.isoformat(), "address": "1 Main St"}

    def book(**changes):
        return {**booking_body, **changes}

    return [
        # malformed bodies
        ("anonymous", "post", "auth/register", "{not json"),
        ("anonymous", "post", "auth/register", "[]"),
        ("anonymous", "post", "auth/register", '"just a string"'),
        ("anonymous", "post", "auth/register", "null"),
        ("anonymous", "post", "auth/register", '{"email": NaN, "password": Infinity}'),
        ("anonymous", "post", "auth/register", b"\xff\xfe\x00"),
        ("anonymous", "post", "auth/register", "[" * 5000),
        # registration
        ("anonymous", "post", "auth/register", {}),
        ("anonymous", "post", "auth/register", {"email": "a@example.com"}),
        ("anonymous", "post", "auth/register", {"email": 5, "password": ["x"]}),
        ("anonymous", "post", "auth/register", {"email": "not-an-email", "password": "tidy-nest-2026!"}),
        ("anonymous", "post", "auth/register", {"email": "a\u0000b@example.com", "password": "tidy-nest-2026!"}),
        ("anonymous", "post", "auth/register", {"email": "x@example.com", "password": "123"}),
        ("anonymous", "post", "auth/register", {"email": "x@example.com", "password": "tidy-nest-2026!", "role": 7}),
        ("anonymous", "post", "auth/register", {"email": "x@example.com", "password": "p", "role": "admin"}),
        ("anonymous", "post", "auth/register", {"email": "x@example.com", "password": "tidy-2026!", "time_zone": ""}),
        (
            "anonymous",
            "post",
            "auth/register",
            {"email": "x@e.com", "password": "tidy-2026!", "time_zone": "Mars/Base"},
        ),
        ("anonymous", "post", "auth/register", {"email": "x@e.com", "password": "tidy-2026!", "full_name": "n" * 151}),
        ("anonymous", "post", "auth/register", {"email": "CASEY@example.com", "password": "tidy-nest-2026!"}),
        ("anonymous", "post", "auth/login", {}),
        ("anonymous", "post", "auth/login", {"email": ["a"], "password": {"b": 1}}),
        ("anonymous", "post", "auth/login", {"email": "casey@example.com", "password": "wrong"}),
        ("anonymous", "post", "auth/refresh", {"refresh": ""}),
        ("anonymous", "post", "auth/refresh", {"refresh": 12345}),
        ("anonymous", "post", "auth/refresh", {"refresh": "x" * 300}),
        # vendor profile
        ("vendor", "post", "vendors/profile", {}),
        ("vendor", "post", "vendors/profile", _profile(latitude="north")),
        ("vendor", "post", "vendors/profile", _profile(latitude=91)),
        ("vendor", "post", "vendors/profile", _profile(longitude=-181)),
        ("vendor", "post", "vendors/profile", _profile(time_zone="Eastern")),
        ("vendor", "post", "vendors/profile", _profile(time_zone="")),
        ("vendor", "post", "vendors/profile", _profile(business_name="   ")),
        ("vendor", "post", "vendors/profile", _profile(service_radius_km=0)),
        ("vendor", "post", "vendors/profile", _profile(certifications="NAPO")),
        ("vendor", "post", "vendors/profile", _profile(certifications=[1, 2])),
        ("vendor", "post", "vendors/profile", _profile(service_area_geojson={"type": "Point", "coordinates": [1, 2]})),
        ("vendor", "post", "vendors/profile", _profile(service_area_geojson=GEOJSON_NOT_CLOSED)),
        ("vendor", "post", "vendors/profile", _profile(service_area_geojson={"type": "Polygon", "coordinates": 5})),
        ("vendor", "post", "vendors/profile", _profile(service_area_geojson={"type": "Polygon", "coordinates": [5]})),
        ("vendor", "post", "vendors/profile", _profile(service_area_geojson={"type": "MultiPolygon"})),
        ("vendor", "post", "vendors/profile", _profile(service_area_geojson={"type": "Polygon", "coordinates": [[]]})),
        (
            "vendor",
            "post",
            "vendors/profile",
            _profile(
                service_area_geojson={"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}
            ),
        ),
        (
            "vendor",
            "post",
            "vendors/profile",
            _profile(service_area_geojson={"type": "Polygon", "coordinates": [[[500, 2], [1, 2], [3, 4], [500, 2]]]}),
        ),
        ("vendor", "post", "vendors/profile", _profile(service_area_geojson="POLYGON((0 0, 1 1))")),
        (
            "vendor",
            "put",
            "vendors/availability",
            {"windows": [{"weekday": 9, "start_time": "09:00", "end_time": "17:00"}]},
        ),
        (
            "vendor",
            "put",
            "vendors/availability",
            {"windows": [{"weekday": 1, "start_time": "25:00", "end_time": "26:00"}]},
        ),
        (
            "vendor",
            "put",
            "vendors/availability",
            {"windows": [{"weekday": 1, "start_time": "17:00", "end_time": "09:00"}]},
        ),
        ("vendor", "put", "vendors/availability", {"windows": "all week"}),
        ("vendor", "post", "vendors/availability/exceptions", {"date": "2027-02-30"}),
        ("vendor", "post", "vendors/availability/exceptions", {"date": "2027-02-03", "start_time": "10:00"}),
        ("vendor", "post", "vendors/availability/exceptions", {"date": "2027-02-03", "is_available": True}),
        ("vendor", "delete", "vendors/availability/exceptions/999999", None),
        # booking rules
        ("vendor", "patch", "vendors/me/booking-rules", {"buffer_before_minutes": -5}),
        ("vendor", "patch", "vendors/me/booking-rules", {"buffer_after_minutes": 241}),
        ("vendor", "patch", "vendors/me/booking-rules", {"buffer_after_minutes": None}),
        ("vendor", "patch", "vendors/me/booking-rules", {"slot_step_minutes": 20}),
        ("vendor", "patch", "vendors/me/booking-rules", {"min_notice_minutes": 4320, "horizon_days": 3}),
        ("vendor", "patch", "vendors/me/booking-rules", {"min_notice_minutes": 20161}),
        ("vendor", "patch", "vendors/me/booking-rules", {"horizon_days": 0}),
        ("vendor", "patch", "vendors/me/booking-rules", {"daily_cap": 21}),
        ("vendor", "patch", "vendors/me/booking-rules", {"daily_cap": HUGE}),
        ("vendor", "patch", "vendors/me/booking-rules", {"daily_cap": "two"}),
        ("vendor", "patch", "vendors/me/booking-rules", {"horizon_days": 30.5}),
        ("vendor", "patch", "vendors/me/booking-rules", {"slot_step_minutes": True}),
        ("vendor", "patch", "vendors/me/booking-rules", {"min_notice_minutes": "60"}),
        ("vendor", "patch", "vendors/me/booking-rules", "[]"),
        ("customer", "patch", "vendors/me/booking-rules", {"daily_cap": 2}),
        ("customer", "get", "vendors/me/booking-rules", None),
        ("anonymous", "patch", "vendors/me/booking-rules", {"daily_cap": 2}),
        ("admin", "put", f"vendors/{vendor.pk}/verify", {"decision": "maybe"}),
        ("admin", "put", f"vendors/{vendor.pk}/verify", {"decision": "suspended"}),
        ("admin", "put", "vendors/abc/verify", {"decision": "verified"}),
        ("admin", "put", f"vendors/{HUGE}/verify", {"decision": "verified"}),
        ("admin", "put", "vendors/-1/verify", {"decision": "verified"}),
        ("anonymous", "get", "vendors/999999", None),
        # services
        ("vendor", "post", "catalog/services", _service(category.pk, base_price_minor=-1)),
        ("vendor", "post", "catalog/services", _service(category.pk, base_price_minor=HUGE)),
        ("vendor", "post", "catalog/services", _service(category.pk, base_price_minor=10**12)),
        ("vendor", "post", "catalog/services", _service(category.pk, base_price_minor="ten dollars")),
        ("vendor", "post", "catalog/services", _service(category.pk, base_price_minor=99.5)),
        ("vendor", "post", "catalog/services", _service(category.pk, base_price_minor=0)),
        ("vendor", "post", "catalog/services", _service(category.pk, duration_minutes=0)),
        ("vendor", "post", "catalog/services", _service(category.pk, duration_minutes=7)),
        ("vendor", "post", "catalog/services", _service(category.pk, duration_minutes=10_000)),
        ("vendor", "post", "catalog/services", _service(category.pk, pricing_model="free")),
        ("vendor", "post", "catalog/services", _service(category.pk, currency="usd")),
        ("vendor", "post", "catalog/services", _service(category.pk, currency="XXX")),
        ("vendor", "post", "catalog/services", _service(category.pk, title="   ")),
        ("vendor", "post", "catalog/services", _service(category.pk, title="t\u0000")),
        ("vendor", "post", "catalog/services", _service(999999)),
        ("vendor", "post", "catalog/services", _service(HUGE)),
        ("vendor", "patch", f"catalog/services/{service.pk}", {"base_price_minor": None}),
        ("vendor", "patch", f"catalog/services/{service.pk}", {"base_price_minor": 10**9}),
        ("vendor", "patch", f"catalog/services/{service.pk}", {"category_id": 999999}),
        ("vendor", "patch", "catalog/services/999999", {"title": "New"}),
        ("anonymous", "get", "catalog/services/999999", None),
        ("anonymous", "get", f"catalog/services/{HUGE}", None),
        ("anonymous", "get", f"catalog/services/{service.pk}/slots", {"from": "2027-13-01"}),
        ("anonymous", "get", f"catalog/services/{service.pk}/slots", {"from": "2027-01-10", "to": "2027-01-09"}),
        ("anonymous", "get", f"catalog/services/{service.pk}/slots", {"from": "2027-01-01", "to": "2027-06-01"}),
        ("anonymous", "get", f"catalog/services/{service.pk}/slots", {"tz": "Mars/Olympus"}),
        ("anonymous", "get", f"catalog/services/{service.pk}/slots", {"duration_minutes": 7}),
        ("anonymous", "get", "catalog/search", {"min_price_minor": 500, "max_price_minor": 100}),
        ("anonymous", "get", "catalog/search", {"page": 0}),
        ("anonymous", "get", "catalog/search", {"page_size": 1000}),
        ("anonymous", "get", "catalog/search", {"pricing_model": "free"}),
        ("anonymous", "get", "catalog/search", {"category_id": "x"}),
        ("anonymous", "get", "catalog/search", {"q": "x" * 201}),
        ("anonymous", "get", "catalog/search", {"q": "closet\u0000"}),
        ("anonymous", "get", "catalog/search", {"category_id": 999999}),
        ("anonymous", "get", "catalog/search", {"place": "99999"}),
        ("anonymous", "get", "catalog/search", {"place": "Atlantis, ZZ"}),
        ("anonymous", "get", "catalog/search", {"min_price_minor": -5}),
        ("anonymous", "get", "catalog/search", {"latitude": 95, "longitude": 0}),
        ("anonymous", "get", "catalog/search", {"latitude": 40, "longitude": 200}),
        ("anonymous", "get", "catalog/search", {"latitude": 40}),
        ("anonymous", "get", "catalog/search", {"free_on": "2020-01-01"}),
        ("anonymous", "get", "catalog/search", {"free_on": "2099-01-01"}),
        ("anonymous", "get", "catalog/search", {"free_on": "tomorrow"}),
        ("anonymous", "get", "catalog/search", {"part_of_day": "morning"}),
        ("anonymous", "get", "catalog/search", {"sort": "distance"}),
        ("anonymous", "get", "catalog/search", {"sort": "cheapest"}),
        ("anonymous", "get", "catalog/search", {"min_rating": 9}),
        ("anonymous", "get", "catalog/search/suggestions", {}),
        ("anonymous", "get", "catalog/search/suggestions", {"q": "x" * 201}),
        # bookings
        ("customer", "post", "bookings", {}),
        ("customer", "post", "bookings", book(starts_at="tomorrow at ten")),
        ("customer", "post", "bookings", book(starts_at=slot.replace(tzinfo=None).isoformat())),
        ("customer", "post", "bookings", book(starts_at=(slot - timedelta(days=30)).isoformat())),
        ("customer", "post", "bookings", book(starts_at=(slot + timedelta(days=400)).isoformat())),
        ("customer", "post", "bookings", book(starts_at="9999-12-31T23:59:59+14:00")),
        ("customer", "post", "bookings", book(starts_at="0001-01-01T00:00:00-05:00")),
        ("customer", "post", "bookings", book(starts_at="0001-01-01T10:00:00+14:00")),
        ("customer", "post", "bookings", book(starts_at="9999-12-31T23:45:00-12:00")),
        ("customer", "post", "bookings", book(starts_at="2027-03-14T10:00:00+25:00")),
        ("customer", "post", "bookings", book(starts_at=slot.replace(hour=3).isoformat())),
        ("customer", "post", "bookings", book(starts_at=slot.replace(minute=7).isoformat())),
        ("customer", "post", "bookings", book(starts_at=booking.starts_at.isoformat())),
        ("customer", "post", "bookings", book(address="")),
        ("customer", "post", "bookings", book(address="a" * 300)),
        ("customer", "post", "bookings", book(duration_minutes=240)),
        ("customer", "post", "bookings", book(service_id=999999)),
        ("customer", "post", "bookings", book(service_id=HUGE)),
        ("customer", "post", "bookings", book(service_id="one")),
        ("customer", "get", "bookings/999999", None),
        ("customer", "get", f"bookings/{HUGE}", None),
        ("customer", "get", "bookings/abc", None),
        ("customer", "get", "bookings", {"status": "lost"}),
        ("vendor", "post", f"bookings/{booking.pk}/quote", {"price_minor": 0}),
        ("vendor", "post", f"bookings/{booking.pk}/quote", {"price_minor": "a lot"}),
        ("vendor", "post", f"bookings/{booking.pk}/decline", {"reason": "   "}),
        ("vendor", "post", f"bookings/{booking.pk}/accept", "{"),
        ("vendor", "post", f"bookings/{HUGE}/accept", {}),
        ("customer", "post", f"bookings/{booking.pk}/confirm_completion", None),
        # payments
        ("customer", "post", "payments/capture", {}),
        ("customer", "post", "payments/capture", {"booking_id": booking.pk}),
        ("customer", "post", "payments/capture", {"booking_id": booking.pk, "payment_method": ""}),
        ("customer", "post", "payments/capture", {"booking_id": booking.pk, "payment_method": "visa"}),
        (
            "customer",
            "post",
            "payments/capture",
            {"booking_id": booking.pk, "payment_method": "pm_card_chargeDeclined"},
        ),
        ("customer", "post", "payments/capture", {"booking_id": 999999, "payment_method": "pm_card_visa"}),
        ("customer", "post", "payments/capture", {"booking_id": HUGE, "payment_method": "pm_card_visa"}),
        # the 3-D Secure confirmation
        ("customer", "post", "payments/capture/confirm", {}),
        ("customer", "post", "payments/capture/confirm", {"booking_id": booking.pk}),
        ("customer", "post", "payments/capture/confirm", {"booking_id": booking.pk, "payment_reference": ""}),
        ("customer", "post", "payments/capture/confirm", {"booking_id": booking.pk, "payment_reference": "pi_nope"}),
        ("customer", "post", "payments/capture/confirm", {"booking_id": booking.pk, "payment_reference": 5}),
        ("customer", "post", "payments/capture/confirm", {"booking_id": booking.pk, "payment_reference": "p" * 129}),
        ("customer", "post", "payments/capture/confirm", {"booking_id": 999999, "payment_reference": "pi_nope"}),
        ("vendor", "post", "payments/capture/confirm", {"booking_id": booking.pk, "payment_reference": "pi_nope"}),
        ("anonymous", "post", "payments/capture/confirm", {"booking_id": booking.pk, "payment_reference": "pi_x"}),
        ("admin", "post", "payments/payout", {"booking_id": booking.pk}),
        ("admin", "post", "payments/payout", {"booking_id": 999999}),
        ("admin", "post", "payments/payout", {"booking_id": "first"}),
        # reviews
        ("customer", "post", "reviews", {"booking_id": booking.pk, "rating": 0}),
        ("customer", "post", "reviews", {"booking_id": booking.pk, "rating": 6}),
        ("customer", "post", "reviews", {"booking_id": booking.pk, "rating": "five"}),
        ("customer", "post", "reviews", {"booking_id": booking.pk, "rating": True}),
        ("customer", "post", "reviews", {"booking_id": booking.pk, "rating": 4.5}),
        ("customer", "post", "reviews", {"booking_id": booking.pk, "rating": 5}),
        ("customer", "post", "reviews", {"booking_id": 999999, "rating": 5}),
        ("anonymous", "get", "reviews", {"vendor_id": "abc"}),
        ("anonymous", "get", "reviews", {}),
    ]


def test_no_bad_request_gets_a_server_error_or_writes_anything(
    api, customer, admin_user, service, category, no_rate_limits
):
    # given a customer with an open request, an organizer with a service, and an admin
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    vendor_user = service.vendor.user
    users = {"customer": customer, "vendor": vendor_user, "admin": admin_user}
    tokens = {name: api.as_user(user).token for name, user in users.items()}
    requests = _bad_requests(service=service, category=category, booking=booking, vendor=service.vendor)
    before = data_snapshot()

    # when each bad request is sent
    failures = []
    for who, method, path, body in requests:
        api.token = tokens.get(who)
        if method in ("get", "delete"):
            response = api.get(path, body) if method == "get" else api.delete(path)
        else:
            response = getattr(api, method)(path, body)
        content = response.json() if response["Content-Type"].startswith("application/json") else {}
        if not (400 <= response.status_code < 500) or not content.get("detail") or not content.get("code"):
            failures.append((who, method, path, body, response.status_code, response.content[:300]))

    # then every one is a 4xx with a readable JSON error, and nothing was written
    assert failures == []
    assert changed_tables(before, data_snapshot()) == []
    assert Booking.objects.get().status == "requested"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            '{"email": "a@example.com",}',
            "The request body is not valid JSON (Expecting property name enclosed in double quotes at position 26).",
        ),
        ("[1, 2]", 'The request body must be a JSON object, e.g. {"field": "value"}.'),
        ('{"email": "a@example.com", "password": NaN}', "NaN is not a valid JSON value."),
        (b"\xff", "The request body must be UTF-8 encoded JSON."),
    ],
)
def test_a_malformed_body_is_a_400_that_says_what_is_wrong(api, body, detail):
    response = api.post("auth/register", body)

    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": "malformed_json"}


def test_text_with_a_nul_character_is_refused_before_it_reaches_the_database(api, customer):
    response = api.as_user(customer).post("bookings", {"service_id": 1, "starts_at": "x", "address": "1 Main\u0000St"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Invalid input. address: must not contain a NUL character.",
        "code": "invalid_input",
        "errors": [{"field": "address", "message": "must not contain a NUL character"}],
    }


@pytest.mark.parametrize(
    ("path", "params"),
    [("catalog/search", {"q": "closet\u0000"}), ("reviews", {"vendor_id": "1", "page": "1\u0000"})],
)
def test_a_nul_character_in_a_query_string_is_invalid_input_too(api, path, params):
    response = api.get(path, params)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["errors"][0]["field"] == next(iter(params.keys() - {"vendor_id"}))


def test_the_openapi_document_forbids_nul_in_every_string_the_api_reads(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    assert schemas["BookingIn"]["properties"]["address"]["pattern"] == "^[^\\u0000]*$"
    assert schemas["ReviewIn"]["properties"]["body"]["pattern"] == "^[^\\u0000]*$"
    assert "pattern" not in schemas["BookingOut"]["properties"]["address"]  # answers are not inputs


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/nope/", "/api/v2/bookings", "/api/v1/bookings/1/refund"])
def test_an_unknown_api_address_is_a_json_404_without_a_redirect(client, path):
    response = client.post(path, "{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": f"There is no API endpoint at {path}; see /api/v1/docs.", "code": "not_found"}


def test_a_wrong_method_is_a_json_405_that_names_the_allowed_ones(client):
    response = client.get("/api/v1/payments/capture")

    assert response.status_code == 405
    assert response.json() == {"detail": "GET is not allowed here; use POST.", "code": "method_not_allowed"}
    assert response["Allow"] == "POST"
