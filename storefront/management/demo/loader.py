"""Build the demo marketplace from the texts in fixtures/demo/ through the real domain services.

Every organizer, service, booking, payment, payout and review goes through the same
service functions the storefront and the API call, so the ledger, the audit log and
the Wagtail page history are true. Past events are replayed at their own moment with
time_machine (booking_request refuses past times), in chronological order for each
booking: registered, verified, published, booked, paid, done, paid out, reviewed.

The whole load is one database transaction: it commits completely or not at all,
so "the demo customer exists" is a reliable sign that the data is already loaded.
"""

from __future__ import annotations

import json
import random
import time as wall_clock
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from django.db.models import Avg, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify

from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import FINANCE, SUPPORT
from marketplace.accounts.services import user_register
from marketplace.availability.services import WeeklyWindow, availability_rules_replace, booking_rules_update
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.search import search_next_available_refresh
from marketplace.bookings.services import (
    booking_accept,
    booking_cancel,
    booking_confirm_completion,
    booking_decline,
    booking_pay,
    booking_quote,
    booking_request,
)
from marketplace.catalog.models import PricingModel, Service
from marketplace.catalog.search.documents import search_index_rebuild
from marketplace.catalog.services import category_create, service_create
from marketplace.core.audit import audit_log
from marketplace.core.db import replaying
from marketplace.core.money import Money
from marketplace.disputes.services import dispute_open, dispute_respond
from marketplace.payments.gateways.local import local_gateway_onboarding_submit, local_gateway_onboarding_token
from marketplace.payments.models import (
    EntryKind,
    LedgerAccount,
    LedgerLine,
    MovementState,
    Payout,
    StripeEvent,
    Transaction,
    TransactionStatus,
)
from marketplace.payments.payout_accounts import payout_account_link
from marketplace.payments.selectors import escrow_held, ledger_balance
from marketplace.payments.services import escrow_release
from marketplace.payments.tasks import escrow_release_due as escrow_release_due_job
from marketplace.payments.tasks import payouts_execute as payouts_execute_job
from marketplace.payments.webhooks import stripe_event_apply
from marketplace.reviews.models import Review
from marketplace.reviews.services import review_create
from marketplace.vendors.documents import vendor_document_review, vendor_document_upload
from marketplace.vendors.models import DocumentKind, DocumentStatus, Vendor, VendorDocument, VerificationStatus
from marketplace.vendors.services import vendor_profile_upsert, vendor_verify

from ...models import (
    CategoryIndexPage,
    CategoryPage,
    HomePage,
    LandingPage,
    PortfolioGalleryImage,
    VendorIndexPage,
    VendorPortfolioPage,
)

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
PAYMENT_METHOD = "pm_card_visa"  # the local gateway's (and Stripe's) always-succeeding test card
SEED = 2026  # same texts, same choices on every load; only the dates follow "today"
# Marketing editors edit and publish (Moderators), but are not admins. Both groups come
# from Wagtail's own migrations.
EDITOR_GROUPS = ("Editors", "Moderators")  # Wagtail's own; Support and Finance are accounts migration 0004's
PORTFOLIO_COLLECTION = "Organizer portfolios"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# History: the marketplace "launched" LAUNCH_DAYS ago; organizers joined soon after,
# customers a little later; generated bookings happened in the last few months.
LAUNCH_DAYS = 215
VENDORS_JOIN_DAYS = 205
# The demo's documents: the smallest file a PDF reader opens (a blank page).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
CUSTOMERS_JOIN_DAYS = 195
PAST_BOOKINGS_PER_VENDOR = 3
PAST_BOOKING_DAYS = (10, 160)  # how long ago generated bookings took place
UPCOMING_BOOKING_DAYS = (2, 35)
# Recent business, so the back office's 30-day chart has a shape: per organizer, bookings made in the
# last RECENT_DAYS days, some already done (completed, paid out), some still to come.
RECENT_BOOKINGS_PER_VENDOR = 2
RECENT_DAYS = 28
REVIEW_SHARE = 0.85  # generated completed bookings that got a review

# The task functions whose queued runs the demo's history makes moot (see _clear_demo_jobs).
DEMO_JOB_FUNCS = (
    "marketplace.notifications.tasks.send_booking_notification",
    "marketplace.payments.tasks.escrow_release_due",
    "marketplace.payments.tasks.payouts_execute",
    "marketplace.bookings.tasks.booking_payment_settled",
)


@dataclass
class Login:
    role: str
    email: str
    password: str
    can: str


@dataclass
class Plan:
    """One booking to replay: who, what, when, and how its story ends."""

    kind: str
    customer: User
    vendor: Vendor
    service: Service
    starts_at: datetime
    duration: int
    address: str
    note: str = ""
    booked_at: datetime | None = None  # None: booked now, for real
    quote_minor: int | None = None
    reason: str = ""
    review: dict | None = None
    dispute: dict | None = None  # the disputed_* kinds: reason, description, photo, response
    chargeback: dict | None = None  # the customer's bank contests the payment: reason, after_hours


@dataclass
class VendorCalendar:
    zone: ZoneInfo
    buffer: timedelta
    hours: dict[int, list[tuple[time, time]]]
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)


def read_fixtures(directory: Path = FIXTURES_DIR) -> dict:
    names = ("accounts", "pages", "categories", "vendors", "bookings", "reviews")
    try:
        return {name: json.loads((directory / f"{name}.json").read_text(encoding="utf-8")) for name in names}
    except FileNotFoundError as error:
        raise CommandError(f"Demo fixture missing: {error.filename}") from None


