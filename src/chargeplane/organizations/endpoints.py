"""``/api/v1/organizations``: a caller sees and manages its own organization only. There is
no POST: organizations are created by an operator (``chargeplane org create``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from chargeplane.api.deps import ReadingPrincipal, ReadSession, RuntimeDep, Writer, WriteSession
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.params import DbId
from chargeplane.db.models import Organization
from chargeplane.organizations.schemas import (
    OrganizationPage,
    OrganizationRead,
    OrganizationReplace,
    OrganizationUpdate,
)
from chargeplane.organizations.service import OrganizationService

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


def _read(org: Organization, response: Response) -> OrganizationRead:
    set_etag(response, org.etag)
    return OrganizationRead.model_validate(org, from_attributes=True)


@router.get("", response_model=OrganizationPage)
async def list_organizations(session: ReadSession, principal: ReadingPrincipal) -> OrganizationPage:
    """The caller's own organization: a page with one item."""
    org = await OrganizationService(session).get(
        principal.organization_id, principal.organization_id
    )
    return OrganizationPage(
        data=[OrganizationRead.model_validate(org, from_attributes=True)], next_cursor=None
    )


@router.get("/{organization_id}", response_model=OrganizationRead)
async def get_organization(
    organization_id: DbId, session: ReadSession, principal: ReadingPrincipal, response: Response
) -> OrganizationRead:
    org = await OrganizationService(session).get(principal.organization_id, organization_id)
    return _read(org, response)


@router.put("/{organization_id}", response_model=OrganizationRead)
async def replace_organization(
    organization_id: DbId,
    body: OrganizationReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> OrganizationRead:
    org = await OrganizationService(session).replace(
        principal.organization_id,
        organization_id,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _read(org, response)


@router.patch("/{organization_id}", response_model=OrganizationRead)
async def update_organization(
    organization_id: DbId,
    body: OrganizationUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> OrganizationRead:
    org = await OrganizationService(session).update(
        principal.organization_id, organization_id, body, now=runtime.clock.now()
    )
    return _read(org, response)
