"""Time zones from coordinates, offline (timezonefinder's bundled polygons)."""

from __future__ import annotations

from functools import cache

from timezonefinder import TimezoneFinder


@cache
def _finder() -> TimezoneFinder:
    return TimezoneFinder()


def timezone_at(latitude: float, longitude: float) -> str:
    """The IANA zone at the point; ``Etc/GMT±N`` at sea; UTC if nothing is known."""
    finder = _finder()
    zone = finder.timezone_at(lat=latitude, lng=longitude)
    return zone or "UTC"
