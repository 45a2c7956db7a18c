"""The storefront's django-allauth wiring: sign-up goes through the accounts service; emails name the site."""

from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse
from django.utils.encoding import force_str

from marketplace.accounts.models import Role
from marketplace.accounts.services import login_attempts_key, user_register


@dataclass(frozen=True)
class EmailSite:
    """What allauth's email templates call ``current_site``: the site's name, and the host its links use."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    """Storefront sign-ups are made by user_register, like API sign-ups: the same rules and audit entry."""

    def save_user(self, request, user, form, commit=True):
        """Create the account with the accounts service, and return it (allauth uses the returned user).

        allauth's unsaved ``user`` is not used. The service always saves, whatever
        ``commit`` says: only allauth's social sign-up passes False, and it is not installed.
        A refusal (a DomainError, e.g. an email taken by a sign-up that won a race)
        propagates to storefront.views.accounts.SignupView, which shows it on the form.
        """
        data = form.cleaned_data
        return user_register(
            email=data.get("email", ""),
            password=data.get("password1", ""),
            role=data.get("role", ""),
            full_name=data.get("full_name", ""),
            via="storefront",
        )

    def send_mail(self, template_prefix, email, context):
        """allauth's emails say SITE_NAME ("Tidy Nest") where they would say the request's host.

        Without django.contrib.sites, allauth's ``current_site`` is the request's host for
        both its name and its domain. Only the name changes: the links in the emails
        (confirm, reset, sign up) are built from the request, and the domain the text
        shows stays the host they point to.
        """
        host = get_current_site(allauth_context.request).domain
        super().send_mail(template_prefix, email, {"current_site": EmailSite(settings.SITE_NAME, host), **context})

    def format_email_subject(self, subject):
        return f"[{settings.SITE_NAME}] {force_str(subject)}"

    def _get_login_attempts_cache_key(self, request, **credentials):
        """One failed-login count per account, whichever host or face the attempt came through."""
        return login_attempts_key(credentials.get("email", ""))

    def get_signup_redirect_url(self, request):
        """New organizers go straight to their profile form; customers to where they were going."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.role == Role.VENDOR:
            return reverse("storefront:vendor_profile")
        return super().get_signup_redirect_url(request)


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form (with storefront.forms.SignupExtraForm's fields), saved by the accounts service.

    allauth's own ``save`` would record the email address after ``save_user``
    (``setup_user_email``, which insists that none exists yet); user_register already
    recorded it, exactly as for an API sign-up, so that step is left out. (It also
    honours an address verified earlier in the session, which only social sign-ups
    and invitations stash; neither exists here.)
    """

    def save(self, request):
        if self.account_already_exists:
            raise ValueError(self.cleaned_data.get("email"))
        adapter = get_adapter(request)
        user = adapter.save_user(request, adapter.new_user(request), self)
        self.custom_signup(request, user)
        return user
