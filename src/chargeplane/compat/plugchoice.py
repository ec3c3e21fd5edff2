"""The plugchoice dialect under ``/compat/plugchoice``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/compat/plugchoice", tags=["compat: plugchoice"])
