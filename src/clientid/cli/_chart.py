"""
``chart``: monthly clients by type, and new clients, as a PNG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

    from clientid.activity.report import ActivityReport

__all__ = ["ChartError", "draw"]

_TYPES: Final = (
    ("entity_clients", "entity", "#3b6ea8"),
    ("non_entity_clients", "non-entity token", "#e08a2e"),
    ("acme_clients", "ACME", "#5a9e4b"),
    ("secret_syncs", "secret sync", "#9467bd"),
)


class ChartError(Exception):
    """The chart cannot be drawn; the message says why."""


def draw(report: ActivityReport, out: Path) -> None:
    """
    Write a stacked bar chart of the report's months to *out* (PNG).

    Raises:
        ChartError: matplotlib is not installed, or *out* cannot be written.
    """
    try:
        import matplotlib as mpl  # noqa: PLC0415

        mpl.use("Agg")
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        msg = "chart needs matplotlib: pip install 'clientid[plot]'"
        raise ChartError(msg) from None
    months = report.months
    labels = [f"{month.timestamp:%Y-%m}" for month in months]
    positions = list(range(len(months)))
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    bottoms = [0] * len(months)
    for field, label, colour in _TYPES:
        values = [getattr(month.counts, field).value for month in months]
        if not any(values):
            continue
        axes.bar(positions, values, bottom=bottoms, label=label, color=colour)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    new = [month.new_clients.counts.clients.value for month in months]
    axes.plot(positions, new, color="black", marker="o", label="new clients")
    for position, month, height in zip(
        positions, months, bottoms, strict=True
    ):
        if not month.counts.is_exact:
            axes.annotate(
                "estimate",
                (position, height),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    axes.set_xticks(positions, labels)
    axes.set_ylabel("clients")
    scope = report.namespace_id
    axes.set_title(f"Vault clients per month (namespace {scope} and below)")
    axes.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=5,
        fontsize=8,
        frameon=False,
    )
    figure.tight_layout()
    try:
        figure.savefig(out, format="png", metadata={"Software": None})
    except OSError as exc:
        msg = f"{out}: cannot write the chart ({exc.strerror or exc})"
        raise ChartError(msg) from exc
