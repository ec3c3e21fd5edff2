"""``/api/v1/sites``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from chargeplane.api.deps import ReadingPrincipal, ReadSession, RuntimeDep, Writer, WriteSession
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.api.params import DbId, UtcDatetime
from chargeplane.db.models import Site
from chargeplane.sites.repository import SiteRepository
from chargeplane.sites.schemas import SiteCreate, SitePage, SiteRead, SiteReplace, SiteUpdate
from chargeplane.sites.service import SiteService

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])


def _read(site: Site, response: Response) -> SiteRead:
    set_etag(response, site.etag)
    return SiteRead.model_validate(site, from_attributes=True)


@router.get("", response_model=SitePage)
async def list_sites(
    session: ReadSession,
    principal: ReadingPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    updated_since: Annotated[
        UtcDatetime | None, Query(description="Only sites changed at or after this time.")
    ] = None,
) -> SitePage:
    rows, more = await SiteRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=limit,
        updated_since=updated_since,
    )
    return SitePage(
        data=[SiteRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@router.post("", response_model=SiteRead, status_code=status.HTTP_201_CREATED)
async def create_site(
    body: SiteCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> SiteRead:
    site = await SiteService(session).create(
        principal.organization_id, body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"/api/v1/sites/{site.id}"
    return _read(site, response)


@router.get("/{site_id}", response_model=SiteRead)
async def get_site(
    site_id: DbId, session: ReadSession, principal: ReadingPrincipal, response: Response
) -> SiteRead:
    return _read(await SiteService(session).get(principal.organization_id, site_id), response)


@router.put("/{site_id}", response_model=SiteRead)
async def replace_site(
    site_id: DbId,
    body: SiteReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> SiteRead:
    site = await SiteService(session).replace(
        principal.organization_id,
        site_id,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _read(site, response)


@router.patch("/{site_id}", response_model=SiteRead)
async def update_site(
    site_id: DbId,
    body: SiteUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> SiteRead:
    site = await SiteService(session).update(
        principal.organization_id, site_id, body, now=runtime.clock.now()
    )
    return _read(site, response)


@router.delete("/{site_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_site(site_id: DbId, session: WriteSession, principal: Writer) -> None:
    await SiteService(session).delete(principal.organization_id, site_id)
