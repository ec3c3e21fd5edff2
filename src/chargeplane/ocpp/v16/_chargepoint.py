"""The OCPP 1.6 routing table: one line per action, each calling a free handler function."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, MessageType, unpack
from ocpp.routing import create_route_map, on
from ocpp.v16 import ChargePoint as _ChargePoint
from ocpp.v16 import call
from ocpp.v16.enums import Action

from chargeplane.ocpp._errors import call_error_frame, unique_id_of
from chargeplane.ocpp._validation import validate
from chargeplane.ocpp.v16 import (
    authorization,
    availability,
    data_transfer,
    firmware,
    provisioning,
    transactions,
)
from chargeplane.ocpp.v16._context import Context

log = logging.getLogger(__name__)
_wire = logging.getLogger("chargeplane.ocpp.wire")
_Handler = TypeVar("_Handler", bound=Callable[..., Awaitable[Any]])


def _on(action: Action) -> Callable[[_Handler], _Handler]:
    """``@on`` with the package's validation off: ``_handle_call`` validates with compiled
    schemas and OCPP 1.6's error codes instead."""
    decorator: Callable[[_Handler], _Handler] = on(action, skip_schema_validation=True)
    return decorator


class _Routes(Mapping[str, dict[str, Any]]):
    """The package's route map, built once per class instead of once per connection (it
    holds a bound method and a dict per action: ~6 KiB per charger, measured with tracemalloc,
    against a 40 KiB budget). Entries are bound to the charge point when looked up."""

    __slots__ = ("_owner", "_table")

    def __init__(self, owner: Any, table: dict[str, dict[str, Any]]) -> None:
        self._owner, self._table = owner, table

    def __getitem__(self, action: str) -> dict[str, Any]:
        entry = self._table[action]
        return {**entry, "_on_action": entry["_on_action"].__get__(self._owner)}

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


class ChargePoint(_ChargePoint):  # type: ignore[misc]
    _route_table: ClassVar[dict[str, dict[str, Any]] | None] = None

    def __init__(self, ctx: Context, connection: Any) -> None:
        super().__init__(
            ctx.connection.ocpp_id,
            connection,
            response_timeout=ctx.runtime.settings.ocpp.response_timeout,
            logger=_wire,
        )
        self.route_map = _Routes(self, self._table())
        self.ctx = ctx

    @classmethod
    def _table(cls) -> dict[str, dict[str, Any]]:
        """The routing table with plain functions, from the package's map of the first one."""
        if cls._route_table is None:
            cls._route_table = {
                action: {**entry, "_on_action": entry["_on_action"].__func__}
                for action, entry in create_route_map(cls.__new__(cls)).items()
            }
        return cls._route_table

    async def route_message(self, raw_msg: str) -> None:
        """As the ``ocpp`` package does, but every malformed frame gets its CALLERROR with
        OCPP 1.6's error codes (the package drops unparseable frames silently)."""
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            await self._send(call_error_frame(unique_id_of(raw_msg), error, version="1.6"))
            return
        if msg.message_type_id == MessageType.Call:
            try:
                await self._handle_call(msg)
            except OCPPError as error:
                await self._send(call_error_frame(msg.unique_id, error, version="1.6"))
        elif msg.message_type_id in (MessageType.CallResult, MessageType.CallError):
            self._response_queue.put_nowait(msg)

    async def _handle_call(self, msg: Call) -> None:
        if msg.action in self.route_map:  # others: the package answers NotImplemented/NotSupported
            validate("1.6", msg.action, msg.payload)
        try:
            await super()._handle_call(msg)
        except OCPPError:
            raise
        except Exception as error:  # a handler error the package did not turn into a CALLERROR
            log.exception("%s: %s failed", self.id, msg.action)
            await self._send(call_error_frame(msg.unique_id, error, version="1.6"))

    @_on(Action.boot_notification)
    async def _boot_notification(self, **kw: Any) -> Any:
        return await provisioning.boot_notification(self.ctx, call.BootNotification(**kw))

    @_on(Action.heartbeat)
    async def _heartbeat(self, **kw: Any) -> Any:
        return await provisioning.heartbeat(self.ctx, call.Heartbeat(**kw))

    @_on(Action.status_notification)
    async def _status_notification(self, **kw: Any) -> Any:
        return await availability.status_notification(self.ctx, call.StatusNotification(**kw))

    @_on(Action.authorize)
    async def _authorize(self, **kw: Any) -> Any:
        return await authorization.authorize(self.ctx, call.Authorize(**kw))

    @_on(Action.start_transaction)
    async def _start_transaction(self, **kw: Any) -> Any:
        return await transactions.start_transaction(self.ctx, call.StartTransaction(**kw))

    @_on(Action.meter_values)
    async def _meter_values(self, **kw: Any) -> Any:
        return await transactions.meter_values(self.ctx, call.MeterValues(**kw))

    @_on(Action.stop_transaction)
    async def _stop_transaction(self, **kw: Any) -> Any:
        return await transactions.stop_transaction(self.ctx, call.StopTransaction(**kw))

    @_on(Action.data_transfer)
    async def _data_transfer(self, **kw: Any) -> Any:
        return await data_transfer.data_transfer(self.ctx, call.DataTransfer(**kw))

    @_on(Action.diagnostics_status_notification)
    async def _diagnostics_status_notification(self, **kw: Any) -> Any:
        return await firmware.diagnostics_status_notification(
            self.ctx, call.DiagnosticsStatusNotification(**kw)
        )

    @_on(Action.firmware_status_notification)
    async def _firmware_status_notification(self, **kw: Any) -> Any:
        return await firmware.firmware_status_notification(
            self.ctx, call.FirmwareStatusNotification(**kw)
        )
