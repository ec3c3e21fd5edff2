"""A simulated OCPP 1.6J charge point driving a CSMS over a real websocket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ocpp.v16 import call  # type: ignore[import-untyped, unused-ignore]

from ._link import StationLink
from ._types import Sample
from ._wire import format_datetime, meter_value

__all__ = ["Station"]


class Station(StationLink):
    """One simulated charger: a websocket to ``{url}/{ocpp_id}`` plus OCPP 1.6 CALLs.

    Every CALL method returns the CALLRESULT payload exactly as received on the
    wire (camelCase keys) and raises :class:`CallError` on a CALLERROR.
    Use ``async with Station(...) as station:`` or ``connect()`` / ``close()``.
    """

    async def boot(self) -> dict[str, Any]:
        """BootNotification built from the station config."""
        cfg = self.config
        return await self._call(
            call.BootNotification(
                charge_point_model=cfg.model,
                charge_point_vendor=cfg.vendor,
                charge_box_serial_number=cfg.charge_box_serial_number,
                charge_point_serial_number=cfg.serial_number,
                firmware_version=cfg.firmware_version,
                iccid=cfg.iccid,
                imsi=cfg.imsi,
                meter_serial_number=cfg.meter_serial_number,
                meter_type=cfg.meter_type,
            )
        )

    async def heartbeat(self) -> dict[str, Any]:
        """Heartbeat."""
        return await self._call(call.Heartbeat())

    async def status(
        self,
        connector_id: int,
        status: str,
        *,
        error_code: str = "NoError",
        info: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
        timestamp: datetime | None = None,
    ) -> dict[str, Any]:
        """StatusNotification (``timestamp`` is omitted when ``None``)."""
        return await self._call(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=error_code,
                status=status,
                timestamp=None if timestamp is None else format_datetime(timestamp),
                info=info,
                vendor_id=vendor_id,
                vendor_error_code=vendor_error_code,
            )
        )

    async def authorize(self, id_tag: str) -> dict[str, Any]:
        """Authorize."""
        return await self._call(call.Authorize(id_tag=id_tag))

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        *,
        meter_start: int,
        timestamp: datetime,
        reservation_id: int | None = None,
    ) -> dict[str, Any]:
        """StartTransaction."""
        return await self._call(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=format_datetime(timestamp),
                reservation_id=reservation_id,
            )
        )

    async def meter_values(
        self,
        connector_id: int,
        samples: Sequence[Sample],
        *,
        timestamp: datetime,
        transaction_id: int | None = None,
    ) -> dict[str, Any]:
        """MeterValues with a single ``meterValue`` entry holding all ``samples``."""
        return await self._call(
            call.MeterValues(
                connector_id=connector_id,
                meter_value=[meter_value(timestamp, samples)],
                transaction_id=transaction_id,
            )
        )

    async def stop_transaction(
        self,
        transaction_id: int,
        *,
        meter_stop: int,
        timestamp: datetime,
        id_tag: str | None = None,
        reason: str | None = None,
        transaction_data: Sequence[tuple[datetime, Sequence[Sample]]] | None = None,
    ) -> dict[str, Any]:
        """StopTransaction; each ``transaction_data`` item becomes one ``meterValue``."""
        data = (
            None
            if transaction_data is None
            else [meter_value(moment, samples) for moment, samples in transaction_data]
        )
        return await self._call(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=format_datetime(timestamp),
                transaction_id=transaction_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=data,
            )
        )

    async def data_transfer(
        self, vendor_id: str, *, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        """DataTransfer."""
        return await self._call(
            call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)
        )

    async def diagnostics_status(self, status: str) -> dict[str, Any]:
        """DiagnosticsStatusNotification."""
        return await self._call(call.DiagnosticsStatusNotification(status=status))

    async def firmware_status(self, status: str) -> dict[str, Any]:
        """FirmwareStatusNotification."""
        return await self._call(call.FirmwareStatusNotification(status=status))
