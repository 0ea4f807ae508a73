"""Charts drawn as inline SVG on the server: no JavaScript, no chart library, no CDN.

Each function returns safe markup: an ``<svg role="img">`` with a ``<title>`` and a
``<desc>`` for screen readers, a ``<title>`` on every bar for the hover tooltip, and an
HTML legend. Colours come from CSS classes (static/css/monitoring.css), using the
Okabe–Ito palette, which stays distinguishable under the common colour-vision deficiencies.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 30
_ids = itertools.count(1)


def nice_step(value: float, *, whole: bool = False) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ ``value``; with ``whole``, at least 1
    and never 2.5 (counts get whole-number gridlines)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    steps = (1, 2, 5, 10) if whole and power < 10 else (1, 2, 2.5, 5, 10)
    step = next(s * power for s in steps if value <= s * power)
    return max(step, 1) if whole else step


def axis_top(peak: float, *, whole: bool = False) -> tuple[float, float]:
    """``(top, step)`` of a y axis for data up to ``peak``: at most four nice gridline
    intervals, the top the first gridline at or above the peak."""
    step = nice_step(peak / 4, whole=whole)
    return step * max(1, math.ceil(peak / step - 1e-9)), step


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _axis(top: float, step: float, height: float, width: float, *, percent=False) -> list[str]:
    parts = []
    for i in range(round(top / step) + 1):
        value = step * i
        y = TOP + height - height * value / top
        label = f"{value * 100:g}%" if percent else _fmt(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{LEFT + width}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    return parts


def _frame(title: str, description: str, body: list[str]) -> str:
    uid = next(_ids)
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart{uid}-title chart{uid}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart{uid}-title">{escape(title)}</title>'
        f'<desc id="chart{uid}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _figure(
    svg: str, legend: Sequence[tuple[str, str]], *, title: str, latest_first: bool = False
) -> SafeString:
    # On a phone the chart scrolls sideways (shrunk to fit, its ticks would be unreadable),
    # so its box takes keyboard focus and is named for the region a screen reader lands in.
    # ``latest_first``: a time chart opens scrolled to its right end (the latest buckets).
    # Every text in ``svg`` went through escape() and every number through a format spec.
    return format_html(
        '<div class="chart-wrap{}" tabindex="0" role="region" aria-label="{}">{}</div>{}',
        " latest-first" if latest_first else "",
        title,
        mark_safe(svg),  # noqa: S308
        _legend(legend),
    )


def _legend(series: Sequence[tuple[str, str]]) -> SafeString:
    items = format_html_join(
        "",
        '<li><span class="swatch {}" aria-hidden="true"></span>{}</li>',
        ((css, label) for label, css in series),
    )
    return format_html('<ul class="legend">{}</ul>', items)


def bucket_label(iso: str, bucket: str) -> str:
    """``"29 Nov 14:00"`` for an hour bucket, ``"29 Nov"`` for a day bucket."""
    moment = datetime.fromisoformat(iso)
    return moment.strftime("%d %b %H:%M" if bucket == "hour" else "%d %b")


def stacked_bars(
    *,
    buckets: Sequence[str],
    bucket: str,
    series: Sequence[tuple[str, str, Sequence[int]]],
    title: str,
) -> SafeString:
    """Counts per time bucket, stacked by series.

    ``buckets``: ISO start of each bucket; ``bucket``: ``"hour"`` or ``"day"``;
    ``series``: ``(label, css class, counts per bucket)``, drawn bottom to top.
    """
    if not buckets:
        return format_html('<p class="empty">{}</p>', "No attempts in this window.")
    totals = [sum(values[i] for _, _, values in series) for i in range(len(buckets))]
    top, tick = axis_top(max(totals), whole=True)
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = width / len(buckets)
    gap = min(2.0, step * 0.2)
    body = _axis(top, tick, height, width)
    for i, start in enumerate(buckets):
        x = LEFT + i * step
        y = TOP + height
        parts = []
        for _, css, values in series:
            h = height * values[i] / top
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect class="{css}" x="{x + gap / 2:.2f}" y="{y:.2f}" '
                f'width="{max(step - gap, 0.5):.2f}" height="{h:.2f}"/>'
            )
        detail = ", ".join(f"{label} {values[i]}" for label, _, values in series)
        tooltip = escape(f"{bucket_label(start, bucket)}: {totals[i]} ({detail})")
        body.append(f"<g><title>{tooltip}</title>{''.join(parts)}</g>")
    ticks = max(1, math.ceil(len(buckets) / 6))
    for i in range(0, len(buckets), ticks):
        x = LEFT + i * step + step / 2
        # A label centred near the right edge would be cut off: end-align it there.
        anchor = "end" if x > WIDTH - RIGHT - 40 else "middle"
        body.append(
            f'<text class="tick" x="{min(x, WIDTH - RIGHT):.1f}" y="{HEIGHT - 10}" '
            f'text-anchor="{anchor}">{escape(bucket_label(buckets[i], bucket))}</text>'
        )
    peak = max(totals)
    description = (
        f"{sum(totals)} attempts in {len(buckets)} {bucket} buckets, at most {peak} in one; "
        + ", ".join(f"{label} {sum(values)}" for label, _, values in series)
    )
    svg = _frame(title, description, body)
    return _figure(svg, [(label, css) for label, css, _ in series], title=title, latest_first=True)


def overlaid_histograms(
    *,
    edges: Sequence[float],
    series: Sequence[tuple[str, str, Sequence[float]]],
    title: str,
) -> SafeString:
    """Two or more distributions over the same bins, drawn over each other.

    ``edges``: bin edges (n + 1); ``series``: ``(label, css class, share per bin)``; the
    first is drawn as filled bars, the rest as outlined bars on top.
    """
    if len(edges) < 2 or not series:
        return format_html('<p class="empty">{}</p>', "No distribution to draw.")
    top, tick = axis_top(max((max(shares, default=0) for _, _, shares in series), default=0))
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(edges) - 1
    step = width / n
    body = _axis(top, tick, height, width, percent=True)
    for index, (label, css, shares) in enumerate(series):
        for i, share in enumerate(shares):
            h = height * share / top
            if h <= 0:
                continue
            x = LEFT + i * step
            inset = 1 if index == 0 else step * 0.22
            tooltip = escape(f"{label}, {_fmt(edges[i])}–{_fmt(edges[i + 1])}: {share:.1%}")
            body.append(
                f'<rect class="{css}" x="{x + inset:.2f}" y="{TOP + height - h:.2f}" '
                f'width="{max(step - 2 * inset, 0.5):.2f}" height="{h:.2f}">'
                f"<title>{tooltip}</title></rect>"
            )
    for i in range(0, n + 1, max(1, n // 10)):
        x = LEFT + i * step
        body.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
            f"{_fmt(edges[i])}</text>"
        )
    description = "Share of predictions per score band: " + "; ".join(
        f"{label} peaks at {_fmt(edges[max(range(n), key=lambda i, s=shares: s[i])])}"
        for label, _, shares in series
        if any(shares)
    )
    svg = _frame(title, description, body)
    return _figure(svg, [(label, css) for label, css, _ in series], title=title)
