"""Forms of the dispute controls on the customer's and the organizer's booking pages.

They check only the shape of the input; which reasons a side may give, which files
are accepted and how many, and whether the step is allowed now are the dispute
domain's answers (the view shows its refusal on the form).
"""

from __future__ import annotations

from django import forms
from django.conf import settings

from marketplace.disputes.evidence import ACCEPTED
from marketplace.disputes.models import REASONS_FOR
from marketplace.disputes.services import STATEMENT_MAX_LENGTH


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by the dispute domain, by its bytes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,.pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


def files_help() -> str:
    return (
        f"{ACCEPTED}, up to {settings.DISPUTE_EVIDENCE_MAX_MB:g} MB each; "
        f"at most {settings.DISPUTE_EVIDENCE_MAX_FILES} files from each side in all."
    )


def _statement(label: str, placeholder: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=STATEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": placeholder}),
    )


class DisputeOpenForm(forms.Form):
    reason = forms.ChoiceField(label="What went wrong?")
    description = _statement("Tell us what happened", "What was agreed, what happened, what you would like.")
    files = MultipleFileField(label="Photos or documents")

    def __init__(self, *args, side: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "Choose a reason")] + [
            (reason.value, reason.label) for reason in REASONS_FOR[side]
        ]
        self.fields["files"].help_text = files_help()


class DisputeResponseForm(forms.Form):
    statement = _statement("Your answer", "Your side of what happened.")
    files = MultipleFileField(label="Photos or documents")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = files_help()


class EvidenceForm(forms.Form):
    files = MultipleFileField(label="Add photos or documents", required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = files_help()
