"""The thor dialect under ``/compat/thor``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/compat/thor", tags=["compat: thor"])
