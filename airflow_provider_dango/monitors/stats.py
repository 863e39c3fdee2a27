"""Trend statistics (scipy): Theil-Sen slope with a Mann-Kendall significance test, on a deseasonalised series.

This is extra information next to the SQL verdict (macros/monitors/verdict.sql), never a second opinion on whether a
bucket is flagged: it can only turn a `normal` monitor into `trending`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

P_VALUE = 0.05
MIN_POINTS = 8


@dataclass(frozen=True)
class Trend:
    direction: str  # increasing | decreasing | stable
    p_value: float | None
    slope: float = 0.0  # per bucket, on the deseasonalised series
    intercept: float = 0.0
    n: int = 0
    significant: bool = False


def deseasonalise(values: list[float], keys: list[int]) -> list[float]:
    """Remove each seasonal key's median offset from the overall median, so weekends do not read as a trend."""
    if len(set(keys)) <= 1:
        return list(values)
    overall = median(values)
    by_key: dict[int, list[float]] = {}
    for v, k in zip(values, keys, strict=True):
        by_key.setdefault(k, []).append(v)
    offset = {k: median(vs) - overall for k, vs in by_key.items()}
    return [v - offset[k] for v, k in zip(values, keys, strict=True)]


def mann_kendall(values: list[float]) -> tuple[float, float]:
    """Mann-Kendall S statistic's two-sided p-value (with the tie correction) and Kendall's tau."""
    from scipy import stats

    n = len(values)
    s = 0
    for i in range(n - 1):
        for j in range(i + 1, n):
            diff = values[j] - values[i]
            s += (diff > 0) - (diff < 0)
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in counts.values())) / 18
    if var <= 0:
        return 1.0, 0.0
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    p = 2 * (1 - stats.norm.cdf(abs(z)))
    tau = s / (n * (n - 1) / 2)
    return float(p), float(tau)


def trend(values: list[float], keys: list[int] | None = None, min_relative_change_pct: float = 5.0) -> Trend:
    """Significant (p < 0.05) and material (the fitted change over the series >= min_relative_change_pct of its
    median level) -> increasing / decreasing; otherwise stable."""
    from scipy import stats

    n = len(values)
    if n < MIN_POINTS:
        return Trend("stable", None, n=n)
    series = deseasonalise(values, keys) if keys else list(values)
    p, _tau = mann_kendall(series)
    slope, intercept, _lo, _hi = stats.theilslopes(series, list(range(n)))
    level = abs(median(series)) or abs(sum(series) / n) or 1.0
    material = abs(slope) * (n - 1) / level * 100 >= min_relative_change_pct
    significant = p < P_VALUE and material and slope != 0
    direction = ("increasing" if slope > 0 else "decreasing") if significant else "stable"
    return Trend(direction, p, float(slope), float(intercept), n, significant)
