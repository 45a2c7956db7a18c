from django import template

from marketplace.core.money import Money

register = template.Library()


@register.filter
def debit(line) -> str:
    """A ledger line's debit side (positive amounts), blank for a credit."""
    return Money(line.amount_minor, line.currency).format() if line.amount_minor > 0 else ""


@register.filter
def credit(line) -> str:
    """A ledger line's credit side (negative amounts, shown positive), blank for a debit."""
    return Money(-line.amount_minor, line.currency).format() if line.amount_minor < 0 else ""
