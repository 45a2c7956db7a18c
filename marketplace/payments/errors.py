"""Error codes of payments and escrow (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict, PaymentFailed


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


class RefundExceedsCharge(PaymentFailed):
    """The refund is larger than what is left of the charge."""

    code = "refund_exceeds_charge"
