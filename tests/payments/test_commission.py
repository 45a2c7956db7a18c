"""Commission: vendor override > category override > platform default, split half-up."""

import pytest

from marketplace.bookings import services as bookings
from marketplace.payments.models import Transaction
from marketplace.payments.services import commission_bps_for
from tests.conftest import local_slot
from tests.factories import ServiceFactory, make_category
from tests.factories.bookings import paid_booking

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("vendor_bps", "category_bps", "expected"),
    [
        (None, None, 1500),  # the platform default
        (None, 1000, 1000),  # the category's override
        (800, 1000, 800),  # the vendor's override wins over the category's
        (0, 1000, 0),  # a zero override is an override, not "unset"
        (None, 0, 0),
    ],
)
def test_the_rate_is_resolved_vendor_then_category_then_platform(vendor, vendor_bps, category_bps, expected):
    vendor.commission_bps = vendor_bps
    vendor.save()
    category = make_category(f"Closets {vendor_bps}-{category_bps}", commission_bps=category_bps)
    service = ServiceFactory(vendor=vendor, category=category)

    assert commission_bps_for(service) == expected


def test_the_platform_default_comes_from_settings(vendor, category, settings):
    settings.PLATFORM_COMMISSION_BPS = 1234

    assert commission_bps_for(ServiceFactory(vendor=vendor, category=category)) == 1234


def test_15_percent_of_333_cents_is_a_50_cent_fee_and_283_for_the_vendor(customer, vendor, category):
    service = ServiceFactory(vendor=vendor, category=category, base_price_minor=333)

    paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    txn = Transaction.objects.get()
    assert (txn.amount_minor, txn.commission_bps, txn.platform_fee_minor, txn.vendor_payout_minor) == (
        333,
        1500,
        50,
        283,
    )


def test_the_rate_in_force_at_payment_is_kept(customer, vendor, category, settings):
    service = ServiceFactory(vendor=vendor, category=category, base_price_minor=10000)
    paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    vendor.commission_bps = 2500
    vendor.save()

    txn = Transaction.objects.get()
    assert (txn.commission_bps, txn.platform_fee_minor) == (1500, 1500)


def test_an_hourly_price_is_rounded_half_up_to_the_cent(customer, vendor, category):
    # $85.55 an hour for 150 minutes = $213.875 -> $213.88; 15% of it = 32.082 -> $32.08
    service = ServiceFactory(
        vendor=vendor, category=category, pricing_model="hourly", base_price_minor=8555, duration_minutes=120
    )
    booking = bookings.booking_request(
        customer=customer,
        service_id=service.pk,
        starts_at=local_slot(days_ahead=3),
        address="1 Main St",
        duration_minutes=150,
    )
    bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    txn = Transaction.objects.get()
    assert (booking.price_minor, txn.platform_fee_minor, txn.vendor_payout_minor) == (21388, 3208, 18180)
