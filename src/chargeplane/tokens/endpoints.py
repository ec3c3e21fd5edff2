"""``/api/v1/id-tokens``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/id-tokens", tags=["id-tokens"])
