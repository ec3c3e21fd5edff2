"""``/api/v1/customers``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from chargeplane.api.deps import ReadingPrincipal, ReadSession, RuntimeDep, Writer, WriteSession
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.api.params import DbId, UtcDatetime
from chargeplane.customers.repository import CustomerRepository
from chargeplane.customers.schemas import (
    CustomerCreate,
    CustomerPage,
    CustomerRead,
    CustomerReplace,
    CustomerUpdate,
)
from chargeplane.customers.service import CustomerService
from chargeplane.db.models import Customer

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


def _read(customer: Customer, response: Response) -> CustomerRead:
    set_etag(response, customer.etag)
    return CustomerRead.model_validate(customer, from_attributes=True)


@router.get("", response_model=CustomerPage)
async def list_customers(
    session: ReadSession,
    principal: ReadingPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    updated_since: Annotated[
        UtcDatetime | None, Query(description="Only customers changed at or after this time.")
    ] = None,
) -> CustomerPage:
    rows, more = await CustomerRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=limit,
        updated_since=updated_since,
    )
    return CustomerPage(
        data=[CustomerRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@router.post("", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
async def create_customer(
    body: CustomerCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> CustomerRead:
    customer = await CustomerService(session).create(
        principal.organization_id, body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"/api/v1/customers/{customer.id}"
    return _read(customer, response)


@router.get("/{customer_id}", response_model=CustomerRead)
async def get_customer(
    customer_id: DbId, session: ReadSession, principal: ReadingPrincipal, response: Response
) -> CustomerRead:
    return _read(
        await CustomerService(session).get(principal.organization_id, customer_id), response
    )


@router.put("/{customer_id}", response_model=CustomerRead)
async def replace_customer(
    customer_id: DbId,
    body: CustomerReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> CustomerRead:
    customer = await CustomerService(session).replace(
        principal.organization_id,
        customer_id,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _read(customer, response)


@router.patch("/{customer_id}", response_model=CustomerRead)
async def update_customer(
    customer_id: DbId,
    body: CustomerUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> CustomerRead:
    customer = await CustomerService(session).update(
        principal.organization_id, customer_id, body, now=runtime.clock.now()
    )
    return _read(customer, response)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_customer(customer_id: DbId, session: WriteSession, principal: Writer) -> None:
    await CustomerService(session).delete(principal.organization_id, customer_id)
