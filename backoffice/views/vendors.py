"""Vendor verification: the queue, a vendor's file, and the Verify / Reject / Suspend / Reinstate actions."""

from __future__ import annotations

from urllib.parse import urlencode

import django_filters
from django.contrib.admin.utils import quote
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.widgets.button import ListingButton

from backoffice.permissions import VERIFY
from marketplace.bookings.policy import SUSPENSION_RULE
from marketplace.bookings.selectors import booking_cancellations_by_organizer, suspension_preview
from marketplace.payments.policy import payout_account_problem, payout_account_state, requirements_text
from marketplace.payments.selectors import payout_list_waiting_for_account
from marketplace.vendors.models import (
    REASON_OPTIONAL,
    VERIFICATION_DECISIONS,
    Vendor,
    VerificationDecision,
    VerificationStatus,
)
from marketplace.vendors.selectors import (
    vendor_list_for_backoffice,
    vendor_list_for_queue,
    vendor_service_list_all,
    vendor_verification_history,
)
from marketplace.vendors.services import vendor_verify

from .base import BackOfficeIndexView, BackOfficeInspectView, ReasonActionView
from .vendor_documents import DocumentsColumn, PayoutAccountColumn, documents_context


class VendorDecision:
    """How the back office presents one verification decision."""

    def __init__(self, *, decision, url_name, reason_label, help_text, classname, done):
        self.decision = decision
        self.url_name = url_name
        self.label = decision.label
        self.reason_required = decision not in REASON_OPTIONAL
        self.reason_label = reason_label
        self.help_text = help_text
        self.classname = classname
        self.done = done


DECISIONS = {
    VerificationDecision.VERIFIED: VendorDecision(
        decision=VerificationDecision.VERIFIED,
        url_name="verify",
        reason_label="Note",
        help_text="Optional: a note for the organizer, emailed with the decision and kept in the audit log.",
        classname="button",
        done="verified",
    ),
    VerificationDecision.REINSTATED: VendorDecision(
        decision=VerificationDecision.REINSTATED,
        url_name="reinstate",
        reason_label="Reason",
        help_text="Required. The organizer is emailed this reason; their listings come back.",
        classname="button",
        done="reinstated",
    ),
    VerificationDecision.REJECTED: VendorDecision(
        decision=VerificationDecision.REJECTED,
        url_name="reject",
        reason_label="Reason",
        help_text="Required. The organizer is emailed and shown this reason and can correct the profile.",
        classname="button serious",
        done="rejected",
    ),
    VerificationDecision.SUSPENDED: VendorDecision(
        decision=VerificationDecision.SUSPENDED,
        url_name="suspend",
        reason_label="Reason",
        help_text="Required. The organizer is emailed and shown this reason (their customers are not).",
        classname="button serious",
        done="suspended",
    ),
}


def polygon_summary(geojson: dict | None) -> str:
    """A one-line description of the optional service-area polygon."""
    if not geojson:
        return "None: the radius alone defines the area"
    polygons = [geojson["coordinates"]] if geojson["type"] == "Polygon" else geojson["coordinates"]
    points = sum(len(ring) for polygon in polygons for ring in polygon)
    return f"{geojson['type']} of {len(polygons)} polygon(s), {points} points"


def decisions_open_to(vendor: Vendor) -> list[VendorDecision]:
    """The decisions the vendor's current status allows, in a stable order."""
    allowed = VERIFICATION_DECISIONS[vendor.verification_status]
    return [presentation for decision, presentation in DECISIONS.items() if decision in allowed]


class VendorFilterSet(WagtailFilterSet):
    verification_status = django_filters.ChoiceFilter(
        label="Verification status",
        choices=VerificationStatus.choices,
        empty_label="All",
    )
    new_bookings = django_filters.ChoiceFilter(
        label="New bookings",
        choices=[("paused", "Paused (payout account past due)"), ("taken", "Taken")],
        empty_label="All",
        method="filter_new_bookings",
    )

    documents = django_filters.ChoiceFilter(
        label="Documents",
        choices=[
            ("to_review", "To review"),
            ("expired", "Expired (or services hidden for it)"),
        ],
        empty_label="All",
        method="filter_documents",
    )

    class Meta:
        model = Vendor
        fields = []

    def filter_new_bookings(self, queryset, name, value):
        return queryset.filter(new_bookings_paused_at__isnull=value != "paused")

    def filter_documents(self, queryset, name, value):
        # The counts are annotated by vendors.selectors.vendor_list_for_queue.
        if value == "to_review":
            return queryset.filter(documents_to_review_count__gt=0)
        if value == "expired":
            return queryset.filter(Q(documents_expired_count__gt=0) | Q(documents_expired_at__isnull=False))
        return queryset