def demo_logins(data: dict) -> list[Login]:
    accounts = data["accounts"]
    logins = [
        Login(role, **{k: v[k] for k in ("email", "password", "can")}) for role, v in accounts["demo_logins"].items()
    ]
    logins.append(
        Login("others", "any other demo account", accounts["shared_password"], accounts["shared_password_note"])
    )
    return logins


def is_loaded(data: dict) -> bool:
    """The demo customer is created inside the load's single transaction, so it exists only after a full load."""
    return User.objects.filter(email__iexact=data["accounts"]["demo_logins"]["customer"]["email"]).exists()


def clashing_accounts(data: dict) -> list[str]:
    emails = [login["email"] for login in data["accounts"]["demo_logins"].values()]
    emails += [customer["email"] for customer in data["accounts"]["customers"]]
    emails += [vendor["email"] for vendor in data["vendors"]["vendors"]]
    return sorted(User.objects.filter(email__in=emails).values_list("email", flat=True))


def _parse_days(spec: str) -> list[int]:
    if "-" in spec:
        first, last = (DAY_NAMES.index(part) for part in spec.split("-"))
        return list(range(first, last + 1))
    return [DAY_NAMES.index(spec)]


def weekly_windows(hours: list[dict]) -> list[WeeklyWindow]:
    return [
        WeeklyWindow(weekday=day, start_time=time.fromisoformat(h["start"]), end_time=time.fromisoformat(h["end"]))
        for h in hours
        for day in _parse_days(h["days"])
    ]


