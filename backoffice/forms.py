"""Forms of the back office. Every admin action asks why; the answer goes to the audit log."""

from decimal import Decimal

from django import forms

from marketplace.catalog.limits import CATEGORY_NAME_MAX_LENGTH

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


class CategoryForm(ReasonForm):
    """A category's fields, then the reason for the change (kept in the audit log)."""

    name = forms.CharField(label="Name", max_length=CATEGORY_NAME_MAX_LENGTH)
    commission_percent = forms.DecimalField(
        label="Commission (%)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        help_text="Empty: the platform default. A vendor's own rate wins over it. Applies to payments from now on.",
    )
    position = forms.IntegerField(
        label="Position", min_value=0, max_value=10000, initial=0, help_text="Lower comes first in lists and menus."
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Inactive: no new services and no place in filters; services already in it stay bookable.",
    )
    field_order = ["name", "commission_percent", "position", "is_active", "reason"]

    def __init__(self, *args, editing: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["is_active"]

    def category_values(self) -> dict:
        """The cleaned fields in the shape the catalog services take (the commission in basis points)."""
        data = self.cleaned_data
        percent = data["commission_percent"]
        values = {
            "name": data["name"],
            "commission_bps": None if percent is None else int(percent * 100),
            "position": data["position"],
        }
        if "is_active" in self.fields:
            values["is_active"] = data["is_active"]
        return values
