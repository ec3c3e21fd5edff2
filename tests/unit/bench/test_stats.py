"""The benchmark's pure helpers (bench/_stats.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def _load() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "bench" / "_stats.py"
    spec = importlib.util.spec_from_file_location("bench_stats", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stats = _load()


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert stats.percentile(values, 50) == 50.0
    assert stats.percentile(values, 99) == 99.0
    assert stats.percentile(values, 100) == 100.0
    assert stats.percentile(values, 0) == 1.0
    assert stats.percentile([], 50) is None


def test_summarize() -> None:
    summary = stats.summarize([3.0, 1.0, 2.0])
    assert summary == {"n": 3, "p50": 2.0, "p90": 3.0, "p99": 3.0, "max": 3.0, "mean": 2.0}
    assert stats.summarize([])["p99"] is None


def test_merges() -> None:
    assert stats.merge_lists([{"a": [1.0]}, {"a": [2.0], "b": [3.0]}]) == {
        "a": [1.0, 2.0],
        "b": [3.0],
    }
    assert stats.merge_counts([{"x": 1}, {"x": 2, "y": 1}]) == {"x": 3, "y": 1}


def _step(**over: object) -> dict[str, object]:
    step: dict[str, object] = {
        "offered": 1000.0,
        "achieved": 990.0,
        "answered": 10000,
        "errors": 0,
        "timeouts": 0,
        "disconnects": 0,
        "overall": {"p99": 40.0},
    }
    step.update(over)
    return step


@pytest.mark.parametrize(
    ("over", "ok"),
    [
        ({}, True),
        ({"errors": 1}, False),
        ({"timeouts": 1}, False),
        ({"achieved": 900.0}, False),
        ({"overall": {"p99": 150.0}}, False),
        ({"overall": {"p99": None}}, False),
    ],
)
def test_step_ok(over: dict[str, object], ok: bool) -> None:
    assert stats.step_ok(_step(**over), p99_bound_ms=100) is ok


def test_sustained_rate_and_saturation() -> None:
    steps = [_step(achieved=500.0, offered=500.0), _step(), _step(overall={"p99": 500.0})]
    assert stats.sustained_rate(steps, p99_bound_ms=100) == 990.0
    assert not stats.saturated(_step(), p99_bound_ms=100)
    assert stats.saturated(_step(achieved=800.0), p99_bound_ms=100)
    assert stats.saturated(_step(overall={"p99": 1500.0}), p99_bound_ms=100)


def test_kib_per_item() -> None:
    assert stats.kib_per_item(0, 10 * 1024 * 100, 100) == 10.0
    assert stats.kib_per_item(0, 1, 0) is None
