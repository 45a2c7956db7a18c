"""The organizer's document upload form.

It checks only the shape of the input; which kinds need an expiry date, whether the date
is in the past and what a file may be (its type read from its bytes, its size) are the
vendors domain's answers (``vendors.documents.vendor_document_upload``), shown on the form.
"""

from __future__ import annotations

from django import forms
from django.conf import settings

from marketplace.vendors.documents import TITLE_MAX_LENGTH
from marketplace.vendors.models import DocumentKind
from marketplace.vendors.policy import ACCEPTED_WORDS


class VendorDocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of document", choices=DocumentKind.choices)
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX_LENGTH,
        required=False,
        help_text="For example the insurer and policy year, or the name of the certification.",
    )
    expires_on = forms.DateField(
        label="Expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day the document is valid. Required for insurance and identity documents.",
    )
    file = forms.FileField(
        label="File",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "file"
        ].help_text = f"{ACCEPTED_WORDS[0].upper()}{ACCEPTED_WORDS[1:]}, up to {settings.VENDOR_DOCUMENT_MAX_MB:g} MB."
