"""Dispute jobs (django-q2)."""

from __future__ import annotations

from .services import dispute_deadlines_run


def dispute_deadlines() -> dict[str, int]:
    """Remind the side that has not answered and send unanswered disputes to staff (scheduled every 15 minutes)."""
    return dispute_deadlines_run()
