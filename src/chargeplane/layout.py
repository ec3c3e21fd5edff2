"""The EVSE/connector layout of a charger or hardware template, as the API writes it."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from chargeplane.api.input import StrictInput
from chargeplane.api.params import INT32_MAX
from chargeplane.vocab import ConnectorFormat, ConnectorStandard, PhaseRotation, PowerType


class ConnectorSpec(StrictInput):
    number: int = Field(
        default=1, ge=1, le=INT32_MAX, description="OCPP 2.0.1 connectorId within the EVSE."
    )
    standard: ConnectorStandard
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: int | None = Field(default=None, ge=0, le=INT32_MAX)
    max_amperage: int | None = Field(default=None, ge=0, le=INT32_MAX)
    max_power_kw: float | None = Field(default=None, ge=0)
    phase_rotation: PhaseRotation | None = None


class EvseSpec(StrictInput):
    number: int = Field(
        ge=1, le=INT32_MAX, description="OCPP 2.0.1 evseId; the OCPP 1.6 connectorId."
    )
    name: str | None = Field(default=None, max_length=100)
    max_power_kw: float | None = Field(default=None, ge=0)
    connectors: list[ConnectorSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_connectors(self) -> Self:
        numbers = [c.number for c in self.connectors]
        if len(numbers) != len(set(numbers)):
            raise ValueError("connector numbers must be unique within an EVSE")
        return self


def check_unique_evses(evses: list[EvseSpec]) -> list[EvseSpec]:
    numbers = [e.number for e in evses]
    if len(numbers) != len(set(numbers)):
        raise ValueError("EVSE numbers must be unique")
    return evses
