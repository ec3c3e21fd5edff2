"""The flipturn dialect under ``/compat/flipturn``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/compat/flipturn", tags=["compat: flipturn"])
