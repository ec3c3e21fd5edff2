"""The OCPP 1.6 routing table: one line per action, each calling a free handler function."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import fields, is_dataclass
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

import orjson
from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case
from ocpp.exceptions import NotImplementedError, NotSupportedError, OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType, unpack
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


@lru_cache(maxsize=512)
def _snake(key: str) -> str:
    """The package's camelCase → snake_case for one key, remembered."""
    snake: str = next(iter(camel_to_snake_case({key: None})))
    return snake


@lru_cache(maxsize=512)
def _camel(key: str) -> str:
    """The package's snake_case → camelCase for one key, remembered."""
    camel: str = next(iter(snake_to_camel_case({key: None})))
    return camel


def _unpack(raw: str) -> Call | CallResult | CallError:
    """The package's ``unpack``, with a CALL parsed by orjson (~3.5 µs for the benchmark's
    MeterValues against ~9 µs, measured). Anything else goes to the package's own ``unpack``:
    other message types, frames of the wrong shape, and JSON that orjson refuses but the json
    module reads (NaN, integers beyond 64 bits, lone surrogates), so the frames accepted and
    the errors raised are the package's."""
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return unpack(raw)
    if type(frame) is list and len(frame) == 4 and frame[0] == MessageType.Call:
        return Call(frame[1], frame[2], frame[3])
    return unpack(raw)


def _request_keys(payload: dict[str, Any]) -> dict[str, Any]:
    """A CALL's payload as keyword arguments of the package's request dataclass: its own
    keys in snake_case. Nested objects keep their camelCase keys (``meterValue[].sampledValue``;
    ``_context.meter_samples`` reads them so): the package converts every key of every level,
    two regular expressions each, and the benchmark's MeterValues has 58 of them."""
    return {_snake(key): value for key, value in payload.items()}


_FIELD_NAMES: dict[type, tuple[tuple[str, str], ...] | None] = {}


def _field_names(cls: type) -> tuple[tuple[str, str], ...] | None:
    """A dataclass's fields, each with its camelCase key; None for other types. Remembered
    per type (``dataclasses.fields`` builds a tuple on every call)."""
    try:
        return _FIELD_NAMES[cls]
    except KeyError:
        names = tuple((f.name, _camel(f.name)) for f in fields(cls)) if is_dataclass(cls) else None
        _FIELD_NAMES[cls] = names
        return names


def _camel_payload(data: Any) -> Any:
    """A response dataclass as the package sends it: camelCase keys, no None values."""
    names = _field_names(type(data))
    if names is not None:
        return {
            camel: _camel_payload(value)
            for name, camel in names
            if (value := getattr(data, name)) is not None
        }
    if isinstance(data, dict):
        return {_camel(k): _camel_payload(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_camel_payload(value) for value in data if value is not None]
    return data


def _unhandled(action: str) -> OCPPError:
    """As the package answers an action without a handler: NotImplemented for a 1.6 action,
    NotSupported for any other."""
    try:
        Action(action)
    except ValueError:
        return NotSupportedError(details={"cause": f"{action} not supported by OCPP1.6."})
    return NotImplementedError(details={"cause": f"No handler for {action} registered."})


class ChargePoint(_ChargePoint):  # type: ignore[misc]
    _route_table: ClassVar[dict[str, dict[str, Any]] | None] = None

    def __init__(self, ctx: Context, connection: Any) -> None:
        super().__init__(
            ctx.connection.ocpp_id,
            connection,
            response_timeout=ctx.runtime.settings.ocpp.response_timeout,
            logger=_wire,
        )
        # The package builds a route map per connection (a bound method and a dict per
        # action: ~6 KiB per charger, measured with tracemalloc, against a 40 KiB budget);
        # ``_handle_call`` routes through the class's table instead.
        self.route_map = self._table()
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
            msg = _unpack(raw_msg)
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
        """The package's ``_handle_call``, without its per-message reflection: the handler
        comes from the class's table, keys are converted through a cache (the package runs
        two regular expressions per key, and ``inspect.signature`` per message), the
        payload is validated by the compiled schemas, and the answer is serialised by orjson.
        Same routing, same answers."""
        entry = self._table().get(msg.action)
        if entry is None:
            raise _unhandled(msg.action)
        validate("1.6", msg.action, msg.payload)
        try:
            response = await entry["_on_action"](self, **_request_keys(msg.payload))
        except OCPPError:
            raise
        except Exception as error:  # answered InternalError, as the package does
            log.exception("%s: %s failed", self.id, msg.action)
            await self._send(call_error_frame(msg.unique_id, error, version="1.6"))
            return
        answer = orjson.dumps([MessageType.CallResult, msg.unique_id, _camel_payload(response)])
        await self._send(answer.decode())

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
