"""Walking an OpenAPI document: every operation, its path and query parameters, its request
body schema. Used by the API-wide tests, which must cover each route the app documents (a new
route is walked without anyone listing it)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

NOT_PER_ORGANIZATION = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
"""Routes that serve no organization's data (FastAPI's own documentation routes): excluded
from the per-organization walks by name."""

_PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Operation:
    method: str
    """Upper case, as sent."""
    path: str
    """The path template, as in the document."""
    spec: Mapping[str, Any]
    doc: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def segment_before(self, param: str) -> str:
        """The literal path segment just before ``{param}`` (``sites`` for ``/sites/{id}``)."""
        segments = self.path.strip("/").split("/")
        index = segments.index(f"{{{param}}}")
        return segments[index - 1] if index > 0 else ""

    @property
    def collection(self) -> str:
        """The last literal segment (``sites`` for ``/api/v1/sites``)."""
        literal = [s for s in self.path.strip("/").split("/") if not s.startswith("{")]
        return literal[-1] if literal else ""

    @property
    def query_params(self) -> list[Mapping[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == "query"]

    @property
    def body_schema_name(self) -> str | None:
        """The component name of the JSON request body's schema, if the operation takes one."""
        content = self.spec.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return None
        ref = schema.get("$ref", "")
        if not ref.startswith("#/components/schemas/"):
            raise AssertionError(f"{self.label}: request body is not a named schema: {schema}")
        return str(ref.rsplit("/", 1)[-1])

    @property
    def body_properties(self) -> Mapping[str, Any]:
        name = self.body_schema_name
        if name is None:
            return {}
        props: Mapping[str, Any] = self.doc["components"]["schemas"][name].get("properties", {})
        return props

    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that present ``key`` as this operation's security scheme asks."""
        requirements = self.spec.get("security", self.doc.get("security"))
        if not requirements:
            raise AssertionError(f"{self.label}: no security requirement in the document")
        schemes = self.doc["components"]["securitySchemes"]
        name = next(iter(requirements[0]))
        scheme = schemes[name]
        if scheme["type"] == "http" and scheme["scheme"].lower() == "bearer":
            return {"Authorization": f"Bearer {key}"}
        if scheme["type"] == "apiKey" and scheme["in"] == "header":
            return {scheme["name"]: key}
        raise AssertionError(f"{self.label}: unknown security scheme {name}: {scheme}")

    def url(self, values: Mapping[str, object]) -> str:
        """The path with each ``{param}`` replaced by ``values[param]`` (percent-encoded)."""
        return _PARAM.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.path)


def operations(doc: Mapping[str, Any]) -> Iterator[Operation]:
    """Every operation of the document, except the routes that are not per organization."""
    for path, item in doc["paths"].items():
        if path in NOT_PER_ORGANIZATION:
            continue
        for method in HTTP_METHODS:
            if method in item:
                yield Operation(method.upper(), path, item[method], doc)


def find_key(data: Any, key: str, where: str = "$") -> Iterator[tuple[str, Any]]:
    """Every ``(json path, value)`` of a key named ``key`` anywhere in ``data``."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield f"{where}.{k}", v
            yield from find_key(v, key, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from find_key(v, key, f"{where}[{i}]")


def objects(data: Any) -> Iterator[Mapping[str, Any]]:
    """Every JSON object anywhere in ``data``."""
    if isinstance(data, dict):
        yield data
        for v in data.values():
            yield from objects(v)
    elif isinstance(data, list):
        for v in data:
            yield from objects(v)
