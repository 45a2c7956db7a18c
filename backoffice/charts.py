"""Bar charts drawn on the server as inline SVG: no JavaScript, no outside request, readable without colour.

A chart is one series of whole numbers (a count, or minor units of one currency) over
consecutive days; the template (``backoffice/includes/bar_chart.html``) draws a bar per day,
with the scale's top value and the first and last day written out. Screen readers and
tests read the same numbers from the table printed next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

WIDTH = 600
HEIGHT = 160
TOP = 16  # room for the scale's label
BOTTOM = 20  # room for the first and last day
LEFT = 4
BAR_GAP = 2


@dataclass(frozen=True)
class Bar:
    day: date
    value: int
    label: str  # the value as people read it ("3 bookings", "$1,250.00")
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str  # what the aria-label says: the series, the period, the total
    bars: list[Bar]
    top_label: str  # the value the full height stands for
    width: int = WIDTH
    height: int = HEIGHT
    baseline_y: float = HEIGHT - BOTTOM
    first_day_label: str = ""
    last_day_label: str = ""
    label_y: float = HEIGHT - 4


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (1 for nothing),
    so the scale reads as a round number."""
    if value <= 1:
        return 1
    power = 1
    while power * 10 < value:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return int(step * power)
    return 10 * power


def bar_chart(
    *,
    title: str,
    series: list[tuple[date, int]],
    label: Callable[[int], str],
    total_label: str,
) -> BarChart:
    """``series``: (day, value) for consecutive days, oldest first; ``label`` words a value."""
    top = nice_ceiling(max((value for _, value in series), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / max(len(series), 1)
    bars = []
    for index, (day, value) in enumerate(series):
        height = plot_height * value / top
        bars.append(
            Bar(
                day=day,
                value=value,
                label=label(value),
                x=round(LEFT + index * slot + BAR_GAP / 2, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(slot - BAR_GAP, 2),
                height=round(height, 2),
            )
        )
    first, last = (series[0][0], series[-1][0]) if series else (None, None)
    return BarChart(
        title=title,
        description=f"{title}, {first:%b %-d} to {last:%b %-d}: {total_label} in all." if series else title,
        bars=bars,
        top_label=label(top),
        first_day_label=f"{first:%b %-d}" if first else "",
        last_day_label=f"{last:%b %-d}" if last else "",
    )
