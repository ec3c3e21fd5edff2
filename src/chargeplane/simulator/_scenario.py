"""Scenarios: what a simulated fleet does, as data (TOML), validated with pydantic.

Every duration is in *simulated* seconds and may be written as a number of seconds or as a
string such as ``"90s"``, ``"15m"``, ``"1h30m"`` or ``"2d"``. A range is ``[low, high]``
(drawn uniformly) or a single value.
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

__all__ = [
    "ConnectorType",
    "CurveSpec",
    "FaultSpec",
    "FleetSpec",
    "ModelSpec",
    "OfflinePeriod",
    "OfflineSpec",
    "RfidSpec",
    "Scenario",
    "ScenarioError",
    "SessionSpec",
    "builtin_scenarios",
    "parse_duration",
]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_HINT = "a duration: seconds, or a string such as '90s', '15m', '1h30m'"


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string like ``"1h30m"``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(_DURATION_HINT)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            parts = _PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ValueError(_DURATION_HINT) from None
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise ValueError(_DURATION_HINT)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("a duration is a finite number of seconds, not negative")
    return seconds


def _as_pair(value: Any) -> Any:
    """A single value stands for the range ``[value, value]``."""
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value, value)


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] > pair[1]:
        raise ValueError(f"a range is [low, high]; {pair[0]} > {pair[1]}")
    return pair


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Simulated seconds."""

PositiveDuration = Annotated[Duration, Field(gt=0)]


def _duration_pair(value: Any) -> tuple[float, float]:
    pair = _as_pair(value)
    if len(pair) != 2:
        raise ValueError("a range is [low, high]")
    low, high = pair
    return parse_duration(low), parse_duration(high)


DurationRange = Annotated[
    tuple[float, float], BeforeValidator(_duration_pair), AfterValidator(_ordered)
]
Percent = Annotated[float, Field(ge=0, le=100)]
PercentRange = Annotated[
    tuple[Percent, Percent], BeforeValidator(_as_pair), AfterValidator(_ordered)
]
PositiveRange = Annotated[
    tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]],
    BeforeValidator(_as_pair),
    AfterValidator(_ordered),
]
IdTag = Annotated[str, Field(min_length=1, max_length=20)]

ConnectorType = Literal["Type1", "Type2", "CCS1", "CCS2", "CHAdeMO", "GBT"]
AC_CONNECTORS: frozenset[str] = frozenset({"Type1", "Type2"})

