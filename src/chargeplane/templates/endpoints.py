"""``/api/v1/hardware-templates``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/hardware-templates", tags=["hardware-templates"])