class VendorIndexView(BackOfficeIndexView):
    """The verification queue: every vendor, pending first, oldest first."""

    page_title = "Vendors"
    url_namespace = None
    filterset_class = VendorFilterSet
    search_fields = ["business_name", "city", "user__email"]

    def get_backoffice_queryset(self):
        return vendor_list_for_queue()

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "business_name", label="Business name", sort_key="business_name", get_url=self.get_inspect_url
            ),
            Column("city", label="City", sort_key="city"),
            Column("email", label="Email", accessor="user.email", sort_key="user__email"),
            StatusTagColumn(
                "verification_status",
                label="Status",
                accessor="get_verification_status_display",
                sort_key="queue_rank",
                primary=lambda vendor: vendor.verification_status == VerificationStatus.PENDING,
            ),
            DocumentsColumn("documents", label="Documents", sort_key="documents_to_review_count"),
            PayoutAccountColumn("payout_account", label="Payout account"),
            DateColumn("created_at", label="Submitted", sort_key="created_at"),
            DateColumn("verified_at", label="Verified", sort_key="verified_at"),
        ]

    def get_list_buttons(self, instance):
        buttons = []
        if self.user_has_permission(VERIFY):
            for index, decision in enumerate(decisions_open_to(instance)):
                buttons.append(
                    ListingButton(
                        decision.label,
                        url=reverse(f"{self.url_namespace}:{decision.url_name}", args=(quote(instance.pk),)),
                        priority=10 + index,
                    )
                )
        return buttons + super().get_list_buttons(instance)


class VendorInspectView(BackOfficeInspectView):
    """A vendor's file: profile, service area, services, cancellations, verification history, decisions."""

    page_title = "Vendor"
    url_namespace = None
    booking_index_url_name = None
    template_name = "backoffice/vendors/inspect.html"

    def get_backoffice_queryset(self):
        return vendor_list_for_backoffice()

    def get_page_subtitle(self):
        return self.object.business_name

    @cached_property
    def decisions(self) -> list[VendorDecision]:
        if not self.user_has_permission(VERIFY):
            return []
        return decisions_open_to(self.object)

    @cached_property
    def decision_links(self) -> list[tuple[VendorDecision, str]]:
        return [
            (decision, reverse(f"{self.url_namespace}:{decision.url_name}", args=(quote(self.object.pk),)))
            for decision in self.decisions
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        vendor = self.object
        profile = getattr(vendor, "profile", None)
        context.update(
            vendor=vendor,
            profile=profile,
            polygon_summary=polygon_summary(vendor.service_area_geojson),
            services=vendor_service_list_all(vendor=vendor),
            organizer_cancellations=booking_cancellations_by_organizer(vendor=vendor),
            history=vendor_verification_history(vendor=vendor),
            decision_links=self.decision_links,
            can_act=self.user_has_permission(VERIFY),
            is_pending=vendor.verification_status == VerificationStatus.PENDING,
            bookings_url=f"{reverse(self.booking_index_url_name)}?{urlencode({'q': vendor.business_name})}",
            payout_account=payout_account_state(profile),
            payout_problem=payout_account_problem(profile),
            requirements_due=requirements_text(profile.payout_requirements_due) if profile else [],
            requirements_past_due=requirements_text(profile.payout_requirements_past_due) if profile else [],
            waiting_payouts=list(payout_list_waiting_for_account().filter(vendor=vendor)),
        )
        context.update(
            documents_context(vendor, can_review=self.user_has_permission(VERIFY), url_namespace=self.url_namespace)
        )
        return context


class VendorDecisionView(ReasonActionView):
    """Verify, reject, suspend or reinstate a vendor through ``vendor_verify``."""

    permission_required = VERIFY
    decision: str = ""
    header_icon = "user"

    @cached_property
    def presentation(self) -> VendorDecision:
        return DECISIONS[self.decision]

    @property
    def action_label(self):
        return self.presentation.label

    @property
    def reason_required(self):
        return self.presentation.reason_required

    @property
    def reason_label(self):
        return self.presentation.reason_label

    @property
    def reason_help_text(self):
        return self.presentation.help_text

    @property
    def submit_classname(self):
        return self.presentation.classname

    def get_backoffice_queryset(self):
        return vendor_list_for_backoffice()

    @property
    def intro(self):
        if self.decision not in VERIFICATION_DECISIONS[self.object.verification_status]:
            status = self.object.get_verification_status_display().lower()
            return f"An organizer who is {status} cannot be {self.presentation.done}: submitting will change nothing."
        if self.decision == VerificationDecision.SUSPENDED:
            return f"{SUSPENSION_RULE} {self.suspension_preview.sentence}"
        return ""

    @cached_property
    def suspension_preview(self):
        return suspension_preview(vendor=self.object)

    def get_summary(self):
        vendor = self.object
        return [
            ("Business name", vendor.business_name),
            ("Email", vendor.user.email),
            ("City", vendor.city),
            ("Current status", vendor.get_verification_status_display()),
            ("Last reason given", vendor.verification_reason or "—"),
        ]

    def perform_action(self, reason: str) -> None:
        # Counted before the bookings change, for the success message.
        self.cancelling = self.suspension_preview if self.decision == VerificationDecision.SUSPENDED else None
        vendor_verify(admin=self.request.user, vendor_id=self.object.pk, decision=self.decision, reason=reason)

    def get_success_message(self) -> str:
        message = f"{self.object.business_name} is now {self.presentation.done}."
        if self.cancelling is not None:
            preview = self.cancelling
            message += (
                f" Cancelling {preview.cancelled} confirmed booking{'' if preview.cancelled == 1 else 's'}"
                f" (refunding {preview.refund_total_text} in full) and declining {preview.declined} open"
                f" request{'' if preview.declined == 1 else 's'}; each customer is emailed."
            )
        return message
