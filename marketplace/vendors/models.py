import re

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.core import uploads
from marketplace.core.models import TimeStampedModel


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending review"  # profile submitted, waiting for an admin
    VERIFIED = "verified", "Verified"  # may publish services and take bookings
    SUSPENDED = "suspended", "Suspended"  # was verified; listings hidden, no new bookings
    REJECTED = "rejected", "Rejected"  # not accepted; a corrected profile goes back to pending


class VerificationDecision(models.TextChoices):
    """An admin's decision about an organizer: audited as ``vendor.<value>`` and emailed to them with its reason."""

    VERIFIED = "verified", "Verify"  # pending -> verified: the first approval; a note is optional
    REJECTED = "rejected", "Reject"  # pending or suspended -> rejected; they may correct the profile
    SUSPENDED = "suspended", "Suspend"  # verified -> suspended; see bookings.policy.SUSPENSION_RULE
    REINSTATED = "reinstated", "Reinstate"  # suspended -> verified again; never from rejected


# Admin decisions allowed from each status. A rejected vendor returns to pending by
# editing the profile, not by an admin decision.
VERIFICATION_DECISIONS = {
    VerificationStatus.PENDING: {VerificationDecision.VERIFIED, VerificationDecision.REJECTED},
    VerificationStatus.VERIFIED: {VerificationDecision.SUSPENDED},
    VerificationStatus.SUSPENDED: {VerificationDecision.REINSTATED, VerificationDecision.REJECTED},
    VerificationStatus.REJECTED: set(),
}

# The status each decision leaves the organizer in.
DECISION_STATUS = {
    VerificationDecision.VERIFIED: VerificationStatus.VERIFIED,
    VerificationDecision.REJECTED: VerificationStatus.REJECTED,
    VerificationDecision.SUSPENDED: VerificationStatus.SUSPENDED,
    VerificationDecision.REINSTATED: VerificationStatus.VERIFIED,
}

# Every decision tells the organizer why, except the first approval, which may carry a note.
REASON_OPTIONAL = frozenset({VerificationDecision.VERIFIED})

# A calendar feed token: secrets.token_urlsafe(32), 43 characters of the URL-safe base64 alphabet.
# Anything else presented as a token is refused before it reaches the database.
CALENDAR_FEED_TOKEN_BYTES = 32
CALENDAR_FEED_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


