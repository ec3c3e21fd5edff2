"""DataTransfer from the charger. No vendor extension is registered, so the answer is
``UnknownVendorId`` as OCPP 1.6 §4.3 prescribes; the request stays in the message log."""

from __future__ import annotations

from ocpp.v16 import call, call_result
from ocpp.v16.enums import DataTransferStatus

from chargeplane.ocpp.v16._context import Context


async def data_transfer(_ctx: Context, _req: call.DataTransfer) -> call_result.DataTransfer:
    return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)
