"""The organizer's payout account: its state, setting it up at the gateway, and coming back from it.

Also the local stand-in of Stripe's hosted onboarding, served only while the local gateway
is in use (``PAYMENTS_GATEWAY=local``): where an account link of the local gateway leads.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.core.errors import DomainError
from marketplace.payments.gateways.local import (
    ONBOARDING_OUTCOMES,
    OnboardingLinkInvalid,
    local_gateway_onboarding_read,
    local_gateway_onboarding_submit,
)
from marketplace.payments.models import MovementState
from marketplace.payments.payout_accounts import payout_account_link, payout_account_refresh
from marketplace.payments.policy import (
    PayoutAccountState,
    payout_account_problem,
    payout_account_state,
    payout_waiting_text,
    requirements_text,
)
from marketplace.payments.selectors import payout_list_for_vendor

from .vendor_area import with_vendor


def _onboarding_urls(request) -> dict[str, str]:
    return {
        "refresh_url": request.build_absolute_uri(reverse("storefront:vendor_payout_account_refresh")),
        "return_url": request.build_absolute_uri(reverse("storefront:vendor_payout_account_return")),
    }


@with_vendor
def payout_account(request, vendor):
    """Where the organizer's payout account stands, what it still needs, and the payouts waiting for it."""
    profile = getattr(vendor, "profile", None)
    state = payout_account_state(profile)
    payouts = list(payout_list_for_vendor(vendor=vendor)[:20])
    return render(
        request,
        "storefront/vendor/payout_account.html",
        {
            "vendor": vendor,
            "profile": profile,
            "state": state,
            "states": PayoutAccountState,
            "problem": payout_account_problem(profile),
            "due": requirements_text(profile.payout_requirements_due) if profile else [],
            "past_due": requirements_text(profile.payout_requirements_past_due) if profile else [],
            "payouts": [(payout, payout_waiting_text(payout, profile)) for payout in payouts],
            "waiting_count": sum(1 for payout in payouts if payout.state == MovementState.WAITING),
            "nav": "payouts",
        },
    )


def _to_onboarding(request):
    try:
        url = payout_account_link(user=request.user, **_onboarding_urls(request))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("storefront:vendor_payout_account")
    return HttpResponseRedirect(url)


@with_vendor
@require_POST
def payout_account_setup(request, vendor):
    """Set up payouts (or continue): off to the gateway's onboarding, opening the account first if needed."""
    return _to_onboarding(request)


@with_vendor
def payout_account_return(request, vendor):
    """Back from the gateway's onboarding: read the account as it stands now, and say so."""
    try:
        profile = payout_account_refresh(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("storefront:vendor_payout_account")
    state = payout_account_state(profile)
    if state == PayoutAccountState.ENABLED:
        messages.success(request, "Your payout account is ready: payouts go out to it.")
    else:
        messages.info(request, f"Your payout account is saved. {payout_account_problem(profile)}")
    return redirect("storefront:vendor_payout_account")


@with_vendor
def payout_account_refresh_link(request, vendor):
    """The gateway's link expired or was used already: make a new one and go back to it."""
    if not (getattr(vendor, "profile", None) and vendor.profile.stripe_account_id):
        return redirect("storefront:vendor_payout_account")
    return _to_onboarding(request)


# --- The local gateway's stand-in for Stripe's hosted onboarding ----------------------------------


@require_http_methods(["GET", "POST"])
def local_gateway_onboarding(request, token: str):
    """What Stripe's hosted onboarding does, for the embedded default: the organizer "submits details".

    Only while the local gateway is in use; the signed link is the credential, as Stripe's is.
    """
    if settings.PAYMENTS_GATEWAY != "local":
        raise Http404("The local gateway is not in use.")
    try:
        link = local_gateway_onboarding_read(token)
    except OnboardingLinkInvalid as invalid:
        if invalid.refresh_url:
            return HttpResponseRedirect(invalid.refresh_url)
        raise Http404(str(invalid)) from None
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in ONBOARDING_OUTCOMES:
            return render(
                request,
                "storefront/local_gateway_onboarding.html",
                {"link": link, "error": "Choose one of the buttons."},
                status=400,
            )
        try:
            local_gateway_onboarding_submit(token, outcome=outcome)
        except OnboardingLinkInvalid as invalid:  # expired while the page was open: as Stripe, to refresh_url
            if invalid.refresh_url:
                return HttpResponseRedirect(invalid.refresh_url)
            raise Http404(str(invalid)) from None
        return HttpResponseRedirect(link["return_url"])
    return render(request, "storefront/local_gateway_onboarding.html", {"link": link})
