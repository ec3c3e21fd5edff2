"""``/api/v1/vehicles``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/vehicles", tags=["vehicles"])
