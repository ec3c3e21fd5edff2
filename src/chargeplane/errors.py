"""The one error base: every domain error carries a stable code and an HTTP status.

The REST layer renders these as ``application/problem+json``; the OCPP layer maps them
to CALLERRORs through one table (``chargeplane.ocpp.errors``).
"""

from __future__ import annotations

from typing import Any


class ChargeplaneError(Exception):
    code: str = "internal_error"
    status: int = 500
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        fields: list[dict[str, Any]] | None = None,
        code: str | None = None,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.fields = fields or []
        if code is not None:
            self.code = code


class NotFound(ChargeplaneError):
    code = "not_found"
    status = 404
    title = "Not found"


class Unauthenticated(ChargeplaneError):
    code = "unauthenticated"
    status = 401
    title = "Missing or invalid API key"


class Forbidden(ChargeplaneError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class InvalidRequest(ChargeplaneError):
    code = "invalid_request"
    status = 400
    title = "Invalid request"


class UnknownReference(InvalidRequest):
    """A body field naming an object the organization does not have: a 422 like any other
    invalid field (another organization's object is as unknown as a missing one)."""

    status = 422
    code = "validation_error"

    def __init__(self, field: str, what: str) -> None:
        message = f"no such {what} in this organization"
        super().__init__(
            message, fields=[{"field": f"body.{field}", "code": "not_found", "message": message}]
        )


class Conflict(ChargeplaneError):
    code = "conflict"
    status = 409
    title = "Conflict"


class PreconditionRequired(ChargeplaneError):
    code = "etag_required"
    status = 428
    title = "The current etag is required (If-Match header or etag field)"


class PreconditionFailed(ChargeplaneError):
    code = "etag_mismatch"
    status = 412
    title = "The resource changed since the given etag"


class ChargerRejected(ChargeplaneError):
    """A charge point identity that may not connect."""

    code = "charger_rejected"
    status = 403
    title = "Charger not accepted"
