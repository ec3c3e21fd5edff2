"""Every query on chargers, EVSEs and their status."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy import insert as core_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.appends import append
from chargeplane.db.base import Columns, table_of
from chargeplane.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Evse,
    HardwareTemplate,
    MeterReading,
    Site,
    StatusEvent,
)
from chargeplane.db.prepared import Prepared
from chargeplane.db.queries import any_of, compare_and_set, live_update, owned, page, prefixed
from chargeplane.db.upsert import per_dialect
from chargeplane.facts import BootFacts, StatusFact

# Rows of ``chargers`` (with their site's and template's columns: ``_WITH_SITE_AND_TEMPLATE``),
# of ``evses``, and of ``evses`` joined with ``connectors`` (``layout``).
ChargerRow = Columns
EvseRow = Columns
ConnectorRow = Columns


@dataclass
class Layout:
    """EVSE rows by charger id and connector rows by EVSE id, each in number order."""

    evses: dict[int, list[EvseRow]] = field(default_factory=dict)
    connectors: dict[int, list[ConnectorRow]] = field(default_factory=dict)


class ChargerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the OCPP side -------------------------------------------------------------------
    # Every OCPP message runs one or two of these, so they are built once, as Core statements
    # with bound parameters: per call SQLAlchemy then only looks up the compiled form
    # (building the statement and its cache key each time cost more than running it).

    async def register(self, ocpp_id: str, organization_id: int, *, now: datetime) -> None:
        """Register an identity seen for the first time (a concurrent twin is a no-op)."""
        await _REGISTER.run(
            self.session,
            {
                "uuid": str(uuidlib.uuid4()),
                "organization_id": organization_id,
                "ocpp_id": ocpp_id,
                "connection_seq": 0,
                "created_at": now,
                "updated_at": now,
            },
        )

    async def mark_connected(
        self,
        ocpp_id: str,
        *,
        now: datetime,
        client_ip: str | None,
        node_name: str,
        protocol: str,
    ) -> tuple[int, int, int] | None:
        """Record a new connection of the charger with this identity, in one statement:
        ``(charger_id, organization_id, connection sequence number)``, or None if unknown."""
        row = (
            await _CONNECTED.run(
                self.session,
                {
                    "p_ocpp_id": ocpp_id,
                    "p_now": now,
                    "p_client_ip": client_ip,
                    "p_node_name": node_name,
                    "p_protocol": protocol,
                },
            )
        ).first()
        return (row[0], row[1], row[2]) if row else None

    async def mark_disconnected(
        self, charger_id: int, connection_seq: int, *, now: datetime
    ) -> bool:
        """Record the end of connection ``connection_seq``; a newer connection is left alone."""
        result = await _DISCONNECTED.run(
            self.session, {"p_id": charger_id, "p_seq": connection_seq, "p_now": now}
        )
        return bool(result.rowcount)

    async def mark_node_disconnected(self, node_name: str, *, now: datetime) -> int:
        """After a restart: connections this node held are gone."""
        result = await self.session.execute(
            live_update(Charger)
            .where(Charger.node_name == node_name, Charger.connection_status == "Connected")
            .values(
                connection_status="Disconnected",
                connection_status_at=now,
                last_disconnected_at=now,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def record_boot(
        self, charger_id: int, facts: BootFacts, *, now: datetime, heartbeat_interval: int
    ) -> None:
        await _BOOTED.run(
            self.session,
            {
                "p_id": charger_id,
                "p_vendor": facts.vendor,
                "p_model": facts.model,
                "p_serial_number": facts.serial_number,
                "p_charge_box_serial_number": facts.charge_box_serial_number,
                "p_firmware_version": facts.firmware_version,
                "p_iccid": facts.iccid,
                "p_imsi": facts.imsi,
                "p_meter_type": facts.meter_type,
                "p_meter_serial_number": facts.meter_serial_number,
                "p_now": now,
                "p_heartbeat_interval": heartbeat_interval,
            },
        )

    def record_heartbeat(self, charger_id: int, *, now: datetime) -> None:
        """Queued: written with the unit of work's other queued writes (db/appends.py)."""
        append(self.session, _HEARTBEAT, [{"p_id": charger_id, "p_now": now}])

    async def record_notification(
        self, charger_id: int, kind: str, status: str, *, now: datetime
    ) -> None:
        """Firmware or diagnostics progress (``kind`` is ``firmware`` or ``diagnostics``)."""
        await self.session.execute(
            live_update(Charger)
            .where(Charger.id == charger_id)
            .values({f"{kind}_status": status, f"{kind}_status_at": now})
        )

    def record_charger_status(self, charger_id: int, fact: StatusFact, *, now: datetime) -> None:
        """Status of connectorId 0, unless a newer one (by the charger's clock) is stored.
        Queued (db/appends.py)."""
        append(self.session, _CHARGER_STATUS, [{"p_id": charger_id, **_status_params(fact, now)}])

    def record_evse_status(self, charger_id: int, fact: StatusFact, *, now: datetime) -> None:
        """Status of one EVSE, created on first sight; an older report does not win. Queued
        (db/appends.py)."""
        append(
            self.session,
            _EVSE_STATUS,
            [
                {
                    "charger_id": charger_id,
                    "number": fact.evse_number,
                    "created_at": now,
                    "updated_at": now,
                    **_status_values(fact, now),
                }
            ],
        )

    async def ensure_evse(self, charger_id: int, number: int, *, now: datetime) -> int:
        """The id of EVSE ``number``, created on first sight."""
        by = {"p_charger_id": charger_id, "p_number": number}
        evse_id: int | None = (await _EVSE_ID.run(self.session, by)).scalar()
        if evse_id is None:
            await _ADD_EVSE.run(
                self.session,
                {"charger_id": charger_id, "number": number, "created_at": now, "updated_at": now},
            )
            evse_id = (await _EVSE_ID.run(self.session, by)).scalar()
        assert evse_id is not None
        return evse_id

    def add_status_event(self, charger_id: int, fact: StatusFact, *, now: datetime) -> None:
        """Queued: written with the unit of work's other appended rows (db/appends.py)."""
        append(
            self.session,
            _ADD_STATUS_EVENT,
            [
                {
                    "charger_id": charger_id,
                    "evse_number": fact.evse_number,
                    "status": fact.status,
                    "error_code": fact.error_code,
                    "vendor_id": fact.vendor_id,
                    "vendor_error_code": fact.vendor_error_code,
                    "info": fact.info,
                    "timestamp": fact.timestamp,
                    "received_at": now,
                }
            ],
        )

    # --- the read side --------------------------------------------------------------------

    # Snapshots are read as plain rows (``row.status`` …), not ORM objects: loading a charger
    # with its EVSEs and connectors as objects cost more than the rest of a GET together.

    async def get(self, organization_id: int, **by: Any) -> ChargerRow | None:
        """One charger of the organization by ``id``, ``uuid``, ``ocpp_id`` or ``external_id``,
        with its site's and hardware template's columns (``_WITH_SITE_AND_TEMPLATE``)."""
        ((column, value),) = by.items()
        result = await _GET_BY[column].run(self.session, {"p_org": organization_id, "p": value})
        row: ChargerRow | None = result.first()
        return row

    async def layout(self, charger_ids: Sequence[int]) -> Layout:
        """The EVSEs of the chargers and the connectors of those EVSEs, in number order, read
        in one statement: an EVSE row once per connector, with the connector's columns
        (``connector_id``, ``connector_number`` …; None for an EVSE without connectors)."""
        layout = Layout()
        if not charger_ids:
            return layout
        last_evse_id = None
        for row in (await _LAYOUT_OF.run(self.session, {"p_ids": list(charger_ids)})).rows:
            if row.id != last_evse_id:
                layout.evses.setdefault(row.charger_id, []).append(row)
                last_evse_id = row.id
            if row.connector_id is not None:
                layout.connectors.setdefault(row.id, []).append(row)
        return layout

    async def list(
        self,
        organization_id: int,
        *,
        after_id: int | None,
        limit: int,
        updated_since: datetime | None = None,
        site_id: int | None = None,
        connectivity: str | None = None,
        status: str | None = None,
    ) -> tuple[Sequence[ChargerRow], bool]:
        stmt = _WITH_SITE_AND_TEMPLATE.where(Charger.organization_id == organization_id)
        if updated_since is not None:
            stmt = stmt.where(Charger.updated_at >= updated_since)
        if site_id is not None:
            stmt = stmt.where(Charger.site_id == site_id)
        if connectivity == "Online":
            stmt = stmt.where(Charger.connection_status == "Connected")
        elif connectivity == "Offline":
            stmt = stmt.where(
                or_(Charger.connection_status.is_(None), Charger.connection_status != "Connected")
            )
        if status is not None:
            with_status = select(Evse.charger_id).where(Evse.status == status)
            stmt = stmt.where(or_(Charger.status == status, Charger.id.in_(with_status)))
        return await page(self.session, stmt, Charger.id, after_id=after_id, limit=limit, rows=True)

    # --- management -----------------------------------------------------------------------

    async def owned(self, organization_id: int, charger_id: int) -> Charger | None:
        return await owned(self.session, Charger, organization_id, charger_id)

    async def add(self, charger: Charger) -> Charger:
        self.session.add(charger)
        await self.session.flush()
        return charger

    async def change(
        self,
        charger_id: int,
        expected_etag: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> str | None:
        return await compare_and_set(
            self.session, Charger, charger_id, expected_etag, values, now=now
        )

    async def ocpp_id_taken(self, ocpp_id: str, *, other_than: int | None = None) -> bool:
        stmt = select(Charger.id).where(Charger.ocpp_id == ocpp_id)
        if other_than is not None:
            stmt = stmt.where(Charger.id != other_than)
        return await self.session.scalar(stmt) is not None

    async def external_id_taken(
        self, organization_id: int, external_id: str, *, other_than: int | None = None
    ) -> bool:
        stmt = select(Charger.id).where(
            Charger.organization_id == organization_id, Charger.external_id == external_id
        )
        if other_than is not None:
            stmt = stmt.where(Charger.id != other_than)
        return await self.session.scalar(stmt) is not None

    async def has_sessions(self, charger_id: int) -> bool:
        found = await self.session.scalar(
            select(ChargingSession.id).where(ChargingSession.charger_id == charger_id).limit(1)
        )
        return found is not None

    async def delete(self, charger: Charger) -> None:
        await self.session.execute(delete(StatusEvent).where(StatusEvent.charger_id == charger.id))
        await self.session.execute(
            delete(MeterReading).where(MeterReading.charger_id == charger.id)
        )
        evse_ids = select(Evse.id).where(Evse.charger_id == charger.id)
        await self.session.execute(delete(Connector).where(Connector.evse_id.in_(evse_ids)))
        await self.session.execute(delete(Evse).where(Evse.charger_id == charger.id))
        await self.session.execute(delete(Charger).where(Charger.id == charger.id))


_STATUS_COLUMNS = (
    "status",
    "error_code",
    "vendor_id",
    "vendor_error_code",
    "status_info",
    "status_timestamp",
    "status_received_at",
)


def _status_values(fact: StatusFact, now: datetime) -> dict[str, Any]:
    return {
        "status": fact.status,
        "error_code": fact.error_code,
        "vendor_id": fact.vendor_id,
        "vendor_error_code": fact.vendor_error_code,
        "status_info": fact.info,
        "status_timestamp": fact.timestamp,
        "status_received_at": now,
    }


def _status_params(fact: StatusFact, now: datetime) -> dict[str, Any]:
    """``_status_values`` as the bound parameters of ``_status_set()``."""
    return {f"p_{column}": value for column, value in _status_values(fact, now).items()}


def _status_set() -> dict[str, Any]:
    return {column: bindparam(f"p_{column}") for column in _STATUS_COLUMNS}


def _not_older(column: Any) -> Any:
    """No timestamp given, or none stored, or the stored one is not newer."""
    stamp = bindparam("p_status_timestamp", type_=column.type)
    return or_(stamp.is_(None), column.is_(None), column <= stamp)


_chargers = table_of(Charger)
_evses = table_of(Evse)
_connectors = table_of(Connector)

_sites = table_of(Site)
_templates = table_of(HardwareTemplate)

# A charger with its site's and hardware template's columns (``site_name``,
# ``template_vendor`` …; None without one): a snapshot reads them in the charger's statement,
# not in a statement each. Every statement of a REST read is a round trip on PostgreSQL, and
# under OCPP load a turn of the event loop before the request goes on.
_WITH_SITE_AND_TEMPLATE = select(
    _chargers,
    *prefixed(_sites, "site", "name", "address", "latitude", "longitude", "timezone"),
    *prefixed(_templates, "template", "vendor", "name", "is_dc"),
).select_from(
    _chargers.outerjoin(_sites, _sites.c.id == _chargers.c.site_id).outerjoin(
        _templates, _templates.c.id == _chargers.c.hardware_template_id
    )
)

# A GET by each lookup column, built once (as on the OCPP side). Snapshot reads run as
# prepared statements (``db/prepared.py``): through session.execute a small select cost
# ~175-250 µs of CPU on the event loop's thread, measured, and a REST GET runs four (its API
# key's and three for the snapshot).
_GET_BY = {
    column: Prepared(
        _WITH_SITE_AND_TEMPLATE.where(
            _chargers.c.organization_id == bindparam("p_org"),
            _chargers.c[column] == bindparam("p"),
        )
    )
    for column in ("id", "uuid", "ocpp_id", "external_id")
}

_LAYOUT_OF = Prepared(
    {
        dialect: select(_evses, *prefixed(_connectors, "connector"))
        .select_from(_evses.outerjoin(_connectors, _connectors.c.evse_id == _evses.c.id))
        .where(of_chargers)
        .order_by(_evses.c.charger_id, _evses.c.number, _connectors.c.number)
        for dialect, of_chargers in any_of(_evses.c.charger_id, "p_ids").items()
    }
)

_REGISTER = Prepared(
    per_dialect(lambda insert: insert(_chargers).on_conflict_do_nothing(index_elements=["ocpp_id"]))
)

_CONNECTED = Prepared(
    update(_chargers)
    .where(_chargers.c.ocpp_id == bindparam("p_ocpp_id"))
    .values(
        connection_seq=_chargers.c.connection_seq + 1,
        connection_status="Connected",
        connection_status_at=bindparam("p_now"),
        last_connected_at=bindparam("p_now"),
        client_ip=bindparam("p_client_ip"),
        node_name=bindparam("p_node_name"),
        protocol=bindparam("p_protocol"),
    )
    .returning(_chargers.c.id, _chargers.c.organization_id, _chargers.c.connection_seq)
)

_DISCONNECTED = Prepared(
    update(_chargers)
    .where(_chargers.c.id == bindparam("p_id"), _chargers.c.connection_seq == bindparam("p_seq"))
    .values(
        connection_status="Disconnected",
        connection_status_at=bindparam("p_now"),
        last_disconnected_at=bindparam("p_now"),
    )
)

_BOOTED = Prepared(
    update(_chargers)
    .where(_chargers.c.id == bindparam("p_id"))
    .values(
        {
            **{
                column: bindparam(f"p_{column}")
                for column in (
                    "vendor",
                    "model",
                    "serial_number",
                    "charge_box_serial_number",
                    "firmware_version",
                    "iccid",
                    "imsi",
                    "meter_type",
                    "meter_serial_number",
                    "heartbeat_interval",
                )
            },
            "last_boot_at": bindparam("p_now"),
            "last_heartbeat_at": bindparam("p_now"),
            "updated_at": bindparam("p_now"),
        }
    )
)

_HEARTBEAT = Prepared(
    update(_chargers)
    .where(_chargers.c.id == bindparam("p_id"))
    .values(last_heartbeat_at=bindparam("p_now"))
)

_CHARGER_STATUS = Prepared(
    update(_chargers)
    .where(_chargers.c.id == bindparam("p_id"), _not_older(_chargers.c.status_timestamp))
    .values(_status_set())
)


def _evse_status(insert: Any) -> Any:
    stmt = insert(_evses)
    new, stored = stmt.excluded, _evses.c.status_timestamp
    return stmt.on_conflict_do_update(
        index_elements=["charger_id", "number"],
        set_={column: new[column] for column in _STATUS_COLUMNS},
        where=or_(new.status_timestamp.is_(None), stored.is_(None), stored <= new.status_timestamp),
    )


_EVSE_STATUS = Prepared(per_dialect(_evse_status))

_EVSE_ID = Prepared(
    select(_evses.c.id).where(
        _evses.c.charger_id == bindparam("p_charger_id"), _evses.c.number == bindparam("p_number")
    )
)

_ADD_EVSE = Prepared(
    per_dialect(
        lambda insert: insert(_evses).on_conflict_do_nothing(
            index_elements=["charger_id", "number"]
        )
    )
)

_ADD_STATUS_EVENT = Prepared(core_insert(table_of(StatusEvent)))