ErrorCode = Literal[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FleetSpec(_Spec):
    """How many chargers, what they are called, how long and how fast the run is."""

    chargers: int = Field(default=3, ge=1, le=100_000)
    id_prefix: str = Field(default="SIM-", max_length=40, pattern=r"^[A-Za-z0-9._:\-]*$")
    """Charge point identities are ``{id_prefix}{n:03d}``, n from 1."""
    seed: int = 0
    """Every random draw derives from this: the same seed gives the same fleet behaviour."""
    duration: Duration | None = None
    """Simulated run length; unset runs until stopped (Ctrl-C)."""
    speed: float = Field(default=1.0, gt=0, le=100_000)
    """Time scale: 60 makes one simulated minute pass per real second."""
    start: AwareDatetime | None = None
    """Simulated time at the start of the run (default: now). Every timestamp sent follows
    the simulated clock."""
    ramp_up: Duration = 0.0
    """Chargers connect spread evenly over this (simulated) time."""


class ModelSpec(_Spec):
    """A charger model; the fleet is split between models by ``weight``."""

    weight: float = Field(default=1.0, gt=0)
    vendor: str = Field(default="chargeplane", min_length=1, max_length=20)
    model: str = Field(default="SimCharger", min_length=1, max_length=20)
    firmware: str = Field(default="1.0.0", max_length=50)
    evses: int = Field(default=1, ge=1, le=32)
    """EVSEs (OCPP 1.6 connectors 1..n) per charger."""
    connector: ConnectorType = "Type2"
    """Type1/Type2 are AC (three-phase 230 V readings), the others DC."""
    max_power_kw: float = Field(default=22.0, gt=0, le=1000)
    heartbeat_interval: PositiveDuration | None = None
    """Unset: the interval the CSMS sends in the BootNotification answer."""
    meter_interval: PositiveDuration = 60.0
    """Between MeterValues of a running session."""

    @property
    def ac(self) -> bool:
        return self.connector in AC_CONNECTORS


class SessionSpec(_Spec):
    """When vehicles arrive at each EVSE and what they are like."""

    mean_interval: PositiveDuration | None = None
    """Random arrivals: mean idle time of an EVSE before the next vehicle (exponential)."""
    at: list[DurationRange] = Field(default_factory=list)
    """Scheduled arrivals instead, on every EVSE: offsets from the charger's first boot, each
    a time or a window ``[earliest, latest]`` (drawn per EVSE); a vehicle arriving while the
    EVSE is taken plugs in when it is free."""
    duration: DurationRange = (1800.0, 3600.0)
    """How long a vehicle stays plugged in (the session ends when it leaves)."""
    energy_kwh: PositiveRange | None = None
    """Optional energy target: the session ends once this much is delivered."""
    start_soc: PercentRange = (10.0, 50.0)
    target_soc: Annotated[float, Field(gt=0, le=100)] = 100.0
    """The vehicle stops drawing power here (status SuspendedEV) until it leaves."""
    battery_kwh: PositiveRange = (40.0, 100.0)
    max_power_kw: PositiveRange = (50.0, 250.0)
    """What the vehicle accepts; the charger's own maximum caps it."""
    authorize: bool = True
    """Authorize the tag first (while online) and charge only if Accepted."""

    @model_validator(mode="after")
    def _one_schedule(self) -> Self:
        if self.mean_interval is not None and self.at:
            raise ValueError("give either 'mean_interval' (random arrivals) or 'at', not both")
        return self


class CurveSpec(_Spec):
    """Charging curve: constant power up to ``taper_start_soc``, then tapering."""

    taper_start_soc: Percent = 80.0
    end_power_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    """Fraction of the maximum power left at 100 % SoC."""
    shape: Literal["linear", "exponential"] = "linear"


class RfidSpec(_Spec):
    """The pool of RFID tags vehicles present; ``count`` tags are generated if none given."""

    tags: list[IdTag] = Field(default_factory=list)
    count: int = Field(default=10, ge=1, le=100_000)
    prefix: str = Field(default="SIMTAG", max_length=12)

    @property
    def pool(self) -> list[str]:
        if self.tags:
            return list(self.tags)
        return [f"{self.prefix}{n:04d}"[:20] for n in range(1, self.count + 1)]


class FaultSpec(_Spec):
    """Random EVSE faults: StatusNotification Faulted, a running session stopped (Other)."""

    mean_interval: PositiveDuration | None = None
    """Mean time between faults per charger (exponential); unset: no faults."""
    error_codes: list[ErrorCode] = Field(
        default=["GroundFailure", "HighTemperature", "OverCurrentFailure"], min_length=1
    )
    recovery: DurationRange = (60.0, 300.0)


class OfflinePeriod(_Spec):
    at: Duration
    """Offset from the charger's first boot."""
    duration: PositiveDuration
    chargers: list[Annotated[int, Field(ge=1)]] | None = None
    """1-based charger numbers; unset: every charger."""


class OfflineSpec(_Spec):
    """Network outages: the charger drops its connection; transaction messages and status
    notifications made meanwhile are queued and replayed on reconnect with their original
    timestamps (heartbeats are not)."""

    mean_interval: PositiveDuration | None = None
    """Random outages per charger (exponential); unset: only the fixed ``periods``."""
    duration: DurationRange = (60.0, 300.0)
    periods: list[OfflinePeriod] = Field(default_factory=list)


class ScenarioError(ValueError):
    """A scenario that cannot be read or is invalid; the message names every bad key."""


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(exc: ValidationError, source: str) -> ScenarioError:
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        message = message.removeprefix("Value error, ")
        lines.append(f"{source}: {_where(loc)}: {message}")
    return ScenarioError("\n".join(lines))


class Scenario(_Spec):
    """A fleet simulation, loaded from TOML: ``Scenario.load(path)``."""

    name: str = "scenario"
    description: str = ""
    fleet: FleetSpec = FleetSpec()
    models: list[ModelSpec] = Field(default_factory=lambda: [ModelSpec()], min_length=1)
    sessions: SessionSpec = SessionSpec(mean_interval=1800.0)
    curve: CurveSpec = CurveSpec()
    rfid: RfidSpec = RfidSpec()
    faults: FaultSpec = FaultSpec()
    offline: OfflineSpec = OfflineSpec()

    @classmethod
    def parse(cls, data: dict[str, Any], *, source: str = "scenario") -> Scenario:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _describe(exc, source) from None

    @classmethod
    def from_toml(cls, text: str, *, source: str = "scenario") -> Scenario:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{source}: invalid TOML: {exc}") from None
        return cls.parse(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """From a TOML file, or a built-in scenario by name (``demo``)."""
        candidate = Path(path)
        if not candidate.exists() and str(path) in builtin_scenarios():
            return cls.builtin(str(path))
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
        return cls.from_toml(text, source=str(path))

    @classmethod
    def builtin(cls, name: str) -> Scenario:
        """A scenario shipped with the package (``chargeplane/simulator/scenarios``)."""
        if name not in builtin_scenarios():
            raise ScenarioError(f"no built-in scenario {name!r}")
        text = (
            resources.files("chargeplane.simulator")
            .joinpath("scenarios", f"{name}.toml")
            .read_text()
        )
        return cls.from_toml(text, source=f"{name} (built-in)")

    def with_overrides(
        self,
        *,
        chargers: int | None = None,
        duration: float | None = None,
        speed: float | None = None,
        seed: int | None = None,
        id_prefix: str | None = None,
        start: datetime | None = None,
    ) -> Scenario:
        """A copy with the given fleet settings replaced (validated like the file)."""
        given = {
            "chargers": chargers,
            "duration": duration,
            "speed": speed,
            "seed": seed,
            "id_prefix": id_prefix,
            "start": start.astimezone(UTC) if start is not None else None,
        }
        fleet = self.fleet.model_dump() | {k: v for k, v in given.items() if v is not None}
        try:
            spec = FleetSpec.model_validate(fleet)
        except ValidationError as exc:
            raise _describe(exc, "options") from None
        return self.model_copy(update={"fleet": spec})

    def model_for(self, count: int) -> list[ModelSpec]:
        """The model of each of ``count`` chargers, split by weight (largest remainder)."""
        total = sum(m.weight for m in self.models)
        shares = [m.weight / total * count for m in self.models]
        counts = [math.floor(s) for s in shares]
        by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
        for i in by_remainder[: count - sum(counts)]:
            counts[i] += 1
        return [m for m, n in zip(self.models, counts, strict=True) for _ in range(n)]

    def ocpp_id(self, number: int) -> str:
        """The identity of charger ``number`` (1-based)."""
        width = max(3, len(str(self.fleet.chargers)))
        return f"{self.fleet.id_prefix}{number:0{width}d}"


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    folder = resources.files("chargeplane.simulator").joinpath("scenarios")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )
