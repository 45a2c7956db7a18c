"""The organizer's documents: what staff have accepted, what waits for review, what expires, and the upload form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.core.errors import DomainError, NotFound
from marketplace.vendors.documents import vendor_document_upload
from marketplace.vendors.downloads import vendor_document_response
from marketplace.vendors.policy import REQUIRED_KINDS, document_state, kinds_text, missing_kinds, vendor_today
from marketplace.vendors.selectors import vendor_document_get_for_user, vendor_document_list_for_vendor

from ..document_forms import VendorDocumentForm
from .common import show_domain_error
from .vendor_area import with_vendor

UPLOAD_FIELDS = {"files": "file"}


@with_vendor
@require_http_methods(["GET", "POST"])
def documents(request, vendor):
    form = VendorDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            vendor_document_upload(
                user=request.user,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                expires_on=form.cleaned_data["expires_on"],
                file=upload,
                name=upload.name,
            )
        except DomainError as error:
            show_domain_error(form, error, fields=UPLOAD_FIELDS)
        else:
            messages.success(request, "Thank you: your document is uploaded and waits for our review.")
            return redirect("storefront:vendor_documents")
    today = vendor_today(vendor)
    documents = list(vendor_document_list_for_vendor(vendor=vendor))
    missing = missing_kinds(documents, today=today)
    return render(
        request,
        "storefront/vendor/documents.html",
        {
            "vendor": vendor,
            "nav": "documents",
            "form": form,
            "rows": [(document, document_state(document, today=today)) for document in documents],
            "missing": kinds_text(missing),
            "required": kinds_text(REQUIRED_KINDS),
            "reminder_days": settings.VENDOR_DOCUMENT_REMINDER_DAYS,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@with_vendor
@require_GET
def document_download(request, vendor, document_id: int):
    """The organizer's own document; 404 for anyone else's."""
    try:
        document = vendor_document_get_for_user(user=request.user, document_id=document_id)
    except NotFound as error:
        raise Http404(error.message) from error
    if document.vendor_id != vendor.pk:
        raise Http404("Document not found.")
    return vendor_document_response(document)
