"""One handler renders every error as ``application/problem+json`` with a stable ``code``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chargeplane.errors import ChargeplaneError

PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    415: "unsupported_media_type",
    428: "precondition_required",
    429: "too_many_requests",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    fields: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    if fields:
        body["fields"] = fields
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ChargeplaneError)
    async def _domain(_request: Request, exc: ChargeplaneError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.code, exc.title, exc.detail, exc.fields, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: list[dict[str, Any]] = []
        refused = False
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            if err["type"] == "refused_fields":
                refused = True
                ctx = err.get("ctx") or {}
                for kind, names in (
                    ("read_only_field", ctx.get("read_only", [])),
                    ("unknown_field", ctx.get("unknown", [])),
                ):
                    fields += [
                        {
                            "field": f"{where}.{name}",
                            "code": kind,
                            "message": kind.replace("_", " "),
                        }
                        for name in names
                    ]
            elif err["type"] == "null_not_allowed":
                fields += [
                    {
                        "field": f"{where}.{name}",
                        "code": "null_not_allowed",
                        "message": "may be omitted but not null",
                    }
                    for name in (err.get("ctx") or {}).get("fields", [])
                ]
            elif err["type"] == "extra_forbidden":
                refused = True
                fields.append({"field": where, "code": "unknown_field", "message": "unknown field"})
            else:
                fields.append({"field": where, "code": err["type"], "message": err["msg"]})
        if refused:
            return problem(400, "refused_fields", "Read-only or unknown fields", fields=fields)
        return problem(422, "validation_error", "Invalid request", fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, code, str(exc.detail), headers=headers)
