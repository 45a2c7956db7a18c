"""Organizer profiles and verification through the API."""

import pytest

from marketplace.core.models import AuditLogEntry
from marketplace.vendors.models import Vendor
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

PROFILE = {"business_name": "Neat by Nora", "city": "Queens, NY", "latitude": 40.7282, "longitude": -73.7949}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-74.0, 40.6], [-73.7, 40.6], [-73.7, 40.9], [-74.0, 40.9], [-74.0, 40.6]]],
}


@pytest.mark.parametrize("who", ["customer", "vendor", "other vendor", "anonymous"])
def test_only_admins_verify_vendors(api, make_vendor, customer, other_vendor, who):
    pending = make_vendor("pending")
    user = {"customer": customer, "vendor": pending.user, "other vendor": other_vendor.user, "anonymous": None}[who]
    if user:
        api.as_user(user)
    before = data_snapshot()

    response = api.put(f"vendors/{pending.pk}/verify", {"decision": "verified"})

    assert response.status_code == (401 if who == "anonymous" else 403)
    if user:
        assert response.json() == {
            "detail": "You do not have permission to verify organizers.",
            "code": "not_permitted",
        }
    assert changed_tables(before, data_snapshot()) == []
    assert Vendor.objects.get(pk=pending.pk).verification_status == "pending"


def test_an_admin_verifies_a_pending_vendor_and_it_is_logged(api, make_vendor, admin_user):
    pending = make_vendor("pending")

    response = api.as_user(admin_user).put(f"vendors/{pending.pk}/verify", {"decision": "verified"})

    assert response.status_code == 200, response.content
    assert response.json()["verification_status"] == "verified"
    entry = AuditLogEntry.objects.get(action="vendor.verified")
    assert (entry.actor, entry.target_id, entry.data) == (
        admin_user,
        str(pending.pk),
        {"from": "pending", "to": "verified"},
    )


def test_rejecting_needs_a_reason(api, make_vendor, admin_user):
    pending = make_vendor("pending")
    api.as_user(admin_user)
    before = data_snapshot()

    response = api.put(f"vendors/{pending.pk}/verify", {"decision": "rejected", "reason": "  "})

    assert response.status_code == 400
    assert response.json()["detail"] == "A reason is required to reject an organizer: it is emailed to them."
    assert changed_tables(before, data_snapshot()) == []


def test_an_impossible_decision_is_a_409(api, vendor, admin_user):
    api.as_user(admin_user)
    before = data_snapshot()

    response = api.put(f"vendors/{vendor.pk}/verify", {"decision": "rejected", "reason": "Changed our minds"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "An organizer who is verified cannot be rejected.",
        "code": "invalid_transition",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_verifying_an_unknown_vendor_is_a_404(api, admin_user):
    response = api.as_user(admin_user).put("vendors/999999/verify", {"decision": "verified"})

    assert response.status_code == 404
    assert response.json()["detail"] == "Organizer not found."


def test_a_customer_has_no_vendor_profile(api, customer):
    api.as_user(customer)
    before = data_snapshot()

    response = api.post("vendors/profile", PROFILE)

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_vendor"
    assert changed_tables(before, data_snapshot()) == []


def test_a_profile_with_a_service_area_polygon_is_saved(api, unverified_vendor_user):
    response = api.as_user(unverified_vendor_user).post("vendors/profile", {**PROFILE, "service_area_geojson": SQUARE})

    assert response.status_code == 201, response.content
    assert response.json()["service_area_geojson"] == SQUARE
    assert response.json()["verification_status"] == "pending"


@pytest.mark.parametrize(
    "geojson",
    [
        {"type": "Point", "coordinates": [-73.9, 40.7]},
        {"type": "Polygon", "coordinates": [[[-74.0, 40.6], [-73.7, 40.6], [-73.7, 40.9], [-74.0, 40.9]]]},  # open
        {"type": "Polygon", "coordinates": [[[-74.0, 40.6], [-73.7, 40.6], [-74.0, 40.6]]]},  # too few points
        {"type": "Polygon", "coordinates": [[[-74.0, 95.0], [-73.7, 40.6], [-73.7, 40.9], [-74.0, 95.0]]]},  # lat > 90
        {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]},
        {"type": "Polygon", "coordinates": [[[1, 2, 3], [1, 2], [3, 4], [1, 2, 3]]]},
        {"type": "MultiPolygon", "coordinates": []},
        {"type": "Polygon"},
        {"coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    ],
)
def test_bad_geojson_is_refused_with_a_clear_message(api, unverified_vendor_user, geojson):
    api.as_user(unverified_vendor_user)
    before = data_snapshot()

    response = api.post("vendors/profile", {**PROFILE, "service_area_geojson": geojson})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "service_area_geojson must be a GeoJSON Polygon or MultiPolygon "
        "of closed rings of [longitude, latitude].",
        "code": "validation_failed",
        "field": "service_area_geojson",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_a_bad_time_zone_is_refused(api, unverified_vendor_user):
    api.as_user(unverified_vendor_user)

    response = api.post("vendors/profile", {**PROFILE, "time_zone": "EST5EDT-ish"})

    assert response.status_code == 400
    assert response.json()["field"] == "time_zone"
    assert not Vendor.objects.exists()


def test_a_rejected_vendor_who_edits_the_profile_goes_back_to_pending(api, make_vendor):
    rejected = make_vendor("rejected", verification_reason="Blurry ID")

    response = api.as_user(rejected.user).post("vendors/profile", {**PROFILE, "business_name": "Nora Neat LLC"})

    assert response.status_code == 200, response.content
    assert response.json()["verification_status"] == "pending"


def test_an_organizer_names_the_centre_of_their_area_instead_of_coordinates(api, unverified_vendor_user):
    body = {"business_name": "Neat by Nora", "city": "Queens, NY", "place": "Forest Hills, NY"}

    response = api.as_user(unverified_vendor_user).post("vendors/profile", body)

    assert response.status_code == 201, response.content
    assert response.json()["service_area_place"] == "Forest Hills, NY"
    assert round(response.json()["latitude"], 1) == 40.7


@pytest.mark.parametrize("body", [{"place": "Springfield"}, {"place": "00000"}, {}, {"latitude": 40.7}])
def test_a_profile_without_a_place_we_can_find_is_refused(api, unverified_vendor_user, body):
    response = api.as_user(unverified_vendor_user).post(
        "vendors/profile", {"business_name": "Neat by Nora", "city": "Queens, NY", **body}
    )

    assert response.status_code == 400, response.content
    assert (response.json()["code"], response.json()["field"]) == ("validation_failed", "place")
    assert "ZIP code" in response.json()["detail"] or "Several places" in response.json()["detail"]
