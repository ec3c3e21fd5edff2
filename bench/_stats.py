"""Pure helpers of the benchmark: percentiles, latency summaries, the sustained-rate rule.

No I/O here, so ``tests/unit/bench`` can test them without a server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of already sorted values, nearest-rank method;
    ``None`` for no values."""
    if not sorted_values:
        return None
    if q <= 0:
        return float(sorted_values[0])
    rank = math.ceil(q / 100.0 * len(sorted_values))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def summarize(values: Iterable[float]) -> dict[str, Any]:
    """Count, p50/p90/p99/max and mean of latencies (milliseconds, rounded to 0.01)."""
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    return {
        "n": len(ordered),
        "p50": r(percentile(ordered, 50)),
        "p90": r(percentile(ordered, 90)),
        "p99": r(percentile(ordered, 99)),
        "max": r(ordered[-1]),
        "mean": r(sum(ordered) / len(ordered)),
    }


def merge_lists(parts: Iterable[Mapping[str, Sequence[float]]]) -> dict[str, list[float]]:
    """Merge per-worker ``{action: [rtt…]}`` maps into one."""
    merged: dict[str, list[float]] = {}
    for part in parts:
        for action, values in part.items():
            merged.setdefault(action, []).extend(values)
    return merged


def merge_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = merged.get(key, 0) + value
    return merged


def step_ok(step: Mapping[str, Any], *, p99_bound_ms: float, min_ratio: float = 0.95) -> bool:
    """A step is sustained when every call was answered (no CALLERROR, no timeout, no
    dropped connection), the answered rate kept up with the offered rate and the overall
    p99 stayed under the bound."""
    p99 = step["overall"]["p99"]
    return (
        step["errors"] == 0
        and step["timeouts"] == 0
        and step["disconnects"] == 0
        and step["achieved"] >= min_ratio * step["offered"]
        and p99 is not None
        and p99 <= p99_bound_ms
    )


def saturated(step: Mapping[str, Any], *, p99_bound_ms: float) -> bool:
    """Stop stepping: the answered rate fell well behind the offered one, calls failed, or
    p99 is past four times the bound."""
    p99 = step["overall"]["p99"]
    return (
        step["achieved"] < 0.9 * step["offered"]
        or step["timeouts"] > 0
        or step["disconnects"] > 0
        or step["errors"] > 0.01 * max(1, step["answered"])
        or (p99 is not None and p99 > 4 * p99_bound_ms)
    )


def sustained_rate(steps: Sequence[Mapping[str, Any]], *, p99_bound_ms: float) -> float | None:
    """The highest answered rate among steps that are sustained (see ``step_ok``)."""
    good = [s["achieved"] for s in steps if step_ok(s, p99_bound_ms=p99_bound_ms)]
    return max(good) if good else None


def kib_per_item(rss_before: int, rss_after: int, count: int) -> float | None:
    if count <= 0:
        return None
    return round((rss_after - rss_before) / 1024.0 / count, 2)
