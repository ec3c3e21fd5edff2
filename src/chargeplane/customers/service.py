"""Rules of customers: a customer in use (tokens, vehicles, sessions) is not deleted.
Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.customers.repository import CustomerRepository
from chargeplane.customers.schemas import CustomerCreate, CustomerReplace, CustomerUpdate
from chargeplane.db.models import Customer
from chargeplane.errors import Conflict, NotFound, PreconditionFailed, UnknownReference


def in_use(what: str) -> Conflict:
    """The 409 for deleting an object that charging sessions (or other rows) still name."""
    return Conflict(f"the {what} is referenced by charging sessions", code="in_use")


class CustomerService:
    def __init__(self, session: AsyncSession) -> None:
        self.customers = CustomerRepository(session)

    async def get(self, organization_id: int, customer_id: int) -> Customer:
        customer = await self.customers.get(organization_id, customer_id)
        if customer is None:
            raise NotFound("customer not found")
        return customer

    async def check(self, organization_id: int, customer_id: int | None, field: str) -> None:
        """A 422 naming ``field`` unless the organization has the customer (or none is given)."""
        if (
            customer_id is not None
            and await self.customers.get(organization_id, customer_id) is None
        ):
            raise UnknownReference(field, "customer")

    async def create(
        self, organization_id: int, body: CustomerCreate, *, now: datetime
    ) -> Customer:
        return await self.customers.add(
            Customer(
                organization_id=organization_id, created_at=now, updated_at=now, **body.model_dump()
            )
        )

    async def _change(
        self,
        organization_id: int,
        customer_id: int,
        expected: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> Customer:
        customer = await self.get(organization_id, customer_id)
        if expected is not None and customer.etag != expected:
            raise PreconditionFailed()
        if values:
            if (
                await self.customers.change(customer_id, expected or customer.etag, values, now=now)
                is None
            ):
                raise PreconditionFailed()
            await self.customers.session.refresh(customer)
        return customer

    async def replace(
        self,
        organization_id: int,
        customer_id: int,
        body: CustomerReplace,
        expected: str,
        *,
        now: datetime,
    ) -> Customer:
        values = body.model_dump(exclude={"etag"})
        return await self._change(organization_id, customer_id, expected, values, now=now)

    async def update(
        self, organization_id: int, customer_id: int, body: CustomerUpdate, *, now: datetime
    ) -> Customer:
        return await self._change(organization_id, customer_id, None, body.given(), now=now)

    async def delete(self, organization_id: int, customer_id: int) -> None:
        customer = await self.get(organization_id, customer_id)
        if await self.customers.holder_count(customer_id):
            raise Conflict("the customer still has id tokens or vehicles", code="customer_in_use")
        if await self.customers.session_count(customer_id):
            raise in_use("customer")
        try:
            await self.customers.delete(customer)
        except IntegrityError as exc:
            raise in_use("customer") from exc
