"""Error codes of payments and escrow (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict, DomainError, NotFound, PaymentFailed, ValidationFailed


class AlreadyPaid(Conflict):
    """The booking is already paid."""

    code = "already_paid"


class PaymentNotHeld(Conflict):
    """There is no payment held in escrow for this booking (not paid, or already released or refunded)."""

    code = "payment_not_held"


class AlreadyReleased(Conflict):
    """The booking's escrow was already released to the organizer."""

    code = "already_released"


class BookingNotCompleted(Conflict):
    """The booking is not completed yet: its escrow cannot be released and it cannot be reviewed."""

    code = "booking_not_completed"


class PayoutNeedsApproval(Conflict):
    """The payout waits for an admin's approval (a large amount, or an organizer flagged for review)."""

    code = "payout_needs_approval"


class InvalidPaymentMethod(PaymentFailed):
    """The payment method is not one the gateway knows."""

    code = "invalid_payment_method"


class CardDeclined(PaymentFailed):
    """The customer's bank declined the payment; nothing was charged."""

    code = "card_declined"


class AmountTooSmall(PaymentFailed):
    """The amount is zero or below the gateway's minimum charge."""

    code = "amount_too_small"


class ChargeNotFound(PaymentFailed):
    """The gateway has no record of the charge to refund."""

    code = "charge_not_found"


class ChargeNotCaptured(PaymentFailed):
    """The payment is only authorised (or was cancelled): there is nothing captured to refund yet."""

    code = "charge_not_captured"


class ChargeNotCapturable(PaymentFailed):
    """The authorisation can no longer be captured: it was cancelled, it expired, or the bank refused."""

    code = "charge_not_capturable"


class ChargeAlreadyCaptured(PaymentFailed):
    """The payment was captured, so its authorisation cannot be cancelled: refund it instead."""

    code = "charge_already_captured"


class AuthenticationFailed(PaymentFailed):
    """The customer did not pass their bank's authentication (3-D Secure); nothing was charged."""

    code = "authentication_failed"


class RefundExceedsCharge(PaymentFailed):
    """The refund is larger than what is left of the charge."""

    code = "refund_exceeds_charge"


class RefundDeclined(PaymentFailed):
    """The payment processor refused the refund."""

    code = "refund_declined"


class TransferDeclined(PaymentFailed):
    """The organizer's payout account refused the transfer."""

    code = "transfer_declined"


class TransferNotFound(PaymentFailed):
    """The gateway has no record of the transfer to reverse."""

    code = "transfer_not_found"


class ReversalExceedsTransfer(PaymentFailed):
    """The reversal is larger than what is left of the transfer."""

    code = "reversal_exceeds_transfer"


class ReversalDeclined(PaymentFailed):
    """The organizer's account could not give the transfer back (too little balance)."""

    code = "reversal_declined"


class PaymentProcessing(Conflict):
    """The payment provider has not confirmed the payment yet; it is finished automatically. Do not pay again."""

    code = "payment_processing"


class PaymentNotForBooking(ValidationFailed):
    """The payment reference is not a charge of this booking (another booking's, or made up)."""

    code = "payment_not_for_booking"


class InvalidAmount(ValidationFailed):
    """The amount is zero, negative or not a whole number of minor units."""

    code = "invalid_amount"


class CurrencyMismatch(ValidationFailed):
    """The amount is in another currency than the payment."""

    code = "currency_mismatch"


class RefundTooLarge(ValidationFailed):
    """The refund is larger than what is left of the payment."""

    code = "refund_too_large"


class NothingToRefund(Conflict):
    """Nothing of this booking's payment is left to refund (never paid, or refunded in full)."""

    code = "nothing_to_refund"


class PayoutInProgress(Conflict):
    """The payout of this booking is on its way; a refund waits until it has settled."""

    code = "payout_in_progress"


class PayoutFailed(Conflict):
    """The payout of this booking failed; it must be resolved before this."""

    code = "payout_failed"


class EscrowOnHold(Conflict):
    """The escrow is held (a dispute, a chargeback or an admin) and cannot be released until the hold is lifted."""

    code = "escrow_on_hold"


class PayoutAlreadyHeld(Conflict):
    """An admin asked to hold a payout that an admin's hold already freezes."""

    code = "payout_already_held"


class NoActiveHold(Conflict):
    """The escrow has no active hold for that reason."""

    code = "no_active_hold"


class PlatformBalanceInsufficient(PaymentFailed):
    """The platform's balance at the payment processor is too low for the transfer; nothing was paid."""

    code = "platform_balance_insufficient"


class PayoutAccountNotFound(PaymentFailed):
    """The gateway has no record of the organizer's payout account."""

    code = "payout_account_not_found"


class PayoutAccountRefused(PaymentFailed):
    """The gateway refused to open or update the organizer's payout account (e.g. an unsupported country)."""

    code = "payout_account_refused"


class NoPayoutAccount(NotFound):
    """The organizer has not set up a payout account yet: start with POST /api/v1/vendors/me/payout-account/link."""

    code = "no_payout_account"


class PaymentProviderUnavailable(DomainError):
    """The payment processor could not be reached or did not answer; nothing changed here. Try again shortly."""

    code = "payment_provider_unavailable"
    status = 503


# --- Stripe webhooks (payments.gateways.stripe_webhooks, payments.webhooks) ----------------


class StripeWebhookNotConfigured(ValidationFailed):
    """No Stripe webhook signing secret is configured (STRIPE_WEBHOOK_SECRETS): no event is accepted."""

    code = "stripe_webhook_not_configured"


class StripeSignatureMissing(ValidationFailed):
    """A Stripe webhook came without its Stripe-Signature header."""

    code = "stripe_signature_missing"


class StripeSignatureInvalid(ValidationFailed):
    """The Stripe-Signature header matches the body with no configured secret (a wrong secret, or a changed body)."""

    code = "stripe_signature_invalid"


class StripeSignatureExpired(ValidationFailed):
    """The Stripe webhook's signature is older than the tolerance (STRIPE_WEBHOOK_TOLERANCE_SECONDS): a replay."""

    code = "stripe_signature_expired"


class StripeEventMalformed(ValidationFailed):
    """The signed body is not a Stripe event (not JSON, or an object without an id, a type, a date or data)."""

    code = "stripe_event_malformed"


class StripeEventTypeNotHandled(ValidationFailed):
    """The marketplace does not handle Stripe events of this type; the endpoint should not be sent them."""

    code = "stripe_event_type_not_handled"