class Vendor(TimeStampedModel):
    """A professional organizer's business on the marketplace."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vendor")
    business_name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    tagline = models.CharField(max_length=160, blank=True)
    bio = models.TextField(blank=True)
    city = models.CharField(max_length=120)
    # Service area: a centre point and radius, optionally refined by a GeoJSON polygon. The
    # organizer names the centre (a ZIP code or a city, core.places); the point is worked out.
    service_area_place = models.CharField(max_length=120, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    service_radius_km = models.PositiveIntegerField(default=25)
    service_area_geojson = models.JSONField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    # Booking rules (availability.limits.booking_rules, set with availability.services.booking_rules_update):
    # minutes kept free before and after each job (travel, reset), part of the no-overlap rule;
    # and the organizer's own notice, horizon, slot step and daily cap, None = the platform's
    # default setting (BOOKING_MIN_NOTICE_MINUTES, BOOKING_HORIZON_DAYS, BOOKING_SLOT_STEP_MINUTES,
    # BOOKING_DAILY_CAP), so a changed default reaches everyone who kept it. A daily cap of 0 = none.
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    min_notice_minutes = models.PositiveIntegerField(null=True, blank=True)
    horizon_days = models.PositiveIntegerField(null=True, blank=True)
    slot_step_minutes = models.PositiveIntegerField(null=True, blank=True)
    daily_cap = models.PositiveSmallIntegerField(null=True, blank=True)

    verification_status = models.CharField(
        max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.PENDING, db_index=True
    )
    verification_reason = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Commission override in basis points; None falls back to the category, then the platform.
    commission_bps = models.PositiveIntegerField(null=True, blank=True)
    # Flagged vendors' payouts always wait for an admin's approval.
    payouts_need_approval = models.BooleanField(default=False)
    # New bookings stop, on their own, while the payout account's requirements are past due
    # (set and cleared by payments.payout_accounts.payout_account_sync, never by an admin).
    # A flag of its own, apart from verification: the organizer stays verified and listed,
    # and confirmed bookings go on. Empty reason = taking new bookings.
    new_bookings_paused_at = models.DateTimeField(null=True, blank=True)
    new_bookings_paused_reason = models.TextField(blank=True)
    # Set by the documents expiry job when a required document (vendors.policy.REQUIRED_KINDS)
    # has expired with no accepted renewal; cleared when staff accept the renewal. While set,
    # the organizer's services are neither listed nor bookable (vendors.policy.listed_filter,
    # bookings.policy.takes_new_bookings); confirmed bookings go on.
    documents_expired_at = models.DateTimeField(null=True, blank=True)
    # Trust figures the pages show, kept by the bookings service (``organizer_figures_refresh``)
    # as bookings complete and requests are answered: jobs done on the platform, and the median
    # minutes to answer a request over the last 12 months (None below three answers).
    jobs_completed = models.PositiveIntegerField(default=0)
    response_minutes = models.PositiveIntegerField(null=True, blank=True)
    # The secret in the address of the organizer's calendar feed of bookings (/calendar/<token>.ics);
    # None = no feed. Kept as is, not hashed: the organizer must be able to see and copy the address
    # again, and it only reads bookings from this same database. Replaced or cleared by
    # vendors.services.vendor_calendar_feed_reset / _turn_off, which revokes the old address.
    calendar_feed_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    calendar_feed_token_created_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["business_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_bps__isnull=True) | Q(commission_bps__lte=10000),
                name="vendor_commission_bps_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="vendor_coordinates_range",
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=24 * 60, buffer_after_minutes__lte=24 * 60),
                name="vendor_buffer_range",
            ),
            models.CheckConstraint(
                condition=(Q(horizon_days__isnull=True) | Q(horizon_days__gte=1))
                & (Q(slot_step_minutes__isnull=True) | Q(slot_step_minutes__gte=15)),
                name="vendor_booking_rules_range",
            ),
            models.CheckConstraint(
                condition=Q(new_bookings_paused_at__isnull=True, new_bookings_paused_reason="")
                | (Q(new_bookings_paused_at__isnull=False) & ~Q(new_bookings_paused_reason="")),
                name="vendor_new_bookings_pause_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.business_name

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def documents_expired(self) -> bool:
        """Hidden from customers until an expired required document's renewal is accepted."""
        return self.documents_expired_at is not None

    @property
    def is_listed(self) -> bool:
        """Services are found and booked: verified, and no required document expired."""
        return self.is_verified and not self.documents_expired

    @property
    def new_bookings_paused(self) -> bool:
        """Not taking new bookings until the payout account's past-due requirements are met."""
        return self.new_bookings_paused_at is not None


class VendorProfile(TimeStampedModel):
    """The parts of a vendor that are not needed to list or book: credentials and payouts.

    The vendor's public portfolio is a Wagtail page (storefront.VendorPortfolioPage)
    that points at the vendor, reachable as ``vendor.portfolio_page``.
    """

    vendor = models.OneToOneField(Vendor, on_delete=models.CASCADE, related_name="profile")
    phone = models.CharField(max_length=32, blank=True)
    website = models.URLField(blank=True)
    years_in_business = models.PositiveSmallIntegerField(null=True, blank=True)
    certifications = models.JSONField(default=list, blank=True, help_text="e.g. ['NAPO member', 'KonMari consultant']")
    # The payout account at the payment gateway (a Stripe Connect Express account, or the
    # local gateway's ``acct_local_...``) and what the gateway last said of it. Written only by
    # payments.payout_accounts (onboarding, account.updated, the organizer's return).
    stripe_account_id = models.CharField(max_length=64, blank=True)
    payouts_enabled = models.BooleanField(default=False)
    payout_details_submitted = models.BooleanField(default=False)
    payout_requirements_due = models.JSONField(default=list, blank=True, help_text="Gateway codes still to provide.")
    payout_requirements_past_due = models.JSONField(
        default=list, blank=True, help_text="Gateway codes overdue: payouts and new bookings stop."
    )
    payout_disabled_reason = models.CharField(max_length=64, blank=True)
    # When the gateway reported the state above (the event's time, or the moment we asked):
    # an older report never overwrites a newer one.
    payout_account_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A gateway's account pays one organizer: its reports (account.updated) find one profile.
            models.UniqueConstraint(
                fields=["stripe_account_id"],
                condition=~Q(stripe_account_id=""),
                name="vendor_profile_one_per_payout_account",
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.vendor}"


