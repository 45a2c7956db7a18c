from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from marketplace.accounts.models import Role
from marketplace.accounts.services import login_attempts_key
from marketplace.core.audit import audit_log


class AccountAdapter(DefaultAccountAdapter):
    """Sign-ups on the storefront get the same role rules as the API: customer or organizer, never admin."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        user.full_name = data.get("full_name", "").strip()
        user.role = data.get("role") if data.get("role") in (Role.CUSTOMER, Role.VENDOR) else Role.CUSTOMER
        if commit:
            user.save()
            audit_log(actor=user, action="user.registered", target=user, data={"role": user.role, "via": "storefront"})
        return user

    def _get_login_attempts_cache_key(self, request, **credentials):
        """One failed-login count per account, whichever host or face the attempt came through."""
        return login_attempts_key(credentials.get("email", ""))

    def get_signup_redirect_url(self, request):
        """New organizers go straight to their profile form; customers to where they were going."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.role == Role.VENDOR:
            return reverse("storefront:vendor_profile")
        return super().get_signup_redirect_url(request)
