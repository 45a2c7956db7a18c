"""manage.py demo_load: a complete, believable marketplace, built through the real services.

The demo is loaded once for this module (it takes a few seconds) inside a transaction
that is rolled back at the end; each test runs in its own savepoint on top of it. Under
pytest-xdist (-n 2) both workers may run some of these tests, and each then loads the demo
once (pyproject.toml says why the tests are not distributed by file).
"""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page

from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import ALL, FINANCE, GROUP_PERMISSIONS, SUPPORT
from marketplace.availability.models import AvailabilityRule
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.catalog.models import PricingModel, Service
from marketplace.core.audit import audit_log_for
from marketplace.payments.models import (
    LedgerEntry,
    LocalGatewayAccount,
    MovementState,
    Payout,
    Transaction,
    TransactionStatus,
)
from marketplace.reviews.models import Review
from marketplace.vendors.models import Vendor, VerificationStatus
from storefront.management.demo.loader import read_fixtures
from storefront.models import CategoryPage, LandingPage, PortfolioGalleryImage, VendorIndexPage, VendorPortfolioPage
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import data_snapshot

pytestmark = pytest.mark.django_db

DEMO_EMAILS = {
    "admin": "admin@tidynest.test",
    "editor": "editor@tidynest.test",
    "support": "support@tidynest.test",
    "finance": "finance@tidynest.test",
    "organizer": "organizer@tidynest.test",
    "customer": "customer@tidynest.test",
}


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Run demo_load once; the data lives until the module's tests are done, then rolls back."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("demo_load", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def logins():
    return {role: login["password"] for role, login in read_fixtures()["accounts"]["demo_logins"].items()}


def test_categories_have_copy_icons_and_a_stream_body(demo_output):
    categories = list(CategoryPage.objects.live().public().order_by("path"))

    assert len(categories) >= 8
    icons = {choice for choice, _ in CategoryPage.ICON_CHOICES}
    for category in categories:
        assert category.summary and category.intro, category.title
        assert category.icon in icons
        block_types = {block.block_type for block in category.body}
        assert {"heading", "paragraph", "features", "faq"} <= block_types, category.title
        assert category.live_revision is not None  # published through a revision, like an editor would
    assert Service.objects.filter(category__page__in=categories).values("category").distinct().count() == len(
        categories
    )


def test_landing_pages_feature_a_category(demo_output):
    landing_pages = LandingPage.objects.live()

    assert 1 <= landing_pages.count() <= 2
    assert all(page.featured_category is not None and page.body for page in landing_pages)
    assert landing_pages.filter(slug="moving-season", featured_category__slug="moving-relocation").exists()


def test_24_verified_organizers_with_live_portfolios_hours_and_services(demo_output):
    verified = Vendor.objects.filter(verification_status=VerificationStatus.VERIFIED)

    assert verified.count() == 24
    assert set(verified.values_list("user__role", flat=True)) == {Role.VENDOR}
    assert len(set(verified.values_list("time_zone", flat=True))) >= 5  # several US time zones
    organizers_index = VendorIndexPage.objects.get()
    for vendor in verified.select_related("portfolio_page"):
        page = vendor.portfolio_page
        assert page.live and page.get_parent().pk == organizers_index.pk, vendor.business_name
        assert page.headline and page.body
        assert vendor.verified_at is not None and vendor.bio and vendor.tagline
        assert audit_log_for(vendor).filter(action="vendor.verified", actor__email=DEMO_EMAILS["admin"]).exists()
    hours = dict(verified.annotate(rules=Count("availability_rules")).values_list("business_name", "rules"))
    assert min(hours.values()) >= 4, hours
    # Each set up payouts on the local gateway's onboarding page when they joined: every payout went out.
    enabled = LocalGatewayAccount.objects.filter(payouts_enabled=True).values_list("reference", flat=True)
    assert set(verified.values_list("profile__stripe_account_id", flat=True)) <= set(enabled)
    assert not verified.filter(new_bookings_paused_at__isnull=False).exists()
    assert not Payout.objects.filter(state=MovementState.WAITING).exists()
    # weekly hours vary from one organizer to another
    patterns = {
        tuple(AvailabilityRule.objects.filter(vendor=v).values_list("weekday", "start_time", "end_time"))
        for v in verified
    }
    assert len(patterns) >= 12


def test_some_organizers_wait_for_verification(demo_output):
    pending = Vendor.objects.filter(verification_status=VerificationStatus.PENDING)

    assert 1 <= pending.count() <= 2
    assert not Service.objects.filter(vendor__in=pending).exists()
    assert not VendorPortfolioPage.objects.filter(vendor__in=pending).exists()


def test_services_cover_every_pricing_model_with_realistic_prices(demo_output):
    services = Service.objects.filter(vendor__verification_status=VerificationStatus.VERIFIED, is_active=True)

    assert services.count() >= 80
    assert set(services.values_list("pricing_model", flat=True)) == set(PricingModel.values)
    assert services.filter(currency="USD").count() == services.count()
    for service in services.exclude(pricing_model=PricingModel.QUOTE):
        assert 5_000 <= service.base_price_minor <= 150_000, service.title  # $50 to $1,500
    assert not services.filter(pricing_model=PricingModel.QUOTE, instant_booking=True).exists()
    assert services.filter(pricing_model=PricingModel.HOURLY, base_price_minor__gte=12_000).exists()
    assert services.values("vendor").annotate(n=Count("id")).filter(n__lt=3).count() == 0


