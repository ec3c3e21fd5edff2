"""Every route of the OpenAPI document, walked with another organization's key and with each
scope: a key gets only what it may see (404 across organizations, as for an id nobody has; no
sensitive field without ``sensitive``; no write without ``full``; nothing without a key).

The routes come from the live ``/openapi.json``, never from a list kept here: a new route is
walked as soon as it exists, and one the walk cannot fill (a path parameter, a request body
schema, a reference field or a security scheme it does not know) fails the walk by name
instead of being skipped. A route the document leaves out fails
``test_every_http_route_is_in_the_document``. The checks hold for every dialect: keys are
presented as each route's security scheme says, and errors are compared, not parsed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import BaseRoute, Route

from chargeplane.app import create_app
from chargeplane.db import Database
from tests.conftest import Tenant
from tests.support import factories
from tests.support.openapi import NOT_PER_ORGANIZATION, Operation, find_key, objects, operations
from tests.support.server import RunningServer

SCOPE_SETS = [("basic",), ("basic", "sensitive"), ("basic", "full")]
ALL_SCOPES = ("basic", "sensitive", "full")
MISSING_INT = 2**31 - 1
"""An id no organization has (and that fits PostgreSQL's integer)."""

CONNECTOR = {
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_power_kw": 22,
}
EVSE = {"number": 1, "name": "Port 1", "max_power_kw": 22, "connectors": [CONNECTOR]}
GREENFLUX_EVSE = {
    "number": 1,
    "connectors": [
        {"id": 1, "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}
    ],
}

COLLECTION_PARAM = {
    "organizations": "organization_id",
    "api-keys": "key_id",
    "sites": "site_id",
    "hardware-templates": "template_id",
    "chargers": "charger_id",
    "evses": "number",
    "customers": "customer_id",
    "id-tokens": "id_token_id",
    "vehicles": "vehicle_id",
}
"""A collection's path segment → the name of its items' id (for ``/…/{id}`` and list pages)."""

GENERIC_PARAMS = frozenset({"id", "number"})
"""Path parameter names that mean an item of the collection named just before them."""

PATH_ALIASES = {
    "chargebox_id": "ocpp_id",  # Thor: a chargebox is addressed by its OCPP identity
}

QUERY_FILTERS = {
    "site_id": "site_id",
    "location_id": "site_id",
    "LocationId": "site_id",
    "customer_id": "customer_id",
    "id_token_id": "id_token_id",
    "value": "id_token_value",
}
"""Query parameters of list routes that name an object: filled with the object's id."""

REFERENCES = {
    "site_id": "site_id",
    "location_id": "site_id",
    "hardware_template_id": "template_id",
    "charge_station_template_id": "template_id",
    "customer_id": "customer_id",
    "id_token_id": "id_token_id",
}
"""Request body fields naming another object of the organization."""

NOT_REFERENCES = frozenset(
    {"ocpp_id", "external_id", "contactless_terminal_id", "charge_station_id"}
)
"""Request body fields ending in ``_id`` that are identifiers, not references."""


@dataclass
class World:
    """One organization with one of every resource, made over the API."""

    org_id: int
    org_name: str
    key: str
    """Every scope and every switch a key has (so every dialect is open to it)."""
    marker: str
    """In the name of every object of this organization."""
    pincode: str
    contactless_token: str
    charger: dict[str, Any]
    """The charger's writable state, as created (a PUT of it changes nothing)."""
    ids: dict[str, Any]
    """Path parameter name (and query filter) → this organization's value."""
    keys: list[str] = field(default_factory=list)
    """Plaintexts of the organization's API keys: never in a GET."""

    @property
    def secrets(self) -> list[str]:
        return [self.pincode, self.contactless_token]

    @property
    def names(self) -> list[str]:
        """Strings only this organization's objects have, that no error may show another."""
        return [self.marker, self.org_name]

    @property
    def identities(self) -> list[str]:
        """Every string that is this organization's alone."""
        ids = [str(self.ids[k]) for k in ("ocpp_id", "external_id", "uuid", "id_token_value")]
        return [*self.names, *ids, *self.secrets, *self.never_read]

    @property
    def never_read(self) -> list[str]:
        """The key plaintexts and their stored digests."""
        return [*self.keys, *(hashlib.sha256(k.encode()).hexdigest() for k in self.keys)]


def switches(doc: Mapping[str, Any]) -> dict[str, bool]:
    """Every on/off switch a new API key has (such as a dialect's), on."""
    props = doc["components"]["schemas"]["ApiKeyCreate"]["properties"]
    return {name: True for name, prop in props.items() if prop.get("type") == "boolean"}


async def issue_key(
    api: httpx.AsyncClient, doc: Mapping[str, Any], full_key: str, scopes: Iterable[str]
) -> str:
    """A new key of ``full_key``'s organization with ``scopes`` and every switch on."""
    body = {"name": factories.unique("walker"), "scopes": list(scopes), **switches(doc)}
    response = await api.post("/api/v1/api-keys", json=body, headers=bearer(full_key))
    assert response.status_code == 201, response.text
    plaintext: str = response.json()["key"]
    return plaintext


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def build_world(api: httpx.AsyncClient, doc: Mapping[str, Any], tenant: Tenant) -> World:
    key = await issue_key(api, doc, tenant.key, ALL_SCOPES)
    marker = factories.unique("marker")
    pincode = f"pin{secrets.token_hex(6)}"
    token = f"ctok-{secrets.token_hex(12)}"

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await api.post(path, json=body, headers=bearer(key))
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        created: dict[str, Any] = response.json()
        return created

    site = await post("/api/v1/sites", {"name": f"{marker} site", "address": f"{marker} street"})
    template = await post(
        "/api/v1/hardware-templates",
        {"vendor": marker, "name": "Dual", "is_dc": False, "evses": [EVSE]},
    )
    state = {
        "ocpp_id": factories.unique("CP"),
        "external_id": factories.unique("EXT"),
        "name": f"{marker} charger",
        "site_id": site["id"],
        "hardware_template_id": template["id"],
        "contactless_type": "Nayax",
        "contactless_terminal_id": "T-1",
        "contactless_token": token,
        "pincode": pincode,
        "default_tariff_code": "T1",
    }
    charger = await post("/api/v1/chargers", state)
    assert charger["sensitive"] == {"pincode": pincode, "contactless_token": token}
    assert [e["number"] for e in charger["evses"]] == [1]
    customer = await post(
        "/api/v1/customers", {"name": f"{marker} customer", "email": "driver@example.com"}
    )
    id_token = await post(
        "/api/v1/id-tokens",
        {"value": factories.unique("T"), "name": f"{marker} card", "customer_id": customer["id"]},
    )
    vehicle = await post(
        "/api/v1/vehicles",
        {
            "name": f"{marker} car",
            "vin": "VIN0000001",
            "customer_id": customer["id"],
            "id_token_id": id_token["id"],
        },
    )
    extra_key = await post("/api/v1/api-keys", {"name": f"{marker} key", "scopes": ["basic"]})
    return World(
        org_id=tenant.id,
        org_name=tenant.name,
        key=key,
        marker=marker,
        pincode=pincode,
        contactless_token=token,
        charger=state,
        ids={
            "organization_id": tenant.id,
            "key_id": extra_key["id"],
            "site_id": site["id"],
            "template_id": template["id"],
            "charger_id": charger["id"],
            "number": charger["evses"][0]["number"],
            "ocpp_id": charger["ocpp_id"],
            "external_id": charger["external_id"],
            "uuid": charger["uuid"],
            "customer_id": customer["id"],
            "id_token_id": id_token["id"],
            "id_token_value": id_token["value"],
            "vehicle_id": vehicle["id"],
        },
        keys=[tenant.key, key, extra_key["key"]],
    )


def _site(w: World) -> dict[str, Any]:
    return {"name": f"{w.marker} site", "address": f"{w.marker} street"}


def _template(w: World) -> dict[str, Any]:
    return {"vendor": w.marker, "name": "Dual", "is_dc": False, "evses": [EVSE]}


def _customer(w: World) -> dict[str, Any]:
    return {"name": f"{w.marker} customer", "email": "driver@example.com"}


def _vehicle(w: World) -> dict[str, Any]:
    return {
        "name": f"{w.marker} car",
        "vin": "VIN0000001",
        "customer_id": w.ids["customer_id"],
        "id_token_id": w.ids["id_token_id"],
    }


def _station(w: World) -> dict[str, Any]:
    """The charger as a GreenFlux charge station (the fields GreenFlux names)."""
    return {
        "charge_station_id": w.ids["ocpp_id"],
        "location_id": w.ids["site_id"],
        "charge_station_template_id": w.ids["template_id"],
        "default_tariff_code": "T1",
        "deploy_state": "Production",
        "contactless_type": "Nayax",
    }


def _greenflux_template(w: World) -> dict[str, Any]:
    return {"vendor": w.marker, "model": "Dual", "is_dc": False, "evses": [GREENFLUX_EVSE]}


BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "OrganizationReplace": lambda w: {"name": w.org_name},
    "OrganizationUpdate": lambda w: {"name": w.org_name},
    "ApiKeyCreate": lambda w: {"name": f"{w.marker} key {secrets.token_hex(2)}"},
    "ApiKeyUpdate": lambda w: {"name": f"{w.marker} key"},
    "SiteCreate": _site,
    "SiteReplace": _site,
    "SiteUpdate": _site,
    "HardwareTemplateCreate": _template,
    "HardwareTemplateReplace": _template,
    "HardwareTemplateUpdate": lambda w: {"name": "Dual"},
    "ChargerCreate": lambda w: {
        **w.charger,
        "ocpp_id": factories.unique("CP"),
        "external_id": factories.unique("EXT"),
    },
    "ChargerReplace": lambda w: dict(w.charger),
    "ChargerUpdate": lambda w: {
        "name": w.charger["name"],
        "pincode": w.pincode,
        "contactless_token": w.contactless_token,
    },
    "EvseCreate": lambda w: {"number": 2, "name": "Port 2", "connectors": [CONNECTOR]},
    "EvseReplace": lambda w: {"name": "Port 1", "max_power_kw": 22, "connectors": [CONNECTOR]},
    "EvseUpdate": lambda w: {"name": "Port 1"},
    "CustomerCreate": _customer,
    "CustomerReplace": _customer,
    "CustomerUpdate": _customer,
    "IdTokenCreate": lambda w: {"value": factories.unique("T"), "name": f"{w.marker} card"},
    "IdTokenReplace": lambda w: {
        "value": w.ids["id_token_value"],
        "name": f"{w.marker} card",
        "customer_id": w.ids["customer_id"],
    },
    "IdTokenUpdate": lambda w: {"name": f"{w.marker} card"},
    "VehicleCreate": _vehicle,
    "VehicleReplace": _vehicle,
    "VehicleUpdate": _vehicle,
    "GreenFluxChargeStationCreate": lambda w: {
        **_station(w),
        "charge_station_id": factories.unique("CP"),
    },
    "GreenFluxChargeStationReplace": _station,
    "GreenFluxChargeStationUpdate": lambda w: {"public": False},
    "GreenFluxTemplatePut": _greenflux_template,
}
"""A valid request body per request schema, writing into world ``w`` (its own references),
and leaving ``w``'s objects as they were when it replaces or updates one."""


def path_values(op: Operation, w: World) -> dict[str, Any]:
    """``w``'s value for each path parameter of ``op``; fails naming any it cannot fill."""
    values = {}
    for param in op.path_params:
        if param in GENERIC_PARAMS:
            name = COLLECTION_PARAM.get(op.segment_before(param))
        else:
            name = PATH_ALIASES.get(param, param)
        if name is None or name not in w.ids:
            pytest.fail(f"{op.label}: no value for path parameter {{{param}}}: map it in this test")
        values[param] = w.ids[name]
    return values


def missing_values(op: Operation) -> dict[str, Any]:
    """A value no organization has for each path parameter of ``op``."""
    types = {
        p["name"]: p.get("schema", {}).get("type")
        for p in op.spec.get("parameters", [])
        if p.get("in") == "path"
    }
    return {
        p: MISSING_INT if types.get(p) == "integer" else f"missing-{secrets.token_hex(4)}"
        for p in op.path_params
    }


def query_variants(op: Operation, w: World) -> list[dict[str, Any]]:
    """No query parameters, and (if ``op`` has any) its object filters set to ``w``'s ids."""
    required = [p["name"] for p in op.query_params if p.get("required")]
    unknown = [name for name in required if name not in QUERY_FILTERS]
    if unknown:
        pytest.fail(f"{op.label}: no value for required query parameters {unknown}")
    filters = {
        p["name"]: w.ids[QUERY_FILTERS[p["name"]]]
        for p in op.query_params
        if p["name"] in QUERY_FILTERS
    }
    return [{}, filters] if filters and not required else [filters]


def body_for(op: Operation, w: World) -> dict[str, Any] | None:
    name = op.body_schema_name
    if name is None:
        return None
    if name not in BODIES:
        pytest.fail(f"{op.label}: no request body for schema {name}: add one to BODIES")
    return BODIES[name](w)


def references(op: Operation) -> list[str]:
    """The body fields of ``op`` that name another object; fails on an unknown ``*_id``."""
    names = [n for n in op.body_properties if n.endswith("_id") and n not in NOT_REFERENCES]
    unknown = [n for n in names if n not in REFERENCES]
    if unknown:
        pytest.fail(f"{op.label}: body fields {unknown} look like references: map them")
    return names


def sensitive_values(data: Any) -> list[str]:
    return [f"{where}={value!r}" for where, value in find_key(data, "sensitive") if value]


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return response.text


def code_of(response: httpx.Response) -> Any:
    """The error's stable ``code`` if its body has one (every format but Thor's)."""
    body = json_of(response)
    return body.get("code") if isinstance(body, dict) else None


def show(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:300]}"