class DemoLoader:
    def __init__(self, *, data: dict, images: bool = True):
        self.data = data
        self.images = images
        self.rng = random.Random(SEED)
        self.now = timezone.now()  # the real "now", taken before any time travel
        self.categories: dict[str, CategoryPage] = {}
        self.vendors: dict[str, Vendor] = {}  # by the owner's email
        self.vendor_data: dict[str, dict] = {}
        self.customers: dict[str, User] = {}
        self.calendars: dict[int, VendorCalendar] = {}
        self.review_cursor: Counter = Counter()
        self.customer_use: Counter = Counter()
        self.booking_ids: list[int] = []
        self.intended_escrow: set[int] = set()  # past bookings whose money stays in escrow on purpose
        self.dispute_ids: set[int] = set()
        self.images_created = 0
        self.pending_vendors = 0
        self.document_ids: set[int] = set()

    # --- the whole load -----------------------------------------------------------

    def run(self) -> dict:
        started = wall_clock.perf_counter()
        self._check_passwords()
        with replaying():  # one transaction: the whole demo, or nothing
            self.admin, self.editor = self._staff()
            self._pages()
            self._organizers()
            self._customers()
            plans = self._story_plans() + self._generated_plans()
            for plan in sorted(plans, key=lambda p: p.starts_at):
                self._replay(plan)
            cleared = self._clear_demo_jobs()
            self._check_money()
            summary = self._summary()
            # The replayed jobs are gone (above): index the services as they stand now, with
            # their next available times, so the first search finds them at once.
            summary["indexed"] = search_index_rebuild()
            search_next_available_refresh(limit=summary["indexed"])
        summary["seconds"] = wall_clock.perf_counter() - started
        summary["cleared_jobs"] = cleared
        return summary

    @contextmanager
    def _at(self, moment: datetime | None) -> Iterator[None]:
        """Run the block at ``moment`` (frozen), or really now when ``moment`` is None."""
        if moment is None:
            yield
            return
        try:
            import time_machine  # a dev dependency: only the demo travels in time
        except ImportError:
            raise CommandError("demo_load needs time-machine, a dev dependency (`uv sync` installs it).") from None

        if moment > self.now:
            raise CommandError(f"Demo data error: an event in the future ({moment:%Y-%m-%d %H:%M}) cannot be replayed.")
        with time_machine.travel(moment, tick=False):
            yield

    def _ago(self, days: float = 0, hours: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours)

    # --- accounts ---------------------------------------------------------------------

    def _check_passwords(self) -> None:
        """Fail before writing anything if a demo password breaks the project's password rules."""
        accounts = self.data["accounts"]
        people = [(v["email"], v.get("full_name", ""), v["password"]) for v in accounts["demo_logins"].values()]
        people += [(c["email"], c["full_name"], accounts["shared_password"]) for c in accounts["customers"]]
        people += [(v["email"], v["full_name"], accounts["shared_password"]) for v in self.data["vendors"]["vendors"]]
        for email, full_name, password in people:
            try:
                validate_password(password, user=User(email=email, full_name=full_name))
            except ValidationError as error:
                raise CommandError(f"The demo password for {email} is refused: {' '.join(error.messages)}") from None
        self.shared_password_hash = make_password(accounts["shared_password"])

    def _verify_email(self, user: User) -> None:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"primary": True, "verified": True})

    def _staff(self) -> tuple[User, User]:
        """The admin, and one staff account per group: marketing editor, support, finance."""
        logins = self.data["accounts"]["demo_logins"]
        staff_groups = {"editor": EDITOR_GROUPS, "support": (SUPPORT,), "finance": (FINANCE,)}
        groups = {group.name: group for group in Group.objects.filter(name__in=[*EDITOR_GROUPS, SUPPORT, FINANCE])}
        missing = {name for names in staff_groups.values() for name in names} - set(groups)
        if missing:
            raise CommandError(f"The groups {', '.join(sorted(missing))} are missing: run migrate first.")
        with self._at(self._ago(LAUNCH_DAYS + 5)):
            # Admins are never self-service (user_register refuses the role): created like createsuperuser does.
            admin = User.objects.create_superuser(
                email=logins["admin"]["email"],
                password=logins["admin"]["password"],
                full_name=logins["admin"]["full_name"],
            )
            self._verify_email(admin)
            audit_log(actor=admin, action="user.created", target=admin, data={"role": admin.role, "demo": True})
            staff = {}
            for login, names in staff_groups.items():
                user = User.objects.create_user(
                    email=logins[login]["email"],
                    password=logins[login]["password"],
                    full_name=logins[login]["full_name"],
                    role=Role.STAFF,
                    is_staff=True,
                )
                user.groups.add(*(groups[name] for name in names))
                self._verify_email(user)
                audit_log(actor=admin, action="user.created", target=user, data={"role": user.role, "demo": True})
                staff[login] = user
        return admin, staff["editor"]

    def _account(self, *, email: str, full_name: str, role: str, time_zone: str, phone: str = "") -> User:
        """A demo person's account.

        The two demo logins go through user_register, exactly like a sign-up. The other
        demo people share one password; hashing it once and reusing the hash saves ~0.2 s
        of PBKDF2 per account (about 7 s, which would nearly double the load time).
        """
        logins = {login["email"]: login["password"] for login in self.data["accounts"]["demo_logins"].values()}
        if email in logins:
            user = user_register(
                email=email, password=logins[email], role=role, full_name=full_name, phone=phone, time_zone=time_zone
            )
        else:
            user = User.objects.create_user(
                email=email, password=None, role=role, full_name=full_name, phone=phone, time_zone=time_zone
            )
            user.password = self.shared_password_hash
            user.save(update_fields=["password"])
            audit_log(actor=user, action="user.registered", target=user, data={"role": role})
        self._verify_email(user)
        return user

    def _customers(self) -> None:
        for index, customer in enumerate(self.data["accounts"]["customers"]):
            with self._at(self._ago(CUSTOMERS_JOIN_DAYS - index, hours=-9)):
                self.customers[customer["email"]] = self._account(role=Role.CUSTOMER, **customer)

    # --- pages ----------------------------------------------------------------------------

    def _publish_new(self, parent, page, *, author: User, publisher: User):
        from wagtail.log_actions import log

        page.owner = author
        page.live = False
        parent.add_child(instance=page)
        log(instance=page, action="wagtail.create", user=author)
        revision = page.save_revision(user=author, log_action=True)
        revision.publish(user=publisher)
        return page

    def _publish_changes(self, page, *, user: User) -> None:
        page.save_revision(user=user, log_action=True).publish(user=user)

    def _pages(self) -> None:
        copy = self.data["pages"]
        editor = self.editor
        with self._at(self._ago(LAUNCH_DAYS + 1)):
            # The pages from the migration are filled in only while they are still empty:
            # never overwrite what an editor already wrote.
            home = HomePage.objects.get().specific
            if not home.body:
                home.body = copy["home"]["body"]
                home.hero_text = home.hero_text or copy["home"]["hero_text"]
                self._publish_changes(home, user=editor)
            for page_class, text in (
                (CategoryIndexPage, copy["category_index_intro"]),
                (VendorIndexPage, copy["vendor_index_intro"]),
            ):
                index = page_class.objects.get()
                if not index.intro:
                    index.intro = text
                    self._publish_changes(index, user=editor)

        category_index = CategoryIndexPage.objects.get()
        for position, category in enumerate(self.data["categories"]["categories"]):
            existing = CategoryPage.objects.child_of(category_index).filter(slug=category["slug"]).first()
            if existing is not None:
                self.categories[category["slug"]] = existing
                continue
            with self._at(self._ago(LAUNCH_DAYS, hours=-position)):
                # The admin creates the category (the domain's record, with its commission);
                # the editor publishes the page that presents it.
                domain_category = category_create(
                    admin=self.admin,
                    name=category["title"],
                    commission_bps=category["commission_bps"],
                    position=position,
                    reason="Launch catalogue",
                )
                page = CategoryPage(
                    title=category["title"],
                    slug=category["slug"],
                    category=domain_category,
                    summary=category["summary"],
                    intro=category["intro"],
                    icon=category["icon"],
                    body=category["body"],
                    search_description=category["summary"],
                )
                self.categories[category["slug"]] = self._publish_new(
                    category_index, page, author=editor, publisher=editor
                )

        home = HomePage.objects.get()
        for position, landing in enumerate(copy["landing_pages"]):
            if LandingPage.objects.child_of(home).filter(slug=landing["slug"]).exists():
                continue
            with self._at(self._ago(LAUNCH_DAYS - 20 * (position + 1))):
                page = LandingPage(
                    title=landing["title"],
                    slug=landing["slug"],
                    seo_title=landing["seo_title"],
                    search_description=landing["search_description"],
                    hero_title=landing["hero_title"],
                    hero_text=landing["hero_text"],
                    featured_category=self.categories[landing["featured_category"]],
                    body=landing["body"],
                )
                self._publish_new(home, page, author=editor, publisher=editor)

    # --- organizers ---------------------------------------------------------------------------

    def _organizers(self) -> None:
        vendors = self.data["vendors"]["vendors"]
        pending = [v for v in vendors if not v["verified"]]
        for index, entry in enumerate(vendors):
            if entry["verified"]:
                joined = self._ago(VENDORS_JOIN_DAYS, hours=-7 * index)
            else:  # fresh applications, waiting in the back office's verification queue
                joined = self._ago(1 + 3 * pending.index(entry), hours=5)
            with self._at(joined):
                vendor = self._organizer_profile(entry)
            self.vendor_data[entry["email"]] = entry
            self.calendars[vendor.pk] = VendorCalendar(
                zone=ZoneInfo(vendor.time_zone),
                buffer=timedelta(minutes=vendor.buffer_after_minutes),
                hours=defaultdict(list),
            )
            for window in weekly_windows(entry["hours"]):
                self.calendars[vendor.pk].hours[window.weekday].append((window.start_time, window.end_time))
            if not entry["verified"]:
                with self._at(joined + timedelta(minutes=30)):
                    self._documents(vendor, accept=False)
                self.pending_vendors += 1
                continue
            with self._at(joined + timedelta(hours=1)):
                self._documents(vendor, accept=True, expiring_soon=index == 0)
            with self._at(joined + timedelta(days=1, hours=2)):
                vendor = vendor_verify(admin=self.admin, vendor_id=vendor.pk, decision=VerificationStatus.VERIFIED)
            with self._at(joined + timedelta(days=1, hours=4)):
                self._payout_account(vendor)
            with self._at(joined + timedelta(days=1, hours=6)):
                for service in entry["services"]:
                    self._service(vendor, service)
            with self._at(joined + timedelta(days=2)):
                self._portfolio(vendor, entry)
            self.vendors[entry["email"]] = vendor

    def _documents(self, vendor: Vendor, *, accept: bool, expiring_soon: bool = False) -> None:
        """Insurance and ID: accepted by support for verified organizers, waiting for review for applicants.

        The first organizer's insurance expires within the reminder window, and a certification
        of theirs waits for review, so both show in the organizer area and the back office.
        """
        today = self._local_today(vendor)
        insurance_days = settings.VENDOR_DOCUMENT_REMINDER_DAYS - 5 if expiring_soon else 200 + self.rng.randrange(300)
        documents = [
            (DocumentKind.INSURANCE, "General liability insurance", today + timedelta(days=insurance_days)),
            (DocumentKind.ID, "Driving licence", today + timedelta(days=900 + self.rng.randrange(900))),
        ]
        for kind, title, expires_on in documents:
            document = self._document(vendor, kind=kind, title=title, expires_on=expires_on)
            if accept:
                vendor_document_review(admin=self.admin, document_id=document.pk, decision=DocumentStatus.ACCEPTED)
        if expiring_soon:
            with self._at(self._ago(days=2)):
                self._document(vendor, kind=DocumentKind.CERTIFICATION, title="NAPO Golden Circle", expires_on=None)

    def _document(self, vendor: Vendor, *, kind: str, title: str, expires_on: date | None) -> VendorDocument:
        document = vendor_document_upload(
            user=vendor.user,
            kind=kind,
            title=title,
            expires_on=expires_on,
            file=ContentFile(DEMO_PDF),
            name=f"{slugify(title)}.pdf",
        )
        self.document_ids.add(document.pk)
        return document

    def _organizer_profile(self, entry: dict) -> Vendor:
        user = self._account(
            email=entry["email"],
            full_name=entry["full_name"],
            role=Role.VENDOR,
            time_zone=entry["time_zone"],
            phone=entry["phone"],
        )
        vendor, _ = vendor_profile_upsert(
            user=user,
            business_name=entry["business_name"],
            city=entry["city"],
            place=entry.get("place", entry["city"]),  # the centre of their area, named as an organizer would
            time_zone=entry["time_zone"],
            tagline=entry["tagline"],
            bio=entry["bio"],
            service_radius_km=entry["service_radius_km"],
            phone=entry["phone"],
            website=entry["website"],
            years_in_business=entry["years_in_business"],
            certifications=entry["certifications"],
        )
        vendor = booking_rules_update(vendor=vendor, buffer_after_minutes=entry["buffer_after_minutes"])
        availability_rules_replace(vendor=vendor, windows=weekly_windows(entry["hours"]))
        return vendor

    def _payout_account(self, vendor: Vendor) -> None:
        """The organizer sets up payouts on the local gateway's onboarding page, as they would on Stripe's."""
        base = settings.SITE_URL.rstrip("/")
        url = payout_account_link(
            user=vendor.user,
            refresh_url=base + reverse("storefront:vendor_payout_account_refresh"),
            return_url=base + reverse("storefront:vendor_payout_account_return"),
        )
        local_gateway_onboarding_submit(local_gateway_onboarding_token(url), outcome="submit")

    def _longest_window(self, vendor: Vendor) -> int:
        """The longest working window in the organizer's week, in minutes."""
        return max(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds // 60
            for windows in self.calendars[vendor.pk].hours.values()
            for start, end in windows
        )

    def _service(self, vendor: Vendor, entry: dict) -> Service:
        if entry["duration"] > self._longest_window(vendor):
            raise CommandError(
                f"Demo data error: '{entry['title']}' of {vendor} is longer than any of its working days."
            )
        return service_create(
            user=vendor.user,
            category_id=self.categories[entry["category"]].category_id,
            title=entry["title"],
            pricing_model=entry["pricing_model"],
            base_price_minor=entry["price"],
            duration_minutes=entry["duration"],
            summary=entry["summary"],
            description=entry["description"],
            instant_booking=entry.get("instant", True),
        )

    def _portfolio(self, vendor: Vendor, entry: dict) -> VendorPortfolioPage:
        """The organizer writes the page (a revision by them); an admin publishes it (moderation)."""
        portfolio = entry["portfolio"]
        body = [
            {"type": "heading", "value": "How I work"},
            {"type": "paragraph", "value": "".join(f"<p>{escape(text)}</p>" for text in portfolio["story"])},
            {"type": "features", "value": {"heading": "Specialties", "features": portfolio["specialties"]}},
            {"type": "quote", "value": {"quote": portfolio["quote"], "attribution": vendor.user.full_name}},
        ]
        page = VendorPortfolioPage(
            title=vendor.business_name,
            slug=vendor.slug,
            vendor=vendor,
            headline=portfolio["headline"],
            body=body,
            search_description=vendor.tagline,
        )
        if self.images:
            page.gallery_images = self._gallery(vendor, portfolio["gallery"])
        return self._publish_new(VendorIndexPage.objects.get(), page, author=vendor.user, publisher=self.admin)

    def _gallery(self, vendor: Vendor, subject: str) -> list[PortfolioGalleryImage]:
        from wagtail.images import get_image_model
        from wagtail.models import Collection

        from .images import before_and_after

        root = Collection.get_first_root_node()
        collection = root.get_children().filter(name=PORTFOLIO_COLLECTION).first() or root.add_child(
            name=PORTFOLIO_COLLECTION
        )
        image_model = get_image_model()
        gallery = []
        for label, content in zip(("Before", "After"), before_and_after(vendor.slug), strict=True):
            image = image_model(
                title=f"{vendor.business_name}: {subject} ({label.lower()})",
                collection=collection,
                uploaded_by_user=vendor.user,
            )
            image.file = ContentFile(content, name=f"{vendor.slug}-{label.lower()}.jpg")
            image._set_image_file_metadata()
            image.save()
            self.images_created += 1
            gallery.append(PortfolioGalleryImage(image=image, caption=f"{label}: {subject}"))
        return gallery

    # --- booking plans ---------------------------------------------------------------------------

    def _service_named(self, vendor: Vendor, title: str) -> Service:
        service = Service.objects.filter(vendor=vendor, title=title).first()
        if service is None:
            raise CommandError(f"Demo data error: {vendor} has no service called '{title}'.")
        return service

    def _address(self, vendor: Vendor) -> str:
        streets = self.data["bookings"]["streets"]
        unit = f", Apt {self.rng.randint(1, 6)}{self.rng.choice('ABCD')}" if self.rng.random() < 0.35 else ""
        return f"{self.rng.randint(12, 980)} {self.rng.choice(streets)}{unit}, {vendor.city}"

    def _slot(self, vendor: Vendor, *, day: date, duration: int, at: time | None, direction: int) -> datetime:
        """The first free start on ``day`` (nearest to ``at``), else on the days before/after it.

        Free means inside the organizer's weekly hours and clear of their other demo
        bookings including the buffer, so the real booking_request accepts it.
        """
        calendar = self.calendars[vendor.pk]
        length = timedelta(minutes=duration)
        for shift in range(28):
            current = day + timedelta(days=shift * direction)
            candidates = []
            for start, end in calendar.hours.get(current.weekday(), []):
                moment = datetime.combine(current, start, tzinfo=calendar.zone)
                close = datetime.combine(current, end, tzinfo=calendar.zone)
                while moment + length <= close:
                    candidates.append(moment)
                    moment += timedelta(minutes=30)
            if at is not None:
                wanted = datetime.combine(current, at, tzinfo=calendar.zone)
                candidates.sort(key=lambda c: abs(c - wanted))
            else:
                self.rng.shuffle(candidates)
            for start in candidates:
                busy_until = start + length + calendar.buffer
                if not any(b_start < busy_until and start < b_end for b_start, b_end in calendar.busy):
                    calendar.busy.append((start, busy_until))
                    return start
        raise CommandError(f"Demo data error: no free {duration}-minute slot for {vendor} near {day}.")

    def _local_today(self, vendor: Vendor) -> date:
        return self.now.astimezone(self.calendars[vendor.pk].zone).date()

    def _duration(self, service: Service, hours: float | None = None) -> int:
        """The booked length: as the story says, else the service's; hourly bookings sometimes run longer."""
        if hours:
            return int(hours * 60)
        if service.pricing_model == PricingModel.HOURLY:
            extra = self.rng.choice((0, 0, 60, 120))
            return max(
                service.duration_minutes, min(service.duration_minutes + extra, self._longest_window(service.vendor))
            )
        return service.duration_minutes

    def _quote(self, vendor: Vendor, service: Service) -> int:
        entry = next(s for s in self.vendor_data[vendor.user.email]["services"] if s["title"] == service.title)
        low, high = entry["quote_range"]
        return self.rng.randrange(low, high + 1, 2500)

    def _story_plans(self) -> list[Plan]:
        plans = []
        for story in self.data["bookings"]["stories"]:
            vendor = self.vendors[story["vendor"]]
            today = self._local_today(vendor)
            service = self._service_named(vendor, story["service"])
            duration = self._duration(service, story.get("hours"))
            future = story["days"] > 0
            starts_at = self._slot(
                vendor,
                day=today + timedelta(days=story["days"]),
                duration=duration,
                at=time.fromisoformat(story["at"]),
                direction=1 if future else -1,
            )
            kind = story["kind"]
            if future:
                booked_at = None
            elif kind == "cancelled":
                booked_at = starts_at - timedelta(days=7, hours=3)
            else:
                booked_at = starts_at - timedelta(days=5, hours=self.rng.randint(2, 30))
            plans.append(
                Plan(
                    kind=kind,
                    customer=self.customers[story["customer"]],
                    vendor=vendor,
                    service=service,
                    starts_at=starts_at,
                    duration=duration,
                    address=self._address(vendor),
                    note=story.get("note", ""),
                    booked_at=booked_at,
                    quote_minor=story.get("quote"),
                    reason=story.get("reason", ""),
                    review=story.get("review"),
                    dispute=story.get("dispute"),
                    chargeback=story.get("chargeback"),
                )
            )
        return plans

    def _customer_near(self, vendor: Vendor) -> User:
        """The least-booked demo customer whose time zone is closest to the organizer's."""
        demo_customer = self.data["accounts"]["demo_logins"]["customer"]["email"]
        reference = datetime(self.now.year, 1, 15, 12)

        def offset(zone: str) -> float:
            return ZoneInfo(zone).utcoffset(reference).total_seconds() / 3600

        candidates = [c for email, c in self.customers.items() if email != demo_customer]
        target = offset(vendor.time_zone)
        best = min(abs(offset(c.time_zone) - target) for c in candidates)
        nearby = [c for c in candidates if abs(offset(c.time_zone) - target) <= best + 1]
        customer = min(nearby, key=lambda c: (self.customer_use[c.pk], c.pk))
        self.customer_use[customer.pk] += 1
        return customer

    def _pick_service(self, vendor: Vendor, *, allow_quote: bool) -> Service:
        services = [s for s in vendor.services.all() if allow_quote or s.pricing_model != PricingModel.QUOTE]
        weights = {PricingModel.FIXED: 4, PricingModel.HOURLY: 3, PricingModel.QUOTE: 2}
        return self.rng.choices(services, weights=[weights[s.pricing_model] for s in services])[0]

    def _generated_plans(self) -> list[Plan]:
        plans = []
        notes = self.data["bookings"]["customer_notes"]
        first, last = PAST_BOOKING_DAYS
        band = (last - first) // PAST_BOOKINGS_PER_VENDOR
        demo_organizer = self.data["accounts"]["demo_logins"]["organizer"]["email"]
        for index, vendor in enumerate(self.vendors.values()):
            today = self._local_today(vendor)
            for k in range(PAST_BOOKINGS_PER_VENDOR):
                days_ago = self.rng.randint(first + k * band, first + (k + 1) * band - 1)
                service = self._pick_service(vendor, allow_quote=True)
                duration = self._duration(service)
                starts_at = self._slot(
                    vendor, day=today - timedelta(days=days_ago), duration=duration, at=None, direction=-1
                )
                plans.append(
                    Plan(
                        kind="completed",
                        customer=self._customer_near(vendor),
                        vendor=vendor,
                        service=service,
                        starts_at=starts_at,
                        duration=duration,
                        address=self._address(vendor),
                        note=self.rng.choice(notes),
                        booked_at=starts_at - timedelta(days=self.rng.randint(2, 12), hours=self.rng.randint(0, 12)),
                        quote_minor=self._quote(vendor, service) if service.is_quote else None,
                        review=self._next_review(vendor, service) if self.rng.random() < REVIEW_SHARE else None,
                    )
                )
            plans += self._recent_plans(vendor, today, notes)
            # Every other organizer also has an upcoming, confirmed booking in their calendar.
            if index % 2 == 1 and vendor.user.email != demo_organizer:
                service = self._pick_service(vendor, allow_quote=False)
                duration = self._duration(service)
                starts_at = self._slot(
                    vendor,
                    day=today + timedelta(days=self.rng.randint(*UPCOMING_BOOKING_DAYS)),
                    duration=duration,
                    at=None,
                    direction=1,
                )
                plans.append(
                    Plan(
                        kind="upcoming_confirmed",
                        customer=self._customer_near(vendor),
                        vendor=vendor,
                        service=service,
                        starts_at=starts_at,
                        duration=duration,
                        address=self._address(vendor),
                        note=self.rng.choice(notes),
                    )
                )
        return plans

    def _recent_plans(self, vendor: Vendor, today: date, notes: list[str]) -> list[Plan]:
        """Bookings made in the last ``RECENT_DAYS`` days: done already (completed and paid out) or still ahead."""
        plans = []
        for _ in range(RECENT_BOOKINGS_PER_VENDOR):
            service = self._pick_service(vendor, allow_quote=False)
            duration = self._duration(service)
            if self.rng.random() < 0.5:
                kind = "completed"
                day = today - timedelta(days=self.rng.randint(1, RECENT_DAYS - 6))
                starts_at = self._slot(vendor, day=day, duration=duration, at=None, direction=-1)
                booked_at = starts_at - timedelta(days=self.rng.randint(2, 5), hours=self.rng.randint(0, 10))
            else:
                kind = "upcoming_confirmed"
                day = today + timedelta(days=self.rng.randint(2, 20))
                starts_at = self._slot(vendor, day=day, duration=duration, at=None, direction=1)
                booked_at = self.now - timedelta(
                    days=self.rng.randint(0, RECENT_DAYS - 1), hours=self.rng.randint(1, 20)
                )
            plans.append(
                Plan(
                    kind=kind,
                    customer=self._customer_near(vendor),
                    vendor=vendor,
                    service=service,
                    starts_at=starts_at,
                    duration=duration,
                    address=self._address(vendor),
                    note=self.rng.choice(notes),
                    booked_at=booked_at,
                )
            )
        return plans

    def _next_review(self, vendor: Vendor, service: Service) -> dict:
        texts = self.data["reviews"]["reviews"][service.category.slug]
        text = texts[self.review_cursor[service.category.slug] % len(texts)]
        self.review_cursor[service.category.slug] += 1
        name = vendor.user.get_short_name()
        return {"rating": text["rating"], "title": text["title"], "body": text["body"].replace("{organizer}", name)}

    # --- replaying a booking through the domain services -------------------------------------------

    def _later(self, moment: datetime, *, hours: float) -> datetime:
        """``moment`` plus ``hours``, but never later than a few minutes ago."""
        return min(moment + timedelta(hours=hours), self.now - timedelta(minutes=5))

    def _replay(self, plan: Plan) -> Booking:
        customer, vendor_user = plan.customer, plan.vendor.user
        booked_at = plan.booked_at
        with self._at(booked_at):
            booking = booking_request(
                customer=customer,
                service_id=plan.service.pk,
                starts_at=plan.starts_at,
                address=plan.address,
                duration_minutes=plan.duration if plan.service.pricing_model == PricingModel.HOURLY else None,
                note=plan.note,
            )
        self.booking_ids.append(booking.pk)
        if plan.kind == "upcoming_quote_request":
            return booking

        if plan.service.is_quote:
            with self._at(booked_at and booked_at + timedelta(hours=4)):
                booking_quote(
                    vendor_user=vendor_user,
                    booking_id=booking.pk,
                    price_minor=plan.quote_minor or self._quote(plan.vendor, plan.service),
                    note=self.rng.choice(self.data["bookings"]["quote_notes"]),
                )
            if plan.kind == "upcoming_quoted":
                return booking

        paid_at = booked_at and booked_at + timedelta(hours=6 if plan.service.is_quote else 0, minutes=4)
        with self._at(paid_at):
            booking = booking_pay(customer=customer, booking_id=booking.pk, payment_method=PAYMENT_METHOD).booking
        if plan.kind == "upcoming_paid_request":
            return booking
        if plan.kind == "declined":
            with self._at(paid_at + timedelta(hours=2)):
                return booking_decline(vendor_user=vendor_user, booking_id=booking.pk, reason=plan.reason)
        if booking.status == BookingStatus.REQUESTED:  # not instantly bookable: the organizer accepts
            with self._at(paid_at and paid_at + timedelta(hours=3)):
                booking = booking_accept(vendor_user=vendor_user, booking_id=booking.pk)
        if plan.kind == "cancelled":
            with self._at(paid_at + timedelta(days=4)):
                booking = booking_cancel(user=customer, booking_id=booking.pk, reason=plan.reason)
                self._run_money_jobs()  # what the organizer keeps under the cancellation policy
                return booking
        if plan.kind == "upcoming_confirmed":
            return booking
        if plan.kind == "awaiting_confirmation":
            self.intended_escrow.add(booking.pk)
            if plan.chargeback:
                self._chargeback(plan, booking)
            return booking
        if plan.kind in ("disputed_awaiting_answer", "disputed_under_review"):
            self.intended_escrow.add(booking.pk)  # held until staff decide
            return self._dispute(plan, booking)
        return self._complete(plan, booking)

    def _dispute(self, plan: Plan, booking: Booking) -> Booking:
        """The customer reports a problem after the work, with a photo; under review, the organizer answered."""
        from .images import evidence_photo

        story = plan.dispute or {}
        opened_at = self._later(booking.ends_at, hours=story.get("after_hours", 18))
        with self._at(opened_at):
            dispute = dispute_open(
                user=plan.customer,
                booking_id=booking.pk,
                reason=story["reason"],
                description=story["description"],
                files=[(evidence_photo(), story.get("photo", "photo.png"))],
            )
        self.dispute_ids.add(dispute.pk)
        if plan.kind == "disputed_under_review":
            with self._at(self._later(opened_at, hours=story.get("answer_after_hours", 20))):
                dispute_respond(user=plan.vendor.user, dispute_id=dispute.pk, statement=story["response"])
        return booking

    def _chargeback(self, plan: Plan, booking: Booking) -> None:
        """The customer's bank contests the payment: Stripe's ``charge.dispute.created`` event, applied by the webhook's
        own handler (``stripe_event_apply``), which records the chargeback and holds the escrow.

        The event is stored as the webhook stores a verified one; the local gateway has no Stripe to send it.
        """
        story = plan.chargeback or {}
        opened_at = self._later(booking.ends_at, hours=story.get("after_hours", 24))
        payment = Transaction.objects.get(booking=booking)
        created = int(opened_at.timestamp())
        dispute = {
            "id": f"dp_demo_{booking.reference}",
            "object": "dispute",
            "charge": payment.payment_reference,
            "amount": payment.amount_minor,
            "currency": payment.currency.lower(),
            "reason": story.get("reason", "general"),
            "status": story.get("status", "needs_response"),
            "created": created,
            "evidence_details": {"due_by": created + 9 * 24 * 3600},
        }
        with self._at(opened_at):
            StripeEvent.objects.create(
                stripe_id=f"evt_demo_{booking.reference}",
                type="charge.dispute.created",
                created=opened_at,
                livemode=False,
                payload={
                    "id": f"evt_demo_{booking.reference}",
                    "type": "charge.dispute.created",
                    "data": {"object": dispute},
                },
            )
            stripe_event_apply(event_id=f"evt_demo_{booking.reference}")

    def _run_money_jobs(self) -> None:
        """What the queued release and payout jobs do, run now so the replayed history leaves no payout half done.

        With the ORM broker they would only run in the worker, after the load.
        """
        escrow_release_due_job()
        pending = list(Payout.objects.filter(state=MovementState.PENDING).values_list("pk", flat=True))
        if pending:
            payouts_execute_job(pending)

    def _complete(self, plan: Plan, booking: Booking) -> Booking:
        ends_at = booking.ends_at
        confirmed_at = self._later(ends_at, hours=self.rng.choice((0.5, 1, 2, 5, 20)))
        with self._at(confirmed_at):
            booking = booking_confirm_completion(customer=plan.customer, booking_id=booking.pk)
            txn = Transaction.objects.get(booking=booking)
            if not txn.payout_needs_approval:
                self._run_money_jobs()
        if txn.payout_needs_approval:
            if plan.kind == "awaiting_payout_approval":
                self.intended_escrow.add(booking.pk)  # waits in the back office's payout queue
            else:
                with self._at(self._later(confirmed_at, hours=self.rng.randint(3, 26))):
                    escrow_release(
                        booking_id=booking.pk,
                        approved_by=self.admin,
                        reason=self.rng.choice(self.data["bookings"]["admin_approval_reasons"]),
                    )
                    self._run_money_jobs()
        if plan.review:
            with self._at(self._later(confirmed_at, hours=self.rng.choice((0.2, 1, 3, 18, 40)))):
                review_create(customer=plan.customer, booking_id=booking.pk, **plan.review)
        return booking

    # --- tidying up and checking -------------------------------------------------------------------

    def _clear_demo_jobs(self) -> int:
        """Drop the jobs the replayed history queued.

        Every replayed step queued its notification emails (and payout jobs, which the
        load already ran itself). With the ORM broker they wait in the database for the
        worker; hundreds of "your booking is confirmed" emails about a replayed story,
        most of it months old, help nobody, so they are removed in the same transaction.
        With Redis the jobs are pushed on commit and run harmlessly (each is safe to run
        twice; the addresses are .test / example ones). In sync mode (tests) they already ran.
        """
        if settings.Q_CLUSTER.get("sync") or "orm" not in settings.Q_CLUSTER:
            return 0
        from django_q.models import OrmQ

        demo_bookings = set(self.booking_ids)
        demo_payouts = set(Payout.objects.filter(booking_id__in=demo_bookings).values_list("pk", flat=True))

        def moot_job(job) -> bool:
            func, first_arg = job.task.get("func"), (job.task.get("args") or [None])[0]
            if func == "marketplace.payments.tasks.escrow_release_due":
                return True  # the load released everything due itself
            if func == "marketplace.payments.tasks.payouts_execute":
                return set(first_arg) <= demo_payouts  # the load paid them out itself
            if func == "marketplace.notifications.tasks.send_dispute_notification":
                return first_arg in self.dispute_ids
            if func == "marketplace.notifications.tasks.send_vendor_document_notification":
                return first_arg in self.document_ids
            return func in DEMO_JOB_FUNCS and first_arg in demo_bookings

        moot = [job.pk for job in OrmQ.objects.all() if moot_job(job)]
        OrmQ.objects.filter(pk__in=moot).delete()
        return len(moot)

    def _check_money(self) -> None:
        """Refuse to commit a demo whose books do not balance or that left money stuck by mistake."""
        unbalanced = (
            LedgerLine.objects.order_by().values("entry_id").annotate(total=Sum("amount_minor")).exclude(total=0)
        )
        if unbalanced.exists():
            raise CommandError("Demo load error: a ledger entry does not balance.")
        currency = settings.MARKETPLACE_CURRENCY
        transactions = Transaction.objects.filter(currency=currency)

        held = transactions.filter(status=TransactionStatus.HELD)
        expected = (held.aggregate(total=Sum("amount_minor"))["total"] or 0) - (
            held.aggregate(total=Sum("refunded_minor"))["total"] or 0
        )
        if escrow_held(currency=currency) != expected:
            raise CommandError("Demo load error: escrow held does not equal captured - released - refunded.")
        stuck = Transaction.objects.filter(
            status=TransactionStatus.HELD, booking__starts_at__lt=self.now, booking_id__in=self.booking_ids
        ).exclude(booking_id__in=self.intended_escrow)
        if stuck.exists():
            references = ", ".join(stuck.values_list("booking__reference", flat=True))
            raise CommandError(f"Demo load error: past bookings left with money in escrow: {references}")

    def _summary(self) -> dict:
        currency = settings.MARKETPLACE_CURRENCY
        services = Counter(
            Service.objects.filter(vendor__in=self.vendors.values()).values_list("pricing_model", flat=True)
        )
        bookings = Counter(Booking.objects.filter(pk__in=self.booking_ids).values_list("status", flat=True))
        held = Transaction.objects.filter(booking_id__in=self.booking_ids, status=TransactionStatus.HELD)
        awaiting_approval = held.filter(booking__status=BookingStatus.COMPLETED, payout_needs_approval=True).count()
        return {
            "categories": len(self.categories),
            "landing_pages": LandingPage.objects.live().count(),
            "vendors": len(self.vendors),
            "pending_vendors": self.pending_vendors,
            "services": services,
            "customers": len(self.customers),
            "bookings": bookings,
            "reviews": Review.objects.filter(booking_id__in=self.booking_ids).count(),
            "average_rating": Review.objects.filter(booking_id__in=self.booking_ids).aggregate(average=Avg("rating"))[
                "average"
            ],
            "escrow_held": Money(escrow_held(currency=currency), currency),
            "escrow_bookings": held.count(),
            "awaiting_payout_approval": awaiting_approval,
            "paid_out": Money(
                LedgerLine.objects.filter(
                    entry__kind=EntryKind.PAYOUT, account=LedgerAccount.VENDOR_PAYABLE, currency=currency
                ).aggregate(total=Sum("amount_minor"))["total"]
                or 0,
                currency,
            ),
            "commission": Money(
                -ledger_balance(account=LedgerAccount.PLATFORM_COMMISSION, currency=currency), currency
            ),
            "images": self.images_created,
        }
