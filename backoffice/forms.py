"""Forms of the back office. Every admin action asks why; the answer goes to the audit log."""

from decimal import Decimal

from django import forms
from django.conf import settings
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from marketplace.accounts.errors import InvalidCredentials
from marketplace.accounts.services import user_authenticate
from marketplace.catalog.limits import CATEGORY_NAME_MAX_LENGTH, MAX_PRICE_MINOR
from marketplace.core.errors import DomainError
from marketplace.core.forms import AmountField

REASON_MAX_LENGTH = 2000


class ReasonForm(forms.Form):
    """The reason (or note) an admin gives for an action.

    ``required`` decides whether it may be left blank: rejecting, suspending or
    reinstating a vendor must say why (the vendor is emailed it); verifying takes an
    optional note.
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
    field_order = ["name", "commission_percent", "minimum_fee", "position", "is_active", "reason"]

    def __init__(self, *args, editing: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        currency = settings.MARKETPLACE_CURRENCY
        # Typed in the currency's main unit like every price (5.00 dollars, 500 yen); cleaned to minor units.
        self.fields["minimum_fee"] = AmountField(
            currency=currency,
            required=False,
            min_minor=0,
            max_minor=MAX_PRICE_MINOR,
            label=f"Minimum fee ({currency})",
            help_text="The least the platform keeps of a booking, never more than its price. "
            "Empty: the platform default. Applies to payments from now on.",
        )
        self.order_fields(self.field_order)
        if not editing:
            del self.fields["is_active"]

    def category_values(self) -> dict:
        """The cleaned fields in the shape the catalog services take: basis points and minor units."""
        data = self.cleaned_data
        percent = data["commission_percent"]
        values = {
            "name": data["name"],
            "commission_bps": None if percent is None else int(percent * 100),
            "minimum_fee_minor": data["minimum_fee"],
            "position": data["position"],
        }
        if "is_active" in self.fields:
            values["is_active"] = data["is_active"]
        return values


class AdminLoginForm(WagtailLoginForm):
    """The Wagtail admin's sign-in (WAGTAILADMIN_USER_LOGIN_FORM), under the storefront's limits.

    The password is checked by the accounts service, so failed attempts count against
    the same per-account and per-address limits as the storefront's and the API's, and
    an account locked out there is locked out here. A user who may not enter the admin
    (customers, organizers) is refused before any session exists, instead of being
    signed in and then turned away by the admin while the session works on the storefront.
    """

    error_messages = {
        **WagtailLoginForm.error_messages,
        "no_admin_access": "This account cannot open the admin. Customers and organizers sign in on the storefront.",
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                user = user_authenticate(request=self.request, email=email, password=password)
            except InvalidCredentials:
                raise self.get_invalid_login_error() from None
            except DomainError as error:
                raise forms.ValidationError(error.message, code=error.code) from None
            self.confirm_login_allowed(user)
            self.user_cache = user
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.has_perm("wagtailadmin.access_admin"):
            raise forms.ValidationError(self.error_messages["no_admin_access"], code="no_admin_access")