def test_past_bookings_were_completed_paid_out_and_mostly_reviewed(demo_output):
    completed = Booking.objects.filter(status=BookingStatus.COMPLETED)

    assert completed.count() >= 60
    reviewed = completed.filter(review__isnull=False)
    assert reviewed.count() >= 50
    assert Review.objects.exclude(booking__status=BookingStatus.COMPLETED).count() == 0
    assert Review.objects.filter(rating__gte=4).count() >= 0.8 * Review.objects.count()  # mostly good
    assert Review.objects.filter(customer=F("booking__customer"), vendor=F("booking__vendor")).count() == (
        Review.objects.count()
    )
    # Every completed booking went through the real transitions, in order, in the past.
    for booking in completed.select_related("transaction"):
        actions = list(audit_log_for(booking).order_by("created_at", "id").values_list("action", flat=True))
        assert actions[0] == "booking.requested" and actions[-1] == "booking.completed", actions
        assert booking.created_at < booking.starts_at < booking.ends_at <= booking.completed_at
    released = Transaction.objects.filter(booking__in=completed, status=TransactionStatus.RELEASED)
    waiting = Transaction.objects.filter(
        booking__in=completed, status=TransactionStatus.HELD, payout_needs_approval=True
    )
    assert released.count() + waiting.count() == completed.count()
    assert waiting.count() == 1  # one payout waits in the back office queue
    assert released.filter(payout_needs_approval=True, released_by__email=DEMO_EMAILS["admin"]).count() >= 2


def test_the_ledger_balances_and_no_past_booking_is_stuck_in_escrow(demo_output):
    totals = assert_money_invariants("USD")

    assert totals["released"] > 0 and totals["refunded"] > 0 and totals["held"] > 0
    for entry in LedgerEntry.objects.prefetch_related("lines"):
        assert sum(line.amount_minor for line in entry.lines.all()) == 0
    held_in_past = Transaction.objects.filter(
        status=TransactionStatus.HELD, booking__ends_at__lt=timezone.now()
    ).select_related("booking")
    # Only what the story intends: two bookings the customers have yet to confirm (one of them
    # contested by the customer's bank), one payout waiting for an admin's approval, two
    # disputes waiting for staff's decision.
    assert sorted((t.booking.status, t.payout_needs_approval) for t in held_in_past) == [
        (BookingStatus.COMPLETED, True),
        (BookingStatus.CONFIRMED, False),
        (BookingStatus.CONFIRMED, False),
        (BookingStatus.DISPUTED, False),
        (BookingStatus.DISPUTED, False),
    ]


def test_upcoming_bookings_give_the_vendor_area_and_my_bookings_content(demo_output):
    organizer = User.objects.get(email=DEMO_EMAILS["organizer"])
    customer = User.objects.get(email=DEMO_EMAILS["customer"])
    upcoming = Booking.objects.filter(starts_at__gt=timezone.now())

    assert upcoming.filter(status=BookingStatus.CONFIRMED).count() >= 8
    quote_requests = upcoming.filter(
        status=BookingStatus.REQUESTED, service__pricing_model=PricingModel.QUOTE, price_minor__isnull=True
    )
    assert quote_requests.filter(vendor__user=organizer).count() == 1
    paid_requests = upcoming.filter(status=BookingStatus.REQUESTED, transaction__status=TransactionStatus.AUTHORIZED)
    assert paid_requests.filter(vendor__user=organizer).count() == 1
    mine = Booking.objects.filter(customer=customer)
    assert mine.filter(starts_at__gt=timezone.now(), status=BookingStatus.CONFIRMED).count() >= 2
    assert mine.filter(status=BookingStatus.COMPLETED, review__isnull=True).count() >= 1  # one to review
    assert mine.filter(status=BookingStatus.COMPLETED, review__isnull=False).count() >= 2
    assert mine.filter(status=BookingStatus.CONFIRMED, ends_at__lt=timezone.now()).count() == 1  # one to confirm
    assert mine.filter(status=BookingStatus.CANCELLED, transaction__status=TransactionStatus.REFUNDED).count() == 1


