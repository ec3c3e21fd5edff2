"""Builds charger snapshots (``ChargerRead``) from the store in three statements per page of
chargers, whatever its size: the chargers with their sites and hardware templates
(``ChargerRepository.get``/``list``), their EVSEs with their connectors (``layout``), and their
active sessions with their id tokens, customers and vehicles (``active_for_chargers``). All
are read as plain rows, not ORM objects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.repository import (
    ChargerRepository,
    ChargerRow,
    ConnectorRow,
    EvseRow,
    Layout,
)
from chargeplane.chargers.schemas import (
    BootInfo,
    ChargerRead,
    ConnectionInfo,
    ConnectorRead,
    Contactless,
    CustomerRef,
    EvseRead,
    LatestReadings,
    Licenses,
    OcppStatus,
    Reading,
    Sensitive,
    SessionRead,
    SiteRef,
    TemplateRef,
    TokenRef,
    VehicleRef,
)
from chargeplane.crypto import Sealer
from chargeplane.db.models.charger import OcppStatusColumns
from chargeplane.db.models.session import energy_delivered_kwh
from chargeplane.geo import timezone_at
from chargeplane.sessions.repository import SessionRepository, SessionRow

# Seconds of building snapshots between two turns of the event loop (group commit's slice).
_TIME_SLICE = 0.002


def _reading(value: float | None, at: datetime | None) -> Reading | None:
    return Reading(value=value, timestamp=at) if value is not None and at is not None else None


def ocpp_status(row: OcppStatusColumns | EvseRow) -> OcppStatus | None:
    """The live OCPP status of a charger (connectorId 0) or an EVSE; None until reported."""
    if row.status is None:
        return None
    return OcppStatus(
        status=row.status,
        error_code=row.error_code,
        vendor_id=row.vendor_id,
        vendor_error_code=row.vendor_error_code,
        info=row.status_info,
        timestamp=row.status_timestamp,
        received_at=row.status_received_at,
    )


def _session(s: SessionRow) -> SessionRead:
    """An active session, with its id token, customer and vehicle (``active_for_chargers``)."""
    return SessionRead(
        id=s.id,
        transaction_id=s.id,
        state=s.state,
        evse_number=s.evse_number,
        id_tag=s.id_tag,
        auth_status=s.auth_status,
        started_at=s.started_at,
        meter_start_wh=s.meter_start,
        soc_start_percent=s.soc_start_percent,
        energy_delivered_kwh=round(energy_delivered_kwh(s), 4),
        latest_readings=LatestReadings(
            power_kw=_reading(s.power_kw, s.power_at),
            current_a=_reading(s.current_a, s.current_at),
            voltage_v=_reading(s.voltage_v, s.voltage_at),
            soc_percent=_reading(s.soc_percent, s.soc_at),
            energy_register_wh=_reading(s.energy_register_wh, s.energy_register_at),
        ),
        rfid=(
            TokenRef(id=s.id_token_id, name=s.token_name, value=s.token_value)
            if s.id_token_id is not None
            else None
        ),
        customer=(
            CustomerRef(id=s.customer_id, name=s.customer_name)
            if s.customer_id is not None
            else None
        ),
        vehicle=(
            VehicleRef(
                id=s.vehicle_id,
                make=s.vehicle_make,
                model=s.vehicle_model,
                name=s.vehicle_name,
                vin=s.vehicle_vin,
            )
            if s.vehicle_id is not None
            else None
        ),
        flags=list(s.flags),
    )


def _evse(evse: EvseRow, connectors: list[ConnectorRow], session: SessionRead | None) -> EvseRead:
    return EvseRead(
        id=evse.id,
        number=evse.number,
        name=evse.name,
        max_power_kw=evse.max_power_kw,
        ocpp_status=ocpp_status(evse),
        connectors=[
            ConnectorRead(
                id=c.connector_id,
                number=c.connector_number,
                standard=c.connector_standard,
                format=c.connector_format,
                power_type=c.connector_power_type,
                max_voltage=c.connector_max_voltage,
                max_amperage=c.connector_max_amperage,
                max_power_kw=c.connector_max_power_kw,
                phase_rotation=c.connector_phase_rotation,
            )
            for c in connectors
        ],
        current_session=session,
        created_at=evse.created_at,
        updated_at=evse.updated_at,
    )


def _site(c: ChargerRow) -> SiteRef | None:
    if c.site_id is None:
        return None
    return SiteRef(
        id=c.site_id,
        name=c.site_name,
        address=c.site_address,
        latitude=c.site_latitude,
        longitude=c.site_longitude,
        timezone=c.site_timezone,
    )


def _timezone(c: ChargerRow) -> str | None:
    if c.latitude is not None and c.longitude is not None:
        return timezone_at(c.latitude, c.longitude)
    return c.site_timezone if c.site_id is not None else None


def _template(c: ChargerRow) -> TemplateRef | None:
    if c.hardware_template_id is None:
        return None
    return TemplateRef(
        id=c.hardware_template_id,
        vendor=c.template_vendor,
        name=c.template_name,
        is_dc=c.template_is_dc,
    )


def _charger(
    c: ChargerRow, layout: Layout, sessions: dict[int, SessionRead], sealer: Sealer
) -> ChargerRead:
    return ChargerRead(
        id=c.id,
        uuid=c.uuid,
        ocpp_id=c.ocpp_id,
        external_id=c.external_id,
        name=c.name,
        reference=c.reference,
        organization_id=c.organization_id,
        site_id=c.site_id,
        hardware_template_id=c.hardware_template_id,
        latitude=c.latitude,
        longitude=c.longitude,
        active=c.active,
        public=c.public,
        reservable=c.reservable,
        blocked=c.blocked,
        deploy_state=c.deploy_state,
        charger_type=c.charger_type,
        vehicle_type=c.vehicle_type,
        capabilities=list(c.capabilities),
        contactless=Contactless(
            type=c.contactless_type,
            terminal_id=c.contactless_terminal_id,
        ),
        max_current=c.max_current,
        default_tariff_code=c.default_tariff_code,
        setup_pending=c.setup_pending,
        setup_completed=c.setup_completed,
        licenses=Licenses(smart=c.license_smart, pro=c.license_pro),
        remote_manageable=c.remote_manageable,
        sensitive=Sensitive(
            pincode=sealer.open(c.pincode_sealed),
            contactless_token=sealer.open(c.contactless_token_sealed),
        ),
        connectivity="Online" if c.connection_status == "Connected" else "Offline",
        firmware_status=c.firmware_status,
        diagnostics_status=c.diagnostics_status,
        etag=c.etag,
        timezone=_timezone(c),
        hardware_template=_template(c),
        site=_site(c),
        boot=BootInfo(
            vendor=c.vendor,
            model=c.model,
            serial_number=c.serial_number,
            charge_box_serial_number=c.charge_box_serial_number,
            firmware_version=c.firmware_version,
            iccid=c.iccid,
            imsi=c.imsi,
            meter_type=c.meter_type,
            meter_serial_number=c.meter_serial_number,
            last_boot_at=c.last_boot_at,
        ),
        connection=ConnectionInfo(
            status=c.connection_status,
            status_at=c.connection_status_at,
            last_connected_at=c.last_connected_at,
            last_disconnected_at=c.last_disconnected_at,
            last_heartbeat_at=c.last_heartbeat_at,
            heartbeat_interval=c.heartbeat_interval,
            client_ip=c.client_ip,
            node_name=c.node_name,
            protocol=c.protocol,
        ),
        ocpp_status=ocpp_status(c),
        evses=[
            _evse(e, layout.connectors.get(e.id, []), sessions.get(e.id))
            for e in layout.evses.get(c.id, [])
        ],
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


async def snapshots(
    session: AsyncSession, chargers: Sequence[ChargerRow], sealer: Sealer
) -> list[ChargerRead]:
    """Snapshots of ``chargers``, sensitive fields opened: callers redact them for keys
    without the ``sensitive`` scope (``redacted``). ``chargers`` come from
    ``ChargerRepository.get`` (after ``snapshot_of``'s ``flush_pending``) or ``list``
    (``session.execute``, which autoflushes), so what a write endpoint changed is written
    before the prepared reads here."""
    charger_ids = [c.id for c in chargers]
    active = await SessionRepository(session).active_for_chargers(charger_ids)
    by_evse = {s.evse_id: _session(s) for s in active}  # the latest start wins
    layout = await ChargerRepository(session).layout(charger_ids)
    out = []
    since = time.perf_counter()
    for c in chargers:
        out.append(_charger(c, layout, by_evse, sealer))
        if time.perf_counter() - since > _TIME_SLICE:
            # Building a page of snapshots never waits (SQLite reads run inline): let the
            # chargers' sockets have the event loop between chargers of a long page.
            await asyncio.sleep(0)
            since = time.perf_counter()
    return out


def redacted(snapshot: ChargerRead, *, sensitive: bool) -> ChargerRead:
    """The snapshot as a caller may see it: sensitive fields only with that scope."""
    return snapshot if sensitive else snapshot.model_copy(update={"sensitive": None})
