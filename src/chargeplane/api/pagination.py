"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json

from chargeplane.api.params import INT32_MAX
from chargeplane.errors import InvalidRequest

_MAX_CURSOR = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        if len(cursor) > _MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= INT32_MAX:
            raise TypeError
        return after
    except (binascii.Error, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InvalidRequest(
            "malformed cursor",
            fields=[
                {
                    "field": "cursor",
                    "code": "invalid_cursor",
                    "message": "not a cursor this API issued",
                }
            ],
        ) from exc