def test_demo_logins_work_and_have_the_right_rights(demo_output, logins):
    admin = authenticate(email=DEMO_EMAILS["admin"], password=logins["admin"])
    editor = authenticate(email=DEMO_EMAILS["editor"], password=logins["editor"])
    organizer = authenticate(email=DEMO_EMAILS["organizer"], password=logins["organizer"])
    customer = authenticate(email=DEMO_EMAILS["customer"], password=logins["customer"])

    assert admin.role == Role.ADMIN and admin.is_staff and admin.is_superuser
    assert editor.is_staff and not editor.is_superuser and editor.role == Role.STAFF
    assert "Editors" in set(editor.groups.values_list("name", flat=True))
    assert editor.has_perm("wagtailadmin.access_admin")
    assert editor.has_perm("wagtailimages.change_image")
    category = CategoryPage.objects.first()
    assert category.permissions_for_user(editor).can_edit()
    assert not any(editor.has_perm(f"accounts.{perm}") for perm in ALL)  # nothing about organizers or money
    support = authenticate(email=DEMO_EMAILS["support"], password=logins["support"])
    finance = authenticate(email=DEMO_EMAILS["finance"], password=logins["finance"])
    assert {perm for perm in ALL if support.has_perm(f"accounts.{perm}")} == set(GROUP_PERMISSIONS[SUPPORT])
    assert {perm for perm in ALL if finance.has_perm(f"accounts.{perm}")} == set(GROUP_PERMISSIONS[FINANCE])
    assert support.role == finance.role == Role.STAFF and support.has_perm("wagtailadmin.access_admin")
    assert all(admin.has_perm(f"accounts.{perm}") for perm in ALL)
    assert organizer.role == Role.VENDOR and organizer.vendor.is_verified
    assert organizer.vendor.business_name == "Room to Breathe Organizing"
    assert customer.role == Role.CUSTOMER and customer.bookings.exists()
    shared = read_fixtures()["accounts"]["shared_password"]
    assert authenticate(email="maya.chen@example.com", password=shared) is not None
    for email in DEMO_EMAILS.values():
        assert email in demo_output
    for password in logins.values():
        assert password in demo_output


def test_portfolio_pages_have_before_and_after_images(demo_output):
    pages = VendorPortfolioPage.objects.live()

    assert PortfolioGalleryImage.objects.filter(page__in=pages).values("page").distinct().count() == pages.count()
    image = get_image_model().objects.first()
    assert (image.width, image.height) == (960, 640)
    assert image.file_hash and image.file_size


def test_a_second_run_changes_nothing(demo_output):
    before = data_snapshot(), Page.objects.count(), get_image_model().objects.count()

    out = io.StringIO()
    call_command("demo_load", stdout=out)

    assert "already loaded" in out.getvalue()
    assert DEMO_EMAILS["customer"] in out.getvalue()  # the logins are printed again
    assert (data_snapshot(), Page.objects.count(), get_image_model().objects.count()) == before


def test_the_demo_shows_a_dispute_waiting_for_the_organizer_and_one_under_review(demo_output):
    from marketplace.disputes.models import Dispute

    disputes = {d.status: d for d in Dispute.objects.select_related("booking__vendor__user", "booking__customer")}

    assert set(disputes) == {"awaiting_response", "under_review"}
    waiting, reviewed = disputes["awaiting_response"], disputes["under_review"]
    assert (waiting.booking.customer.email, waiting.booking.vendor.user.email) == (
        DEMO_EMAILS["customer"],
        DEMO_EMAILS["organizer"],
    )
    assert waiting.respond_by > timezone.now()
    assert reviewed.response and reviewed.booking.vendor.user.email == DEMO_EMAILS["organizer"]
    for dispute in (waiting, reviewed):
        assert dispute.booking.status == BookingStatus.DISPUTED
        assert dispute.booking.transaction.hold_reasons == ["dispute"]
        assert [e.content_type for e in dispute.evidence.all()] == ["image/png"]


def test_a_chargeback_holds_one_booking_s_escrow(demo_output):
    from marketplace.payments.models import Chargeback

    chargeback = Chargeback.objects.select_related("booking__vendor", "transaction").get()

    assert (chargeback.status, chargeback.reason, chargeback.closed_at) == ("needs_response", "fraudulent", None)
    assert chargeback.booking.vendor.user.email == "grace@libertyclosets.example"
    assert chargeback.booking.status == BookingStatus.CONFIRMED
    assert chargeback.transaction.hold_reasons == ["chargeback"]
    assert chargeback.amount_minor == chargeback.transaction.amount_minor


def test_organizers_have_documents_one_expiring_soon_and_some_waiting_for_review(demo_output, settings):
    from marketplace.vendors.models import DocumentStatus, VendorDocument
    from marketplace.vendors.policy import documents_in_order, vendor_today

    organizer = Vendor.objects.get(user__email=DEMO_EMAILS["organizer"])
    verified = Vendor.objects.filter(verification_status=VerificationStatus.VERIFIED)

    assert all(documents_in_order(vendor) for vendor in verified)
    assert not Vendor.objects.filter(documents_expired_at__isnull=False).exists()
    insurance = organizer.documents.get(kind="insurance", status=DocumentStatus.ACCEPTED)
    assert 0 <= (insurance.expires_on - vendor_today(organizer)).days <= settings.VENDOR_DOCUMENT_REMINDER_DAYS
    assert organizer.documents.filter(kind="certification", status=DocumentStatus.PENDING).count() == 1
    pending_applicants = Vendor.objects.filter(verification_status=VerificationStatus.PENDING)
    assert VendorDocument.objects.filter(vendor__in=pending_applicants, status=DocumentStatus.PENDING).count() == (
        2 * pending_applicants.count()
    )
    assert (insurance.content_type, insurance.original_name) == ("application/pdf", "general-liability-insurance.pdf")
