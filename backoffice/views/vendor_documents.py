"""Organizers' documents in the back office: the queue's counts, a vendor's documents, downloads, Accept and Reject.

Kept apart from the verification decisions (``vendors.py``): a document's review is its own
service (``vendors.documents.vendor_document_review``), with its own reason and email.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.functional import cached_property
from django.views import View
from wagtail.admin.ui.tables import Column

from backoffice.permissions import VERIFY
from marketplace.core.errors import NotFound
from marketplace.payments.policy import payout_account_state
from marketplace.vendors.documents import vendor_document_review
from marketplace.vendors.downloads import vendor_document_response
from marketplace.vendors.models import DocumentStatus, Vendor, VendorDocument
from marketplace.vendors.policy import document_state, documents_summary, missing_kinds, vendor_today
from marketplace.vendors.selectors import vendor_document_get_for_user, vendor_document_list_for_vendor

from .base import BackOfficePermissionMixin, ReasonActionView


class DocumentsColumn(Column):
    """ "2 accepted, 1 to review, 1 expired", from the counts the queue's selector annotates."""

    def get_value(self, instance):
        return documents_summary(
            accepted=instance.documents_accepted_count,
            to_review=instance.documents_to_review_count,
            expired=instance.documents_expired_count,
        )


class PayoutAccountColumn(Column):
    """Where the organizer's payout account stands (Stripe onboarding), as the inspect page says it."""

    def get_value(self, instance):
        return payout_account_state(getattr(instance, "profile", None)).label


def document_rows(vendor: Vendor, *, can_review: bool, url_namespace: str) -> list[dict]:
    """Each of the vendor's documents with its state in words and, for reviewers, its download and actions."""
    today = vendor_today(vendor)
    rows = []
    for document in vendor_document_list_for_vendor(vendor=vendor):
        reviewable = can_review and document.can_be_reviewed()
        rows.append(
            {
                "document": document,
                "state": document_state(document, today=today),
                "download_url": reverse(f"{url_namespace}:document_file", args=(document.pk,)) if can_review else "",
                "accept_url": reverse(f"{url_namespace}:document_accept", args=(document.pk,)) if reviewable else "",
                "reject_url": reverse(f"{url_namespace}:document_reject", args=(document.pk,)) if reviewable else "",
            }
        )
    return rows


def documents_context(vendor: Vendor, *, can_review: bool, url_namespace: str) -> dict:
    rows = document_rows(vendor, can_review=can_review, url_namespace=url_namespace)
    missing = missing_kinds([row["document"] for row in rows], today=vendor_today(vendor))
    return {
        "document_rows": rows,
        "documents_missing": [kind.label for kind in missing] if missing else [],
    }


class DocumentReviewView(ReasonActionView):
    """Accept or reject one document through ``vendor_document_review``; a rejection's reason is emailed."""

    model = Vendor  # the vendor's back-office policy: reviewing needs VERIFY
    permission_required = VERIFY
    decision: str = ""
    header_icon = "doc-full"
    vendor_inspect_url_name = None

    def get_backoffice_queryset(self):
        return VendorDocument.objects.select_related("vendor__user")

    @cached_property
    def is_rejection(self) -> bool:
        return self.decision == DocumentStatus.REJECTED

    @property
    def action_label(self):
        return "Reject document" if self.is_rejection else "Accept document"

    @property
    def reason_required(self):
        return self.is_rejection

    @property
    def reason_label(self):
        return "Reason" if self.is_rejection else "Note"

    @property
    def reason_help_text(self):
        if self.is_rejection:
            return "Required. The organizer is emailed this reason and can upload a corrected document."
        return "Optional: what you checked. Kept in the audit log."

    @property
    def submit_classname(self):
        return "button serious" if self.is_rejection else "button"

    @property
    def intro(self):
        if not self.object.can_be_reviewed():
            return (
                f"This document is already {self.object.get_status_display().lower()}: submitting will change nothing."
            )
        return ""

    def get_object_url(self) -> str:
        return reverse(self.vendor_inspect_url_name, args=(self.object.vendor_id,))

    def get_breadcrumbs_items(self):
        items = [
            {"url": reverse(self.index_url_name), "label": self.index_label},
            {"url": self.get_object_url(), "label": str(self.object.vendor)},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]
        return self.breadcrumbs_items + items

    def get_summary(self):
        document = self.object
        return [
            ("Organizer", document.vendor.business_name),
            ("Kind", document.get_kind_display()),
            ("Title", document.title),
            ("Expires", document.expires_on.strftime("%d %b %Y") if document.expires_on else "Does not expire"),
            ("File", f"{document.original_name} ({document.content_type})"),
            ("Status", document_state(document, today=vendor_today(document.vendor)).label),
        ]

    def perform_action(self, reason: str) -> None:
        vendor_document_review(
            admin=self.request.user, document_id=self.object.pk, decision=self.decision, reason=reason
        )

    def get_success_message(self) -> str:
        verb = "rejected" if self.is_rejection else "accepted"
        return f"{self.object} of {self.object.vendor.business_name} is {verb}; the organizer is emailed."


class DocumentDownloadView(BackOfficePermissionMixin, View):
    """A document's file for staff who verify organizers, with the same safe headers as everywhere else."""

    model = Vendor
    permission_required = VERIFY

    def get(self, request, document_id: int):
        try:
            document = vendor_document_get_for_user(user=request.user, document_id=document_id)
        except NotFound as error:
            raise Http404(error.message) from error
        return vendor_document_response(document)
