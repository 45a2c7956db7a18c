"""The organizer's secret calendar feed address: created, reset (the old one revoked), turned off, audited."""

import pytest

from marketplace.core.audit import audit_log_for
from marketplace.vendors.errors import NotAVendor
from marketplace.vendors.selectors import vendor_for_calendar_feed
from marketplace.vendors.services import vendor_calendar_feed_reset, vendor_calendar_feed_turn_off
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def test_an_organizer_has_no_feed_until_they_ask_for_one(vendor):
    assert vendor.calendar_feed_token is None


def test_the_first_address_is_a_long_random_secret_and_audited(vendor):
    vendor = vendor_calendar_feed_reset(vendor_user=vendor.user)

    assert len(vendor.calendar_feed_token) == 43
    assert vendor_for_calendar_feed(token=vendor.calendar_feed_token) == vendor
    [entry] = audit_log_for(vendor).filter(action__startswith="vendor.calendar_feed")
    assert (entry.action, entry.actor, entry.data) == ("vendor.calendar_feed_created", vendor.user, {})
    assert vendor.calendar_feed_token not in str(entry.data) + entry.reason


def test_resetting_revokes_the_old_address_at_once(vendor):
    old = vendor_calendar_feed_reset(vendor_user=vendor.user).calendar_feed_token

    new = vendor_calendar_feed_reset(vendor_user=vendor.user).calendar_feed_token

    assert new != old
    assert vendor_for_calendar_feed(token=old) is None
    assert vendor_for_calendar_feed(token=new) == vendor
    assert list(
        audit_log_for(vendor)
        .filter(action__startswith="vendor.calendar_feed")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["vendor.calendar_feed_created", "vendor.calendar_feed_reset"]


def test_turning_the_feed_off_revokes_it_once(vendor):
    token = vendor_calendar_feed_reset(vendor_user=vendor.user).calendar_feed_token

    vendor_calendar_feed_turn_off(vendor_user=vendor.user)
    vendor_calendar_feed_turn_off(vendor_user=vendor.user)

    assert vendor_for_calendar_feed(token=token) is None
    assert audit_log_for(vendor).filter(action="vendor.calendar_feed_turned_off").count() == 1


def test_a_customer_has_no_feed_and_nothing_changes(customer):
    before = data_snapshot()

    with pytest.raises(NotAVendor):
        vendor_calendar_feed_reset(vendor_user=customer)

    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    "token", ["", "short", "a" * 42, "a" * 44, "a" * 500, "a" * 42 + "!", "a" * 42 + "/", "a" * 42 + "\x00", None]
)
def test_malformed_tokens_open_nothing(vendor, token):
    vendor_calendar_feed_reset(vendor_user=vendor.user)

    assert vendor_for_calendar_feed(token=token) is None
