"""GreenFlux request bodies, and their translation into chargeplane's native write models
(``ChargerCreate``/``ChargerUpdate``, the hardware template trio). The
native rules (ownership, unique identities, etags, layouts) stay in the native services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Self, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chargeplane.api.input import StrictInput
from chargeplane.api.params import INT32_MAX, DbId
from chargeplane.chargers.schemas import ChargerUpdate
from chargeplane.compat._greenflux_model import (
    INTERNAL_NAMES,
    READ_ONLY,
    STANDARD_FORMAT,
    Internal,
    PowerType,
    Standard,
    kilowatts,
)
from chargeplane.errors import ChargeplaneError
from chargeplane.vocab import Capability, ChargerType, ConnectorFormat, ContactlessType, DeployState

RENAMES = {
    "charge_station_id": "ocpp_id",
    "location_id": "site_id",
    "charge_station_template_id": "hardware_template_id",
}
"""GreenFlux field → native field, where the names differ."""

_BACK = {native: ours for ours, native in RENAMES.items()} | {
    "max_power_kw": "max_electric_power",
}

CARRIED = (
    "external_id",
    "name",
    "reference",
    "latitude",
    "longitude",
    "active",
    "vehicle_type",
    "contactless_terminal_id",
    "contactless_token",
    "pincode",
    "setup_pending",
    "setup_completed",
    "licenses",
)
"""Native charger fields GreenFlux has no name for: a GreenFlux PUT keeps them as they are."""


class GreenFluxConnectorIn(StrictInput):
    READ_ONLY = frozenset({"status", "last_updated"})

    id: int = Field(default=1, ge=1, le=INT32_MAX, description='Number within the EVSE ("1" or 1).')
    internal: Internal | None = Field(
        default=None, description="GreenFlux's name; stands for standard + format."
    )
    standard: Standard | None = None
    format: ConnectorFormat | None = None
    power_type: PowerType
    max_voltage: int | None = Field(default=None, ge=0, le=INT32_MAX)
    max_amperage: int | None = Field(default=None, ge=0, le=INT32_MAX)
    max_electric_power: int | None = Field(default=None, ge=0, description="Watts.")

    @field_validator("standard")
    @classmethod
    def _standard_agrees(cls, value: str | None, info: ValidationInfo) -> str | None:
        internal = info.data.get("internal")
        if value is not None and internal is not None and STANDARD_FORMAT[internal][0] != value:
            raise ValueError(f"internal {internal} is {STANDARD_FORMAT[internal][0]}")
        return value

    @field_validator("format")
    @classmethod
    def _format_in_table(cls, value: str | None, info: ValidationInfo) -> str | None:
        internal = info.data.get("internal")
        standard = info.data.get("standard")
        if value is None:
            return value
        if internal is not None and STANDARD_FORMAT[internal][1] != value:
            raise ValueError(f"internal {internal} is a {STANDARD_FORMAT[internal][1]}")
        if standard is not None and (standard, value) not in INTERNAL_NAMES:
            formats = sorted(f for s, f in INTERNAL_NAMES if s == standard)
            raise ValueError(f"{standard} comes as {' or '.join(formats)} only")
        return value

    @model_validator(mode="after")
    def _known_kind(self) -> Self:
        if self.internal is None and (self.standard is None or self.format is None):
            raise ValueError("give standard and format, or internal")
        return self

    def spec(self) -> dict[str, Any]:
        """The native ``ConnectorSpec`` fields (validated by the native model that takes them)."""
        standard, format = (
            STANDARD_FORMAT[self.internal]
            if self.internal is not None
            else (self.standard, self.format)
        )
        return {
            "number": self.id,
            "standard": standard,
            "format": format,
            "power_type": self.power_type,
            "max_voltage": self.max_voltage,
            "max_amperage": self.max_amperage,
            "max_power_kw": kilowatts(self.max_electric_power),
        }


class GreenFluxEvseIn(StrictInput):
    READ_ONLY = frozenset({"uid", "status", "last_updated"})

    number: int | None = Field(
        default=None,
        ge=1,
        le=INT32_MAX,
        description="OCPP connectorId; by default its place in the list.",
    )
    name: str | None = Field(default=None, max_length=100)
    max_electric_power: int | None = Field(default=None, ge=0, description="Watts.")
    connectors: list[GreenFluxConnectorIn] = Field(min_length=1)

    @field_validator("connectors")
    @classmethod
    def _unique_connectors(cls, value: list[GreenFluxConnectorIn]) -> list[GreenFluxConnectorIn]:
        ids = [c.id for c in value]
        if len(ids) != len(set(ids)):
            raise ValueError("connector ids must be unique within an EVSE")
        return value

    def spec(self, position: int) -> dict[str, Any]:
        """The native ``EvseSpec`` fields."""
        return {
            "number": self.number or position,
            "name": self.name,
            "max_power_kw": kilowatts(self.max_electric_power),
            "connectors": [c.spec() for c in self.connectors],
        }


def _unique_numbers(evses: list[GreenFluxEvseIn] | None) -> list[GreenFluxEvseIn] | None:
    if evses is not None:
        numbers = [e.number or i for i, e in enumerate(evses, start=1)]
        if len(numbers) != len(set(numbers)):
            raise ValueError("EVSE numbers must be unique")
    return evses


Evses = Annotated[list[GreenFluxEvseIn] | None, AfterValidator(_unique_numbers)]
Layout = Annotated[list[GreenFluxEvseIn], Field(min_length=1), AfterValidator(_unique_numbers)]


def specs(evses: list[GreenFluxEvseIn]) -> list[dict[str, Any]]:
    return [e.spec(i) for i, e in enumerate(evses, start=1)]


class _StationFields(StrictInput):
    """Required: location, charge station id, default tariff code, deploy state. The optional
    fields are cleared (set to their default) by a PUT that leaves them out."""

    READ_ONLY = READ_ONLY

    charge_station_id: str = Field(
        min_length=1, max_length=255, description="The OCPP identity the charger connects with."
    )
    location_id: DbId = Field(description="The chargeplane site (GreenFlux location).")
    default_tariff_code: str = Field(min_length=1, max_length=64)
    deploy_state: DeployState
    charge_station_template_id: DbId | None = Field(
        default=None, description="Creates the EVSEs from this hardware template."
    )
    evses: Evses = Field(default=None, description="A manual EVSE/connector layout.")
    charger_type: ChargerType = "Public"
    capabilities: list[Capability] = Field(default_factory=list)
    contactless_type: ContactlessType | None = None
    public: bool = False
    reservable: bool = False
    blocked: bool = False
    max_current: float | None = Field(default=None, ge=0)


class GreenFluxChargeStationCreate(_StationFields):
    @model_validator(mode="after")
    def _needs_an_evse(self) -> Self:
        if self.evses is None and self.charge_station_template_id is None:
            raise ValueError(
                "a charge station needs at least one EVSE: give evses or charge_station_template_id"
            )
        return self


class GreenFluxChargeStationReplace(_StationFields):
    READ_ONLY = READ_ONLY - {"etag"}
    charge_station_id: str | None = Field(  # type: ignore[assignment]
        default=None, min_length=1, max_length=255, description="Defaults to the one in the path."
    )
    etag: str | None = Field(default=None, description="The etag replaced (or If-Match).")


class GreenFluxChargeStationUpdate(StrictInput):
    READ_ONLY = READ_ONLY - {"etag"}
    NOT_NULL = frozenset(
        {
            "charge_station_id",
            "location_id",
            "default_tariff_code",
            "deploy_state",
            "evses",
            "charger_type",
            "capabilities",
            "public",
            "reservable",
            "blocked",
        }
    )

    charge_station_id: str | None = Field(default=None, min_length=1, max_length=255)
    location_id: DbId | None = None
    default_tariff_code: str | None = Field(default=None, min_length=1, max_length=64)
    deploy_state: DeployState | None = None
    charge_station_template_id: DbId | None = None
    evses: Evses = None
    charger_type: ChargerType | None = None
    capabilities: list[Capability] | None = None
    contactless_type: ContactlessType | None = None
    public: bool | None = None
    reservable: bool | None = None
    blocked: bool | None = None
    max_current: float | None = Field(default=None, ge=0)
    etag: str | None = Field(
        default=None, description="Optional: when given (or If-Match), a stale one is a 412."
    )


class GreenFluxTemplatePut(StrictInput):
    READ_ONLY = frozenset({"id", "last_updated"})

    vendor: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=100)
    is_dc: bool
    evses: Layout
    etag: str | None = Field(default=None, description="Optional (or If-Match); checked if given.")


# --- translation -------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def native(body: BaseModel, *, given_only: bool = False) -> dict[str, Any]:
    """A GreenFlux charge station body's fields (all, or only those sent) as native values."""
    data = body.model_dump(exclude_unset=given_only, exclude={"etag", "evses"})
    out = {RENAMES.get(k, k): v for k, v in data.items()}
    if out.get("ocpp_id", "") is None:
        del out["ocpp_id"]  # a PUT without charge_station_id keeps the one in the path
    evses: list[GreenFluxEvseIn] | None = getattr(body, "evses", None)
    if evses is not None:
        out["evses"] = specs(evses)
    return out


def to_update(body: BaseModel, *, given_only: bool) -> ChargerUpdate:
    """The native update for GreenFlux ``body``: every GreenFlux field (a PUT: defaults
    included, so omitted ones are cleared) or only those sent (a PATCH)."""
    return build(ChargerUpdate, native(body, given_only=given_only))


def _greenflux_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    return ("body", *(_BACK.get(p, p) if isinstance(p, str) else p for p in loc))


def build(model: type[M], data: dict[str, Any]) -> M:
    """``model`` from ``data``; a refusal is reported as the request's, in GreenFlux names."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {**err, "loc": _greenflux_loc(tuple(err["loc"]))}
            for err in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from exc


@contextmanager
def greenflux_fields() -> Iterator[None]:
    """Native errors naming native body fields (``body.site_id``) name GreenFlux's instead."""
    try:
        yield
    except ChargeplaneError as exc:
        for field in exc.fields:
            name = field.get("field")
            if isinstance(name, str) and name.startswith("body."):
                field["field"] = ".".join(
                    str(p) for p in _greenflux_loc(tuple(name.split(".")[1:]))
                )
        raise
