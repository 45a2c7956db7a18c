from django.conf import settings
from django.db import models
from django.db.models import Q

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


class Vendor(TimeStampedModel):
    """A professional organizer's business on the marketplace."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vendor")
    business_name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    tagline = models.CharField(max_length=160, blank=True)
    bio = models.TextField(blank=True)
    city = models.CharField(max_length=120)
    # Service area: a centre point and radius, optionally refined by a GeoJSON polygon.
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    service_radius_km = models.PositiveIntegerField(default=25)
    service_area_geojson = models.JSONField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    # Minutes kept free after each booking (travel, reset); part of the no-overlap rule.
    buffer_minutes = models.PositiveIntegerField(default=0)

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
            models.CheckConstraint(condition=Q(buffer_minutes__lte=24 * 60), name="vendor_buffer_range"),
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
