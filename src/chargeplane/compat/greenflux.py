"""The greenflux dialect under ``/compat/greenflux``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/compat/greenflux", tags=["compat: greenflux"])
