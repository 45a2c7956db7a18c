"""Organizers' payout accounts: onboarding at the gateway, and what the gateway says of them.

The gateway keeps the account (Stripe: a Connect Express account; the embedded default:
a ``LocalGatewayAccount``); the organizer completes it on the gateway's own pages, reached
through a one-time account link. What the gateway reports (``AccountStatus``: from an
``account.updated`` webhook, or asked when the organizer comes back from onboarding) is
applied by one service, ``payout_account_sync``, which:

- keeps the organizer's ``VendorProfile`` current (payouts enabled, details submitted,
  requirements due and past due, the disabled reason), never letting an older report
  overwrite a newer one;
- pauses new bookings (``Vendor.new_bookings_paused_at`` and its reason) while
  requirements the organizer once met are past due, and resumes them when they are met;
  verification is the admins' and is never touched;
- sends the payouts that waited for the account (``MovementState.WAITING``) once it can
  receive them.

As everywhere in payments, the gateway is called with no transaction open, and its
answer applied in a transaction of its own under row locks.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.core.audit import audit_log
from marketplace.core.db import unit_of_work
from marketplace.core.jobs import enqueue
from marketplace.vendors.errors import NotAVendor, NoVendorProfile, VendorNotVerified
from marketplace.vendors.models import Vendor, VendorProfile

from .errors import NoPayoutAccount, PaymentProviderUnavailable
from .gateways import GatewayTimeout, GatewayUnavailable, assert_outside_transaction, get_gateway
from .gateways.base import AccountStatus
from .models import MovementState, Payout
from .policy import new_bookings_pause_reason, payout_account_can_receive


def _organizer(user: User) -> Vendor:
    if not getattr(user, "is_authenticated", False) or not user.is_vendor:
        raise NotAVendor("Only organizer accounts have a payout account.")
    vendor = Vendor.objects.select_related("profile", "user").filter(user=user).first()
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet: create it first.")
    return vendor


def payout_account_for_user(*, user: User) -> VendorProfile:
    """The organizer's profile with their payout account; NoPayoutAccount (404) when none is set up."""
    vendor = _organizer(user)
    profile = getattr(vendor, "profile", None)
    if profile is None or not profile.stripe_account_id:
        raise NoPayoutAccount("You have not set up a payout account yet: start with “Set up payouts”.")
    return profile


def _account_key(vendor: Vendor) -> str:
    """One account per organizer: a retry of the opening returns the same account."""
    return f"vendor-{vendor.pk}:payout-account"


def _provider_call(call):
    assert_outside_transaction()
    try:
        return call()
    except (GatewayUnavailable, GatewayTimeout):
        raise PaymentProviderUnavailable(
            "The payment processor did not answer. Nothing changed; please try again in a moment."
        ) from None


def _now_in_whole_seconds() -> datetime:
    # Stripe stamps events in whole seconds: an event created in the second we asked counts as newer.
    return timezone.now().replace(microsecond=0)


def payout_account_open(*, user: User) -> VendorProfile:
    """Open the verified organizer's payout account at the gateway, once; returns the profile with it.

    The account is opened with an idempotency key of the organizer's row, so a retry (or
    two clicks at once) opens one account. Opened already: nothing is called.
    """
    vendor = _organizer(user)
    if not vendor.is_verified:
        raise VendorNotVerified("Your organizer profile must be verified before you set up payouts.")
    if vendor.profile.stripe_account_id:
        return vendor.profile
    gateway = get_gateway()
    status = _provider_call(
        lambda: gateway.create_account(email=user.email, country="", idempotency_key=_account_key(vendor))
    )
    with unit_of_work():
        profile = VendorProfile.objects.select_for_update().select_related("vendor").get(vendor=vendor)
        if not profile.stripe_account_id:
            profile.stripe_account_id = status.reference
            profile.save(update_fields=["stripe_account_id", "updated_at"])
            audit_log(
                actor=user, action="vendor.payout_account_opened", target=vendor, data={"account": status.reference}
            )
    payout_account_sync(status=status, as_of=_now_in_whole_seconds(), source="account opened")
    profile.refresh_from_db()
    return profile


def payout_account_link(*, user: User, refresh_url: str, return_url: str) -> str:
    """Where the organizer sets up (or continues setting up) their payout account: a one-time gateway link.

    Opens the account first when there is none. ``return_url`` is where the gateway sends
    the organizer when they are done (``payout_account_refresh`` then reads the account);
    ``refresh_url`` where it sends them when the link has expired (ask for a new one).
    """
    profile = payout_account_open(user=user)
    gateway = get_gateway()
    return _provider_call(
        lambda: gateway.account_link(
            account_reference=profile.stripe_account_id, refresh_url=refresh_url, return_url=return_url
        )
    )


