"""Builds charger snapshots (``ChargerRead``) from the store, with a fixed number of queries
per page of chargers, whatever its size. Chargers, EVSEs, connectors and sessions are read as
plain rows (``ChargerRepository.get``/``list``/``layout``)."""

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
from chargeplane.db.models import Customer, HardwareTemplate, IdToken, Site, Vehicle
from chargeplane.db.models.charger import OcppStatusColumns
from chargeplane.db.models.session import energy_delivered_kwh
from chargeplane.geo import timezone_at
from chargeplane.sessions.repository import SessionRepository, SessionRow
from chargeplane.tokens.repository import TokenRepository

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


class _Related:
    """Tokens, customers and vehicles of a set of sessions, loaded in one go each."""

    def __init__(
        self,
        tokens: dict[int, IdToken],
        customers: dict[int, Customer],
        vehicles: dict[int, Vehicle],
    ) -> None:
        self.tokens, self.customers, self.vehicles = tokens, customers, vehicles

    def session(self, s: SessionRow) -> SessionRead:
        token = self.tokens.get(s.id_token_id) if s.id_token_id else None
        customer = self.customers.get(s.customer_id) if s.customer_id else None
        vehicle = self.vehicles.get(s.vehicle_id) if s.vehicle_id else None
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
            rfid=TokenRef(id=token.id, name=token.name, value=token.value) if token else None,
            customer=CustomerRef(id=customer.id, name=customer.name) if customer else None,
            vehicle=(
                VehicleRef(
                    id=vehicle.id,
                    make=vehicle.make,
                    model=vehicle.model,
                    name=vehicle.name,
                    vin=vehicle.vin,
                )
                if vehicle
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
                id=c.id,
                number=c.number,
                standard=c.standard,
                format=c.format,
                power_type=c.power_type,
                max_voltage=c.max_voltage,
                max_amperage=c.max_amperage,
                max_power_kw=c.max_power_kw,
                phase_rotation=c.phase_rotation,
            )
            for c in connectors
        ],
        current_session=session,
        created_at=evse.created_at,
        updated_at=evse.updated_at,
    )


def _site(site: Site | None) -> SiteRef | None:
    if site is None:
        return None
    return SiteRef(
        id=site.id,
        name=site.name,
        address=site.address,
        latitude=site.latitude,
        longitude=site.longitude,
        timezone=site.timezone,
    )


def _timezone(c: ChargerRow, site: Site | None) -> str | None:
    if c.latitude is not None and c.longitude is not None:
        return timezone_at(c.latitude, c.longitude)
    return site.timezone if site else None


def _template(t: HardwareTemplate | None) -> TemplateRef | None:
    return TemplateRef(id=t.id, vendor=t.vendor, name=t.name, is_dc=t.is_dc) if t else None


def _charger(
    c: ChargerRow,
    layout: Layout,
    site: Site | None,
    template: HardwareTemplate | None,
    sessions: dict[int, SessionRead],
    sealer: Sealer,
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
        timezone=_timezone(c, site),
        hardware_template=_template(template),
        site=_site(site),
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
    without the ``sensitive`` scope (``redacted``)."""
    charger_ids = [c.id for c in chargers]
    active = await SessionRepository(session).active_for_chargers(charger_ids)
    tokens = TokenRepository(session)
    related = _Related(
        await tokens.tokens_by_id({s.id_token_id for s in active if s.id_token_id}),
        await tokens.customers_by_id({s.customer_id for s in active if s.customer_id}),
        await tokens.vehicles_by_id({s.vehicle_id for s in active if s.vehicle_id}),
    )
    by_evse = {s.evse_id: related.session(s) for s in active}  # the latest start wins
    repository = ChargerRepository(session)
    layout = await repository.layout(charger_ids)
    sites = await repository.sites({c.site_id for c in chargers if c.site_id})
    templates = await repository.templates(
        {c.hardware_template_id for c in chargers if c.hardware_template_id}
    )
    out = []
    since = time.perf_counter()
    for c in chargers:
        out.append(
            _charger(
                c,
                layout,
                sites.get(c.site_id) if c.site_id else None,
                templates.get(c.hardware_template_id) if c.hardware_template_id else None,
                by_evse,
                sealer,
            )
        )
        if time.perf_counter() - since > _TIME_SLICE:
            # Building a page of snapshots never waits (SQLite reads run inline): let the
            # chargers' sockets have the event loop between chargers of a long page.
            await asyncio.sleep(0)
            since = time.perf_counter()
    return out


def redacted(snapshot: ChargerRead, *, sensitive: bool) -> ChargerRead:
    """The snapshot as a caller may see it: sensitive fields only with that scope."""
    return snapshot if sensitive else snapshot.model_copy(update={"sensitive": None})