class DocumentKind(models.TextChoices):
    INSURANCE = "insurance", "Liability insurance"  # proof of cover; required, always has an expiry date
    CERTIFICATION = "certification", "Certification"  # a professional credential; optional, may have an expiry date
    ID = "id", "Identity document"  # passport, driving licence or ID card; required, always has an expiry date


# Kinds whose expiry date must be given (a certification may never expire, e.g. a course taken).
KINDS_WITH_EXPIRY = frozenset({DocumentKind.INSURANCE, DocumentKind.ID})


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"  # uploaded; staff have not looked at it yet
    ACCEPTED = "accepted", "Accepted"  # checked by staff; counts until it expires or an accepted renewal replaces it
    REJECTED = "rejected", "Rejected"  # not accepted, with the reason the organizer was emailed; final


# Staff decisions allowed from each status: a document is reviewed once.
DOCUMENT_DECISIONS = {
    DocumentStatus.PENDING: {DocumentStatus.ACCEPTED, DocumentStatus.REJECTED},
    DocumentStatus.ACCEPTED: set(),
    DocumentStatus.REJECTED: set(),
}


def vendor_document_path(document: "VendorDocument", filename: str) -> str:
    # Our own name, never the uploader's: the original name is kept in a field and shown escaped.
    extension = uploads.EXTENSIONS[document.content_type]
    return f"vendors/{document.vendor_id}/documents/{document.kind}-{document.token}{extension}"


class VendorDocument(TimeStampedModel):
    """An organizer's insurance, certification or identity document, reviewed by staff.

    Stored in the private storage and served only to its organizer and to staff. A renewal
    is a new document: when staff accept it, it replaces the accepted one it renews
    (``replaced_by``), so each required kind has at most one current accepted document.
    """

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    title = models.CharField(max_length=120)
    file = models.FileField(upload_to=vendor_document_path, storage=uploads.private_storage, max_length=255)
    token = models.CharField(max_length=32, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The last day the document is valid (it has expired from the next day on, in the organizer's time zone).
    expires_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.PENDING, db_index=True
    )
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The accepted renewal that took this document's place; set only on an accepted document.
    replaced_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces")
    # The expiry job's two messages, each sent once: the reminder before expiry, the notice on it.
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    expired_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_on"], name="vendor_document_expiry")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="vendor_document_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=DocumentStatus.values), name="vendor_document_status_valid"),
            models.CheckConstraint(
                condition=Q(kind=DocumentKind.CERTIFICATION) | Q(expires_on__isnull=False),
                name="vendor_document_expiry_required",
            ),
            models.CheckConstraint(
                condition=Q(status=DocumentStatus.PENDING, reviewed_at__isnull=True)
                | (~Q(status=DocumentStatus.PENDING) & Q(reviewed_at__isnull=False)),
                name="vendor_document_reviewed_when_decided",
            ),
            models.CheckConstraint(
                condition=~Q(status=DocumentStatus.REJECTED) | ~Q(review_reason=""),
                name="vendor_document_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(replaced_by__isnull=True) | Q(status=DocumentStatus.ACCEPTED),
                name="vendor_document_replaced_only_when_accepted",
            ),
            # One current accepted insurance and one current accepted identity document per organizer.
            models.UniqueConstraint(
                fields=["vendor", "kind"],
                condition=Q(status=DocumentStatus.ACCEPTED, replaced_by__isnull=True)
                & Q(kind__in=[DocumentKind.INSURANCE, DocumentKind.ID]),
                name="vendor_document_one_current_per_required_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def is_current(self) -> bool:
        """Accepted and not replaced by an accepted renewal."""
        return self.status == DocumentStatus.ACCEPTED and self.replaced_by_id is None

    def can_be_reviewed(self) -> bool:
        return self.status == DocumentStatus.PENDING
