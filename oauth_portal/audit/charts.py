"""Daily bar charts of audit events: how a day's counts become a bar.

The admin dashboard's stacked charts and the portal's small per-application chart both use this
geometry, so a count is drawn the same way on both; each page picks its size and decoration.
Pure arithmetic on numbers: no queries, no templates.
"""

from dataclasses import dataclass
from math import log10

# A day with any events stays visible however busy the busiest day is.
MIN_BAR_HEIGHT = 2


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** int(log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if value <= step * magnitude)


@dataclass(frozen=True)
class Plot:
    """The area the bars fill: one slot per day, the bar centred in ``bar_fraction`` of it."""

    left: float
    top: float
    width: float
    height: float
    bar_fraction: float = 0.7

    @property
    def bottom(self) -> float:
        return self.top + self.height


def bar_height(count: int, *, scale_top: int, plot: Plot) -> float:
    """The height of ``count`` on ``plot``, whose full height stands for ``scale_top``."""
    if not count:
        return 0
    return max(MIN_BAR_HEIGHT, count / scale_top * plot.height)


def daily_bars(stacks: list[list[int]], plot: Plot) -> tuple[int, list[dict]]:
    """The scale and one bar per day for ``stacks`` (each day's counts, stacked bottom up).

    The scale is the busiest day's total rounded up by ``nice_ceiling``, so gridlines at its
    half and whole fall on round numbers. Each bar has its slot, its x and width, its stacked
    ``segments`` (y and height of each count, in order) and its overall ``y`` and ``height``.
    """
    scale_top = nice_ceiling(max((sum(stack) for stack in stacks), default=0))
    slot = plot.width / max(len(stacks), 1)
    bars = []
    for index, stack in enumerate(stacks):
        baseline = plot.bottom
        segments = []
        for count in stack:
            height = bar_height(count, scale_top=scale_top, plot=plot)
            baseline -= height
            segments.append({"count": count, "y": round(baseline, 1), "height": round(height, 1)})
        slot_x = plot.left + index * slot
        bars.append(
            {
                "slot_x": round(slot_x, 1),
                "slot_width": round(slot, 1),
                "x": round(slot_x + slot * (1 - plot.bar_fraction) / 2, 1),
                "width": round(slot * plot.bar_fraction, 1),
                "y": round(baseline, 1),
                "height": round(plot.bottom - baseline, 1),
                "segments": segments,
            }
        )
    return scale_top, bars
