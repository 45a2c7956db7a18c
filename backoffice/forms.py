"""Forms of the back office. Every admin action asks why; the answer goes to the audit log."""

from django import forms
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from marketplace.accounts.errors import InvalidCredentials
from marketplace.accounts.services import user_authenticate
from marketplace.core.errors import DomainError

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
