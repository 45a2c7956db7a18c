"""The local gateway: a complete in-process stand-in for the payment processor.

It keeps its books in the database (LocalGatewayOperation), committed on their own
as a processor's would be (the money service calls it outside any transaction), and
honours idempotency keys the way Stripe does: a repeated key returns the first
result. Test payment methods follow Stripe's names: ``pm_card_visa`` and friends
succeed, ``pm_card_chargeDeclined`` and ``pm_card_chargeDeclinedInsufficientFunds``
are declined, ``pm_card_threeDSecure2Required`` asks for the customer's 3-D Secure
step, which ``local_gateway_authenticate`` plays (approved or failed). A charge made
with ``capture=False`` is only authorised until ``capture`` or ``cancel_authorization``.

Payout accounts follow Stripe Connect Express (LocalGatewayAccount): ``create_account``
opens one with Stripe's initial requirements, ``account_link`` points at a local stand-in
of Stripe's hosted onboarding (a page served only while PAYMENTS_GATEWAY is "local"),
where ``local_gateway_onboarding_submit`` completes the account, or marks its
requirements past due, and tells the marketplace as Stripe's ``account.updated`` would.
A transfer to anything but an account with payouts enabled is refused.

Tests can make any call fail (``local_gateway_faults``): ``"error"`` fails before the
gateway acts (nothing happened), ``"timeout"`` acts and then loses the answer (it
happened, the caller does not know), ``"decline"`` refuses for good.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, Sum

from marketplace.core.money import Money
from marketplace.payments.errors import (
    AmountTooSmall,
    AuthenticationFailed,
    CardDeclined,
    ChargeAlreadyCaptured,
    ChargeNotCapturable,
    ChargeNotCaptured,
    ChargeNotFound,
    InvalidPaymentMethod,
    PayoutAccountNotFound,
    RefundDeclined,
    RefundExceedsCharge,
    ReversalDeclined,
    ReversalExceedsTransfer,
    TransferDeclined,
    TransferNotFound,
)

from ..models import LocalGatewayAccount, LocalGatewayOperation
from .base import AccountStatus, GatewayObject, GatewayResult, GatewayTimeout, GatewayUnavailable, PaymentStatus

DECLINED_METHODS = {
    "pm_card_chargeDeclined": "Your card was declined.",
    "pm_card_chargeDeclinedInsufficientFunds": "Your card has insufficient funds.",
    "pm_card_chargeDeclinedExpiredCard": "Your card has expired.",
}
ACCEPTED_PREFIX = "pm_"
THREE_D_SECURE_METHODS = {"pm_card_threeDSecure2Required", "pm_card_authenticationRequired"}

# What Stripe asks of a new Express account before its first payout (an account with them
# outstanding is reported with them past due and disabled_reason "requirements.past_due").
NEW_ACCOUNT_REQUIREMENTS = ["business_profile.url", "external_account", "individual.dob.day", "tos_acceptance.date"]
# What the onboarding stand-in's "past due" button makes overdue: Stripe asking again later.
PAST_DUE_REQUIREMENTS = ["individual.verification.document"]
ONBOARDING_SALT = "payments.local_gateway.onboarding"
ONBOARDING_LINK_SECONDS = 300  # Stripe's account links expire within minutes too

Kind = LocalGatewayOperation.Kind
Status = LocalGatewayOperation.Status
DECLINES = {
    Kind.CHARGE: lambda: CardDeclined("Your card was declined."),
    Kind.REFUND: lambda: RefundDeclined("The payment processor refused the refund."),
    Kind.TRANSFER: lambda: TransferDeclined("The organizer's payout account refused the transfer."),
    Kind.REVERSAL: lambda: ReversalDeclined("The organizer's account has too little balance to reverse the transfer."),
}

# Upcoming outcomes per operation kind, consumed one per call: tests only (see local_gateway_faults).
_faults: dict[str, list[str]] = {}
FAULTS = ("error", "timeout", "decline")
FAULT_KINDS = (*Kind.values, "capture", "cancel", "account")


@contextmanager
def local_gateway_faults(**plans: list[str]) -> Iterator[dict[str, list[str]]]:
    """Make the next calls of each kind fail, e.g. ``local_gateway_faults(charge=["timeout"], transfer=["error"])``.

    Each entry is used by one call, in order; calls after the list is used up succeed.
    Yields the remaining plans, so a test can check every fault was used.
    """
    for kind, plan in plans.items():
        if kind not in FAULT_KINDS or any(fault not in FAULTS for fault in plan):
            raise ValueError(f"unknown fault plan {kind}={plan}")
    previous = dict(_faults)
    _faults.clear()
    _faults.update({kind: list(plan) for kind, plan in plans.items()})
    try:
        yield _faults
    finally:
        _faults.clear()
        _faults.update(previous)


def _next_fault(kind: str) -> str | None:
    plan = _faults.get(kind)
    return plan.pop(0) if plan else None


class LocalGateway:
    name = "local"

    def _record(self, *, kind: str, prefix: str, idempotency_key: str, amount: Money, **fields: Any) -> GatewayResult:
        fault = _next_fault(kind)
        if fault == "error":
            raise GatewayUnavailable(f"The local gateway failed before the {kind} (injected fault).")
        if fault == "decline" and not LocalGatewayOperation.objects.filter(idempotency_key=idempotency_key).exists():
            raise DECLINES[kind]()
        try:
            # A new key is the common case: insert, and read only when the key was used before. Outside a
            # transaction the INSERT commits on its own; inside one (the demo's replay) a savepoint keeps
            # the caller's transaction usable after a repeated key.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                operation = LocalGatewayOperation.objects.create(
                    kind=kind,
                    reference=f"{prefix}_local_{secrets.token_hex(10)}",
                    idempotency_key=idempotency_key,
                    amount_minor=amount.minor,
                    currency=amount.currency,
                    **fields,
                )
        except IntegrityError:
            operation = LocalGatewayOperation.objects.get(idempotency_key=idempotency_key)
            if operation.kind != kind or operation.amount_minor != amount.minor:
                raise ValueError(f"idempotency key {idempotency_key!r} was used for a different request") from None
        if fault == "timeout":
            raise GatewayTimeout(f"The local gateway did the {kind} but its answer was lost (injected fault).")
        return _result(operation)

    def charge(
        self,
        *,
        amount: Money,
        payment_method: str,
        transfer_group: str,
        idempotency_key: str,
        description: str = "",
        capture: bool = True,
    ) -> GatewayResult:
        if not payment_method or not payment_method.startswith(ACCEPTED_PREFIX):
            raise InvalidPaymentMethod("That payment method is not valid.")
        if payment_method in DECLINED_METHODS:
            raise CardDeclined(DECLINED_METHODS[payment_method])
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to charge.")
        if payment_method in THREE_D_SECURE_METHODS:
            status = Status.REQUIRES_ACTION
        else:
            status = Status.SUCCEEDED if capture else Status.AUTHORIZED
        return self._record(
            kind=Kind.CHARGE,
            prefix="ch",
            idempotency_key=idempotency_key,
            amount=amount,
            payment_method=payment_method,
            transfer_group=transfer_group,
            status=status,
            capture=capture,
        )

    def _change_charge(
        self, *, kind: str, payment_reference: str, change: Callable[[LocalGatewayOperation], None]
    ) -> GatewayResult:
        """Lock the charge and apply ``change`` to it, as the processor does in its own transaction."""
        fault = _next_fault(kind)
        if fault == "error":
            raise GatewayUnavailable(f"The local gateway failed before the {kind} (injected fault).")
        if fault == "decline":
            raise ChargeNotCapturable("The customer's bank refused to capture the payment (injected fault).")
        with transaction.atomic():
            operation = (
                LocalGatewayOperation.objects.select_for_update()
                .filter(kind=Kind.CHARGE, reference=payment_reference)
                .first()
            )
            if operation is None:
                raise ChargeNotFound("The payment does not exist.")
            change(operation)
            operation.save(update_fields=["status", "amount_minor"])
        if fault == "timeout":
            raise GatewayTimeout(f"The local gateway did the {kind} but its answer was lost (injected fault).")
        return _result(operation)

    def capture(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Capture an authorisation, all or part of it (the rest is released, as Stripe does). Twice: the same."""

        def capture(operation: LocalGatewayOperation) -> None:
            if operation.status == Status.SUCCEEDED:
                return  # already captured (a retry): the same answer
            if operation.status != Status.AUTHORIZED:
                raise ChargeNotCapturable(f"The payment is {operation.get_status_display()}; it cannot be captured.")
            if not 0 < amount.minor <= operation.amount_minor or amount.currency != operation.currency:
                raise AmountTooSmall("The amount to capture must be above zero and at most what was authorised.")
            operation.status = Status.SUCCEEDED
            operation.amount_minor = amount.minor

        return self._change_charge(kind="capture", payment_reference=payment_reference, change=capture)

    def cancel_authorization(self, *, payment_reference: str, idempotency_key: str) -> GatewayResult:
        """Release an authorisation (or a payment still waiting for 3-D Secure). Twice: the same."""

        def cancel(operation: LocalGatewayOperation) -> None:
            if operation.status == Status.SUCCEEDED:
                raise ChargeAlreadyCaptured("The payment was captured: refund it instead.")
            if operation.status in (Status.AUTHORIZED, Status.REQUIRES_ACTION):
                operation.status = Status.CANCELED

        return self._change_charge(kind="cancel", payment_reference=payment_reference, change=cancel)

    def payment_status(self, *, payment_reference: str) -> GatewayResult:
        operation = LocalGatewayOperation.objects.filter(kind=Kind.CHARGE, reference=payment_reference).first()
        if operation is None:
            raise ChargeNotFound("The payment does not exist.")
        if operation.status == Status.DECLINED:
            raise AuthenticationFailed("Your bank could not confirm the payment; nothing was charged.")
        return _result(operation)

    def transfer(
        self, *, amount: Money, destination: str, transfer_group: str, idempotency_key: str, source_reference: str = ""
    ) -> GatewayResult:
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to transfer.")
        account = LocalGatewayAccount.objects.filter(reference=destination).first()
        # Stripe refuses a transfer to an account without the transfers capability; a retry of a
        # transfer that was made returns it, whatever became of the account since.
        cannot_receive = account is None or not account.payouts_enabled
        if cannot_receive and not LocalGatewayOperation.objects.filter(idempotency_key=idempotency_key).exists():
            if account is None:
                raise PayoutAccountNotFound(f"The payout account {destination or '(none)'} does not exist.")
            raise TransferDeclined("The organizer's payout account cannot receive transfers yet.")
        return self._record(
            kind=Kind.TRANSFER,
            prefix="tr",
            idempotency_key=idempotency_key,
            amount=amount,
            destination=destination,
            transfer_group=transfer_group,
        )

    def _source_with_room(
        self,
        *,
        kind: str,
        source_kind: str,
        source_reference: str,
        amount: Money,
        idempotency_key: str,
        errors: tuple[Exception, Exception, Exception],
    ) -> LocalGatewayOperation:
        """The charge a refund returns (or the transfer a reversal takes back), once the amount fits what is left.

        ``errors``: the (not found, nothing asked, too much) refusals in this movement's words.
        """
        not_found, nothing, too_much = errors
        source = LocalGatewayOperation.objects.filter(kind=source_kind, reference=source_reference).first()
        if source is None:
            raise not_found
        if source.status != Status.SUCCEEDED:
            raise ChargeNotCaptured("The payment was not captured: there is nothing to refund.")
        if amount.minor <= 0:
            raise nothing
        taken_back = (
            LocalGatewayOperation.objects.filter(kind=kind, source_reference=source_reference)
            .exclude(idempotency_key=idempotency_key)
            .aggregate(total=Sum("amount_minor"))["total"]
            or 0
        )
        if taken_back + amount.minor > source.amount_minor:
            raise too_much
        return source

    def refund(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        self._source_with_room(
            kind=Kind.REFUND,
            source_kind=Kind.CHARGE,
            source_reference=payment_reference,
            amount=amount,
            idempotency_key=idempotency_key,
            errors=(
                ChargeNotFound("The charge to refund does not exist."),
                AmountTooSmall("Nothing to refund."),
                RefundExceedsCharge("The refund exceeds what was charged."),
            ),
        )
        return self._record(
            kind=Kind.REFUND,
            prefix="re",
            idempotency_key=idempotency_key,
            amount=amount,
            source_reference=payment_reference,
        )

    def reverse_transfer(self, *, transfer_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        transfer = self._source_with_room(
            kind=Kind.REVERSAL,
            source_kind=Kind.TRANSFER,
            source_reference=transfer_reference,
            amount=amount,
            idempotency_key=idempotency_key,
            errors=(
                TransferNotFound("The transfer to reverse does not exist."),
                AmountTooSmall("Nothing to reverse."),
                ReversalExceedsTransfer("The reversal exceeds what was transferred."),
            ),
        )
        return self._record(
            kind=Kind.REVERSAL,
            prefix="trr",
            idempotency_key=idempotency_key,
            amount=amount,
            source_reference=transfer_reference,
            destination=transfer.destination,
        )

    # --- Payout accounts (Stripe: Connect Express) -------------------------------------------

    def create_account(self, *, email: str, country: str, idempotency_key: str) -> AccountStatus:
        fault = _next_fault("account")
        if fault == "error":
            raise GatewayUnavailable("The local gateway failed before opening the account (injected fault).")
        try:
            with transaction.atomic():
                account = LocalGatewayAccount.objects.create(
                    reference=f"acct_local_{secrets.token_hex(8)}",
                    idempotency_key=idempotency_key,
                    email=email,
                    country=country or settings.STRIPE_CONNECT_COUNTRY,
                    requirements_due=NEW_ACCOUNT_REQUIREMENTS,
                    requirements_past_due=NEW_ACCOUNT_REQUIREMENTS,
                    disabled_reason="requirements.past_due",
                )
        except IntegrityError:
            account = LocalGatewayAccount.objects.get(idempotency_key=idempotency_key)  # a retry: the same account
        return _account_status(account)

    def account_link(self, *, account_reference: str, refresh_url: str, return_url: str) -> str:
        """The local onboarding page's address, signed so only this account and these URLs can be used."""
        from django.urls import reverse  # the stand-in page is served by the storefront, like Stripe's own site

        if not LocalGatewayAccount.objects.filter(reference=account_reference).exists():
            raise PayoutAccountNotFound(f"The payout account {account_reference} does not exist.")
        token = signing.dumps(
            {"account": account_reference, "refresh_url": refresh_url, "return_url": return_url}, salt=ONBOARDING_SALT
        )
        return settings.SITE_URL.rstrip("/") + reverse("storefront:local_gateway_onboarding", args=[token])

    def account_status(self, *, account_reference: str) -> AccountStatus:
        account = LocalGatewayAccount.objects.filter(reference=account_reference).first()
        if account is None:
            raise PayoutAccountNotFound(f"The payout account {account_reference} does not exist.")
        return _account_status(account)

    def _operations(self, *, created_from: datetime, created_to: datetime) -> QuerySet[LocalGatewayOperation]:
        """What moved money: a charge counts once captured (an authorisation moves nothing)."""
        return LocalGatewayOperation.objects.filter(
            created_at__gte=created_from, created_at__lt=created_to, status=Status.SUCCEEDED
        )

    def objects(self, *, created_from: datetime, created_to: datetime) -> Iterator[GatewayObject]:
        for operation in (
            self._operations(created_from=created_from, created_to=created_to)
            .order_by("created_at", "id")
            .iterator(chunk_size=2000)
        ):
            yield GatewayObject(
                reference=operation.reference,
                kind=operation.kind,
                amount=Money(operation.amount_minor, operation.currency),
                created_at=operation.created_at,
                source_reference=operation.source_reference,
            )

    def count_objects(self, *, created_from: datetime, created_to: datetime) -> int | None:
        return self._operations(created_from=created_from, created_to=created_to).count()


def _account_status(account: LocalGatewayAccount) -> AccountStatus:
    return AccountStatus(
        reference=account.reference,
        payouts_enabled=account.payouts_enabled,
        details_submitted=account.details_submitted,
        requirements_due=tuple(account.requirements_due),
        requirements_past_due=tuple(account.requirements_past_due),
        disabled_reason=account.disabled_reason,
    )


def local_gateway_account_ready(*, email: str = "") -> AccountStatus:
    """A local payout account already through onboarding, payouts enabled: for the test factories."""
    account = LocalGatewayAccount.objects.create(
        reference=f"acct_local_{secrets.token_hex(8)}",
        idempotency_key=f"ready:{secrets.token_hex(12)}",
        email=email,
        country=settings.STRIPE_CONNECT_COUNTRY,
        details_submitted=True,
        payouts_enabled=True,
    )
    return _account_status(account)


class OnboardingLinkInvalid(Exception):
    """The onboarding link was tampered with, or expired (Stripe then sends the organizer to ``refresh_url``)."""

    def __init__(self, message: str, refresh_url: str = "") -> None:
        super().__init__(message)
        self.refresh_url = refresh_url


def local_gateway_onboarding_read(token: str) -> dict:
    """The account and URLs an onboarding link was made for; raises OnboardingLinkInvalid."""
    try:
        return signing.loads(token, salt=ONBOARDING_SALT, max_age=ONBOARDING_LINK_SECONDS)
    except signing.SignatureExpired:
        try:
            expired = signing.loads(token, salt=ONBOARDING_SALT)
        except signing.BadSignature:
            expired = {}
        raise OnboardingLinkInvalid("This onboarding link has expired.", expired.get("refresh_url", "")) from None
    except signing.BadSignature:
        raise OnboardingLinkInvalid("This onboarding link is not valid.") from None


ONBOARDING_OUTCOMES = ("submit", "past_due")


def local_gateway_onboarding_token(url: str) -> str:
    """The token of a local onboarding link: what the organizer's browser follows (for the demo and benchmarks)."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def local_gateway_onboarding_submit(token: str, *, outcome: str) -> dict:
    """The organizer's step on the local stand-in of Stripe's hosted onboarding; returns the link's data.

    ``submit``: details given, requirements met, payouts enabled. ``past_due`` (for
    developers): the account asks for a document that is now overdue, so payouts stop,
    as when Stripe's verification needs more later. Either way the marketplace hears of
    it as it would from Stripe's ``account.updated``: through ``payout_account_sync``.
    """
    if outcome not in ONBOARDING_OUTCOMES:
        raise ValueError(f"unknown onboarding outcome {outcome!r}")
    link = local_gateway_onboarding_read(token)
    with transaction.atomic():
        account = LocalGatewayAccount.objects.select_for_update().filter(reference=link["account"]).first()
        if account is None:
            raise OnboardingLinkInvalid("This onboarding link is not valid.")
        account.details_submitted = True
        if outcome == "submit":
            account.payouts_enabled = True
            account.requirements_due = []
            account.requirements_past_due = []
            account.disabled_reason = ""
        else:
            account.payouts_enabled = False
            account.requirements_due = PAST_DUE_REQUIREMENTS
            account.requirements_past_due = PAST_DUE_REQUIREMENTS
            account.disabled_reason = "requirements.past_due"
        account.save()
    # Stripe would now send account.updated; the local gateway tells the same service directly.
    from ..payout_accounts import payout_account_sync

    payout_account_sync(status=_account_status(account), as_of=account.updated_at, source="local gateway")
    return link


def _result(operation: LocalGatewayOperation) -> GatewayResult:
    if operation.status == Status.REQUIRES_ACTION:
        # What the customer's browser would confirm with Stripe.js; here local_gateway_authenticate plays it.
        return GatewayResult(
            reference=operation.reference,
            status=PaymentStatus.REQUIRES_ACTION,
            client_secret=f"{operation.reference}_secret_local",
        )
    return GatewayResult(reference=operation.reference, status=operation.status)


def local_gateway_authenticate(payment_reference: str, *, approve: bool = True) -> GatewayResult:
    """The customer's 3-D Secure step for a local payment: approved (captured or authorised) or failed.

    What Stripe.js and the customer's bank do in the browser, for the embedded default
    and tests. A payment no longer waiting for it is left as it is.
    """
    with transaction.atomic():
        operation = LocalGatewayOperation.objects.select_for_update().get(kind=Kind.CHARGE, reference=payment_reference)
        if operation.status == Status.REQUIRES_ACTION:
            if approve:
                operation.status = Status.SUCCEEDED if operation.capture else Status.AUTHORIZED
            else:
                operation.status = Status.DECLINED
            operation.save(update_fields=["status"])
    return (
        _result(operation)
        if operation.status != Status.DECLINED
        else GatewayResult(reference=operation.reference, status=PaymentStatus.CANCELED)
    )