def scrubbed(data: Any, values: Iterable[object]) -> Any:
    """``data`` with each of ``values`` in its strings replaced by ``<param>``: so that an
    error about one id compares equal to the same error about another."""
    patterns = [re.compile(rf"(?<![\w-]){re.escape(str(v))}(?![\w-])") for v in values]
    if isinstance(data, str):
        for pattern in patterns:
            data = pattern.sub("<param>", data)
        return data
    if isinstance(data, dict):
        return {k: scrubbed(v, values) for k, v in data.items()}
    if isinstance(data, list):
        return [scrubbed(v, values) for v in data]
    return data


def items_of(page: Any) -> list[Any]:
    """The items of a list answer: a page's ``data`` or a bare list."""
    if isinstance(page, dict) and isinstance(page.get("data"), list):
        return list(page["data"])
    if isinstance(page, list):
        return page
    raise AssertionError(f"not a list answer: {str(page)[:200]}")


class Walk:
    """Requests against the routes of the document, as one key or another."""

    def __init__(self, api: httpx.AsyncClient, doc: Mapping[str, Any]) -> None:
        self.api = api
        self.doc = doc
        self.ops = list(operations(doc))
        self.gets = {op.path: op for op in self.ops if op.method == "GET"}

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.ops)

    async def send(
        self,
        op: Operation,
        key: str | None,
        values: Mapping[str, Any],
        *,
        body: Any = None,
        etag: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        headers = op.auth_headers(key) if key else {}
        if etag is not None:
            headers["If-Match"] = f'"{etag}"'
        return await self.api.request(
            op.method, op.url(values), json=body, headers=headers, params=params
        )

    async def etag(self, op: Operation, w: World) -> str | None:
        """For a PUT, the current etag of ``w``'s object at ``op``'s path (else None)."""
        if op.method != "PUT" or not op.path_params:
            return None
        if op.path not in self.gets:
            pytest.fail(f"{op.label}: no GET on the same path to read the etag from")
        response = await self.send(self.gets[op.path], w.key, path_values(op, w))
        assert response.status_code == 200, f"GET {op.path}: {show(response)}"
        return response.headers["etag"].strip('"')

    async def snapshot(self, w: World) -> dict[str, Any]:
        """Everything ``w`` can read by id: to show that a walk changed nothing."""
        seen = {}
        for op in self.gets.values():
            if op.path_params:
                response = await self.send(op, w.key, path_values(op, w))
                seen[op.path] = (response.status_code, json_of(response))
        return seen


@pytest.fixture
async def doc(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture
async def walk(api: httpx.AsyncClient, doc: dict[str, Any]) -> Walk:
    return Walk(api, doc)


@pytest.fixture
async def a(api: httpx.AsyncClient, doc: dict[str, Any], tenant: Tenant) -> World:
    """Organization A, whose objects the walks aim at."""
    return await build_world(api, doc, tenant)


@pytest.fixture
async def b(api: httpx.AsyncClient, doc: dict[str, Any], db: Database) -> World:
    """Organization B: another organization with objects of its own and every scope."""
    name = factories.unique("org")
    org_id = await factories.organization(db, name)
    key = await factories.api_key(db, organization=name, scopes=ALL_SCOPES)
    return await build_world(api, doc, Tenant(name, org_id, key))


def app_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route of the app with its full path prefix, included routers flattened (recent
    FastAPI keeps an included router as one lazy route with ``original_router``)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context_prefix: str = getattr(route, "include_context").prefix  # noqa: B009
            yield from app_routes(included.routes, prefix + context_prefix)
        else:
            yield prefix, route


async def test_every_http_route_is_in_the_document(
    server: RunningServer, doc: dict[str, Any]
) -> None:
    """A route left out of the document would escape every walk below."""
    documented = {(op.method, op.path) for op in operations(doc)}
    hidden = []
    for prefix, route in app_routes(create_app(server.settings).routes):
        if isinstance(route, APIWebSocketRoute):
            continue  # /ocpp/{charge_point_id}: chargers, not API keys
        path = prefix + getattr(route, "path", "")
        if isinstance(route, APIRoute):
            methods = sorted(route.methods or ())
            hidden += [f"{m} {path}" for m in methods if (m, path) not in documented]
        elif not (isinstance(route, Route) and path in NOT_PER_ORGANIZATION):
            hidden.append(f"{type(route).__name__} {path}")
    assert not hidden, f"routes the OpenAPI walk does not see: {hidden}"
    assert len(documented) >= 40, "the document lost its routes"


async def test_the_walk_fills_every_route(walk: Walk, a: World) -> None:
    """Each path parameter, request body, body reference and security scheme of every route
    is known here."""
    for op in walk:
        op.auth_headers(a.key)
        path_values(op, a)
        body_for(op, a)
        references(op)
        if op.method == "GET" and not op.path_params:
            query_variants(op, a)
        if op.method == "PUT" and op.path_params:
            assert op.path in walk.gets, f"{op.label}: no GET to read the etag from"


async def test_every_route_needs_a_key(walk: Walk, a: World) -> None:
    """Without a key, or with one that does not exist: refused (401, or the 403 a dialect
    answers instead), showing nothing of the organization."""
    problems = []
    for op in walk:
        values = path_values(op, a)
        for key in (None, f"cp_{'0' * 12}_not-a-key"):
            response = await walk.send(op, key, values, body=body_for(op, a))
            if response.status_code not in (401, 403):
                problems.append(f"{op.label} with key {key!r}: {show(response)}")
            elif code_of(response) not in (None, "unauthenticated"):
                problems.append(f"{op.label} with key {key!r}: {show(response)}")
            shown = [s for s in a.names + a.secrets if s in response.text]
            if shown:
                problems.append(f"{op.label} with key {key!r} shows {shown}")
    assert not problems, "\n".join(problems)


async def test_another_organization_gets_404_on_every_route_with_a_path_parameter(
    walk: Walk, a: World, b: World
) -> None:
    """B (every scope) aims at A's ids: the answer is the 404 for ids nobody has, and nothing
    of A changes. Writes carry a valid body (and A's current etag), so that the ownership
    check is all that can stop them."""
    before = await walk.snapshot(a)
    problems = []
    checked = 0
    for op in walk:
        if not op.path_params:
            continue
        checked += 1
        body = body_for(op, b)
        values = path_values(op, a)
        response = await walk.send(op, b.key, values, body=body, etag=await walk.etag(op, a))
        if response.status_code != 404:
            problems.append(f"{op.label} with A's ids: {show(response)}")
            continue
        shown = [s for s in a.names + a.secrets + a.never_read if s in response.text]
        if shown:
            problems.append(f"{op.label}: the 404 shows A's {shown}")
        nobody = missing_values(op)
        theirs = await walk.send(op, b.key, nobody, body=body, etag="0" * 32)
        ours = (404, scrubbed(json_of(response), values.values()))
        if ours != (theirs.status_code, scrubbed(json_of(theirs), nobody.values())):
            problems.append(
                f"{op.label}: A's ids answer {show(response)}, ids nobody has answer {show(theirs)}"
            )
    assert checked, "no route with a path parameter"
    assert not problems, "\n".join(problems)
    assert await walk.snapshot(a) == before, "B's requests changed A's objects"


async def test_another_organization_lists_none_of_its_objects(
    walk: Walk, a: World, b: World
) -> None:
    """B's list routes (also filtered by A's ids) show B's objects and none of A's."""
    problems = []
    checked = 0
    for op in walk:
        if op.method != "GET" or op.path_params:
            continue
        checked += 1
        for params in [*query_variants(op, b), *query_variants(op, a)[1:]]:
            response = await walk.send(op, b.key, {}, params=params)
            label = f"{op.label}?{params}"
            if response.status_code != 200:
                problems.append(f"{label}: {show(response)}")
                continue
            page = response.json()
            items = items_of(page)
            if op.collection in COLLECTION_PARAM and isinstance(page, dict):
                their_id = a.ids[COLLECTION_PARAM[op.collection]]
                if their_id in [item.get("id") for item in items]:
                    problems.append(f"{label}: lists A's item {their_id}")
            if any(o.get("organization_id") == a.org_id for o in objects(page)):
                problems.append(f"{label}: shows an object of A's organization")
            shown = [s for s in a.identities if s in response.text]
            if shown:
                problems.append(f"{label}: shows A's {shown}")
            if not params and not any(s in response.text for s in b.identities):
                problems.append(f"{label}: shows none of B's own objects: {show(response)}")
    assert checked, "no list route"
    assert not problems, "\n".join(problems)


async def test_another_organizations_objects_cannot_be_referenced(
    walk: Walk, a: World, b: World
) -> None:
    """A body naming one of A's objects, sent by B to B's own routes, is a 422 for that
    field, as for an id nobody has: B can neither link to A's objects nor learn they exist."""
    problems = []
    checked = 0
    for op in walk:
        for name in references(op):
            checked += 1
            body = {**(body_for(op, b) or {}), name: a.ids[REFERENCES[name]]}
            response = await walk.send(
                op, b.key, path_values(op, b), body=body, etag=await walk.etag(op, b)
            )
            fields = [
                (f.get("field"), f.get("code")) for f in (json_of(response) or {}).get("fields", [])
            ]
            if response.status_code != 422 or (f"body.{name}", "not_found") not in fields:
                problems.append(f"{op.label} with A's {name}: {show(response)}")
    assert checked, "no route takes a reference"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scopes", SCOPE_SETS, ids=["+".join(s) for s in SCOPE_SETS])
async def test_each_scope_gets_only_what_it_may(
    walk: Walk, a: World, scopes: tuple[str, ...]
) -> None:
    """A's own key with ``scopes``: every GET shows sensitive fields only with ``sensitive``
    and never an API key's secret; every write needs ``full``, and without it changes nothing.
    With ``full`` (but not ``sensitive``) the writes succeed and their answers hide the
    sensitive fields too. DELETE is not sent with ``full``: it would remove the objects the
    walk needs (B's DELETEs above show ownership; a 204 has no body to leak)."""
    key = await issue_key(walk.api, walk.doc, a.key, scopes)
    a.keys.append(key)
    may_see = "sensitive" in scopes
    may_write = "full" in scopes
    problems = []
    shown = False

    def check_leaks(label: str, response: httpx.Response) -> None:
        if not may_see:
            found = sensitive_values(json_of(response))
            found += [s for s in a.secrets if s in response.text]
            if found:
                problems.append(f"{label} without 'sensitive' shows {found}")
        if any(s in response.text for s in a.never_read):
            problems.append(f"{label} shows the secret of one of A's API keys")

    for op in walk:
        if op.method != "GET":
            continue
        for params in query_variants(op, a):
            response = await walk.send(op, key, path_values(op, a), params=params)
            label = f"{op.label}?{params}"
            refused = response.status_code == 403 and code_of(response) == "insufficient_scope"
            if response.status_code != 200 and not (refused and not may_write):
                problems.append(f"{label}: {show(response)}")
            check_leaks(label, response)
            shown = shown or a.pincode in response.text
    if shown != may_see:
        problems.append(f"the charger's pincode was {'' if shown else 'not '}shown to {scopes}")

    before = await walk.snapshot(a)
    for op in walk:
        if not op.is_write or (may_write and op.method == "DELETE"):
            continue
        etag = await walk.etag(op, a)
        response = await walk.send(op, key, path_values(op, a), body=body_for(op, a), etag=etag)
        if may_write:
            if response.status_code not in (200, 201):
                problems.append(f"{op.label}: {show(response)}")
            check_leaks(op.label, response)
        elif response.status_code != 403 or code_of(response) not in (None, "insufficient_scope"):
            problems.append(f"{op.label} without 'full': {show(response)}")
    if not may_write:
        assert await walk.snapshot(a) == before, f"a key with {scopes} changed A's objects"
    assert not problems, "\n".join(problems)