def payout_account_refresh(*, user: User) -> VendorProfile:
    """Ask the gateway how the organizer's account stands now and apply it (their return from onboarding)."""
    profile = payout_account_for_user(user=user)
    gateway = get_gateway()
    status = _provider_call(lambda: gateway.account_status(account_reference=profile.stripe_account_id))
    payout_account_sync(status=status, as_of=_now_in_whole_seconds(), source="organizer back from onboarding")
    profile.refresh_from_db()
    return profile


def payout_account_sync(*, status: AccountStatus, as_of: datetime, source: str) -> str:
    """Apply what the gateway reports of a payout account; returns what it did, in words.

    ``as_of`` is when the gateway reported it (the event's creation, or when we asked): a
    report older than the one applied last changes nothing. Safe to run twice.
    """
    ids = (
        VendorProfile.objects.filter(stripe_account_id=status.reference).values_list("pk", "vendor_id").first()
        if status.reference
        else None
    )
    if ids is None:
        return f"Account {status.reference or '(no id)'} is not an organizer's: another system's object."
    profile_id, vendor_id = ids
    with unit_of_work():
        # The vendor first, then its profile: the order every service that locks both uses.
        vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
        profile = VendorProfile.objects.select_for_update().get(pk=profile_id)
        if profile.payout_account_synced_at is not None and as_of < profile.payout_account_synced_at:
            return f"A newer report of {status.reference} was applied already: this older one changes nothing."
        notes = [f"Account {status.reference} synced ({source})."]
        was_enabled = profile.payouts_enabled
        profile.payouts_enabled = status.payouts_enabled
        profile.payout_details_submitted = status.details_submitted
        profile.payout_requirements_due = list(status.requirements_due)
        profile.payout_requirements_past_due = list(status.requirements_past_due)
        profile.payout_disabled_reason = status.disabled_reason[:64]
        profile.payout_account_synced_at = as_of
        profile.save()
        if was_enabled != status.payouts_enabled:
            audit_log(
                actor=None,
                action="vendor.payouts_enabled" if status.payouts_enabled else "vendor.payouts_disabled",
                target=vendor,
                reason=source,
                data={"account": status.reference},
            )
            notes.append(f"Payouts {'enabled' if status.payouts_enabled else 'disabled'}.")
        notes.append(_new_bookings_pause_sync(vendor, reason=new_bookings_pause_reason(status), source=source))
        if payout_account_can_receive(profile):
            notes.append(_payouts_send_waiting(vendor, destination=profile.stripe_account_id))
    return " ".join(note for note in notes if note)


def _new_bookings_pause_sync(vendor: Vendor, *, reason: str, source: str) -> str:
    """Pause new bookings for ``reason``, or resume them when it is empty. The vendor row is locked."""
    if reason and reason != vendor.new_bookings_paused_reason:
        newly = vendor.new_bookings_paused_at is None
        vendor.new_bookings_paused_at = vendor.new_bookings_paused_at or timezone.now()
        vendor.new_bookings_paused_reason = reason
        vendor.save(update_fields=["new_bookings_paused_at", "new_bookings_paused_reason", "updated_at"])
        entry = audit_log(
            actor=None, action="vendor.new_bookings_paused", target=vendor, reason=reason, data={"by": source}
        )
        enqueue("marketplace.notifications.tasks.send_vendor_notification", vendor.pk, entry.pk)
        return "New bookings paused." if newly else "New bookings stay paused (reason updated)."
    if not reason and vendor.new_bookings_paused_at is not None:
        vendor.new_bookings_paused_at = None
        vendor.new_bookings_paused_reason = ""
        vendor.save(update_fields=["new_bookings_paused_at", "new_bookings_paused_reason", "updated_at"])
        entry = audit_log(
            actor=None,
            action="vendor.new_bookings_resumed",
            target=vendor,
            reason="The payout account's past-due information was provided.",
            data={"by": source},
        )
        enqueue("marketplace.notifications.tasks.send_vendor_notification", vendor.pk, entry.pk)
        return "New bookings resumed."
    return ""


def _payouts_send_waiting(vendor: Vendor, *, destination: str) -> str:
    """The account can receive: the organizer's waiting payouts get it as destination and are queued."""
    waiting = list(
        Payout.objects.select_for_update()
        .filter(vendor=vendor, state=MovementState.WAITING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not waiting:
        return ""
    Payout.objects.filter(pk__in=waiting).update(state=MovementState.PENDING, destination=destination)
    audit_log(
        actor=None,
        action="vendor.waiting_payouts_sent",
        target=vendor,
        data={"payouts": waiting, "account": destination},
    )
    size = settings.PAYMENTS_PAYOUT_BATCH_SIZE
    for start in range(0, len(waiting), size):
        enqueue("marketplace.payments.tasks.payouts_execute", waiting[start : start + size])
    return f"{len(waiting)} waiting payout(s) queued."
