"""Forms of the back office. Every admin action asks why; the answer goes to the audit log."""

from django import forms

REASON_MAX_LENGTH = 2000


class ReasonForm(forms.Form):
    """The reason (or note) an admin gives for an action.

    ``required`` decides whether it may be left blank: rejecting or suspending a
    vendor must say why (the vendor is shown it); verifying takes an optional note.
    """

    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, required: bool = True, label: str = "Reason", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = required
        field.label = label
        field.help_text = help_text
        if required:
            field.error_messages["required"] = f"{label} is required."
