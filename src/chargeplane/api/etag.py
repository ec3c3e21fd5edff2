"""Entity tags: GET returns the etag in the body and the ``ETag`` header; PUT requires it
(``If-Match`` or an ``etag`` body field): missing → 428, stale → 412."""

from __future__ import annotations

from fastapi import Request, Response

from chargeplane.errors import PreconditionRequired


def quoted(etag: str) -> str:
    return f'"{etag}"'


def set_etag(response: Response, etag: str) -> None:
    response.headers["ETag"] = quoted(etag)


def expected_etag(request: Request, body_etag: str | None) -> str:
    """The etag the client says it updates from."""
    header = request.headers.get("if-match")
    if header:
        value = header.strip()
        if value.startswith("W/"):
            value = value[2:]
        return value.strip('"')
    if body_etag:
        return body_etag
    raise PreconditionRequired()
