"""Rules of sites: time zone from coordinates when not given; a site in use is not deleted.
Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import Site
from chargeplane.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed
from chargeplane.geo import timezone_at
from chargeplane.sites.repository import SiteRepository
from chargeplane.sites.schemas import SiteCreate, SiteReplace, SiteUpdate


def _with_timezone(values: dict[str, Any], *, previous: Site | None = None) -> dict[str, Any]:
    """Fill ``timezone`` from the coordinates when the client gave none."""
    if values.get("timezone") is not None:
        return values
    moved = "latitude" in values or previous is None
    lat = values.get("latitude", previous.latitude if previous else None)
    lon = values.get("longitude", previous.longitude if previous else None)
    if "timezone" in values or moved:
        values = {
            **values,
            "timezone": timezone_at(lat, lon) if lat is not None and lon is not None else "UTC",
        }
    return values


class SiteService:
    def __init__(self, session: AsyncSession) -> None:
        self.sites = SiteRepository(session)

    async def get(self, organization_id: int, site_id: int) -> Site:
        site = await self.sites.get(organization_id, site_id)
        if site is None:
            raise NotFound("site not found")
        return site

    async def create(self, organization_id: int, body: SiteCreate, *, now: datetime) -> Site:
        values = _with_timezone(body.model_dump())
        return await self.sites.add(
            Site(organization_id=organization_id, created_at=now, updated_at=now, **values)
        )

    async def _change(
        self,
        organization_id: int,
        site_id: int,
        expected: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> Site:
        site = await self.get(organization_id, site_id)
        if expected is not None and site.etag != expected:
            raise PreconditionFailed()
        values = _with_timezone(values, previous=site)
        if values:
            self._check_coordinates(site, values)
            if await self.sites.change(site_id, expected or site.etag, values, now=now) is None:
                raise PreconditionFailed()
            await self.sites.session.refresh(site)
        return site

    @staticmethod
    def _check_coordinates(site: Site, values: dict[str, Any]) -> None:
        lat = values.get("latitude", site.latitude)
        lon = values.get("longitude", site.longitude)
        if (lat is None) != (lon is None):
            raise InvalidRequest(
                "latitude and longitude go together",
                fields=[
                    {
                        "field": "body.latitude",
                        "code": "coordinates_pair",
                        "message": "latitude and longitude go together",
                    }
                ],
            )

    async def replace(
        self,
        organization_id: int,
        site_id: int,
        body: SiteReplace,
        expected: str,
        *,
        now: datetime,
    ) -> Site:
        values = body.model_dump(exclude={"etag"})
        return await self._change(organization_id, site_id, expected, values, now=now)

    async def update(
        self, organization_id: int, site_id: int, body: SiteUpdate, *, now: datetime
    ) -> Site:
        return await self._change(organization_id, site_id, None, body.given(), now=now)

    async def delete(self, organization_id: int, site_id: int) -> None:
        site = await self.get(organization_id, site_id)
        if await self.sites.charger_count(site_id):
            raise Conflict("the site still has chargers", code="site_in_use")
        await self.sites.delete(site)
