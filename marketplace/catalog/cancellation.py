"""Cancellation policies: what a customer gets back when they call a booking off.

An organizer picks one preset per service. When a booking is made, the preset's
terms are copied onto it (``Booking.cancellation_terms``), so a later change of the
service's policy, or of a preset here, never changes the terms of a booking already
made. The booking policy reads the booking's copy (``bookings.policy.cancellation_refund``).

Terms are plain data, kept as JSON on the booking:

- ``refund_tiers``: ``[[hours_before_start, refund_percent], ...]`` from the earliest
  tier to the latest; a customer who cancels at least ``hours_before_start`` hours
  before the start gets ``refund_percent`` of what they paid back. The last tier is
  always ``[0, ...]``.
- ``reschedule_hours``: how many hours before the start the customer may still move
  the booking to another slot.
"""

from __future__ import annotations

from django.db import models


class CancellationPolicy(models.TextChoices):
    FLEXIBLE = "flexible", "Flexible"
    MODERATE = "moderate", "Moderate"
    STRICT = "strict", "Strict"


DEFAULT_POLICY = CancellationPolicy.MODERATE

PRESETS: dict[str, dict] = {
    CancellationPolicy.FLEXIBLE: {"refund_tiers": [[24, 100], [0, 50]], "reschedule_hours": 12},
    CancellationPolicy.MODERATE: {"refund_tiers": [[72, 100], [24, 50], [0, 0]], "reschedule_hours": 24},
    CancellationPolicy.STRICT: {"refund_tiers": [[168, 100], [72, 50], [0, 0]], "reschedule_hours": 72},
}


def cancellation_terms(policy: str) -> dict:
    """The terms a booking of a service with this policy is made on (a fresh copy)."""
    preset = PRESETS[policy]
    return {
        "policy": str(policy),
        "refund_tiers": [list(tier) for tier in preset["refund_tiers"]],
        "reschedule_hours": preset["reschedule_hours"],
    }


def refund_percent(terms: dict, *, hours_before_start: float) -> int:
    """The percentage of the price refunded to a customer who cancels this many hours before the start."""
    for hours, percent in terms["refund_tiers"]:
        if hours_before_start >= hours:
            return percent
    return 0  # after the start: nothing (the booking policy refuses a customer's cancellation by then)


def hours_text(hours: int) -> str:
    if hours % 24 == 0 and hours >= 48:
        return f"{hours // 24} days"
    return "1 hour" if hours == 1 else f"{hours} hours"


def terms_lines(terms: dict) -> list[str]:
    """The terms in words, one line per tier, then the reschedule window."""
    lines = []
    tiers = terms["refund_tiers"]
    for index, (hours, percent) in enumerate(tiers):
        what = "a full refund" if percent == 100 else "no refund" if percent == 0 else f"a {percent}% refund"
        if hours == 0 and index == 0:
            lines.append(f"Cancel any time before the start for {what}.")
        elif hours == 0:
            lines.append(f"Cancel less than {hours_text(tiers[index - 1][0])} before the start for {what}.")
        else:
            lines.append(f"Cancel at least {hours_text(hours)} before the start for {what}.")
    lines.append(f"Reschedule up to {hours_text(terms['reschedule_hours'])} before the start.")
    lines.append("If the organizer cancels, you always get a full refund.")
    return lines


def policy_summary(policy: str) -> str:
    """One line for lists and forms, e.g. "Moderate: full refund up to 3 days before"."""
    terms = cancellation_terms(policy)
    first_hours, first_percent = terms["refund_tiers"][0]
    label = CancellationPolicy(policy).label
    if first_percent == 100 and first_hours:
        return f"{label}: full refund up to {hours_text(first_hours)} before"
    return label
