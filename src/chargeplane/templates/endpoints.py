"""``/api/v1/hardware-templates``: charger models and the EVSE layout they ship with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from chargeplane.api.deps import (
    ReadingPrincipal,
    ReadSession,
    RuntimeDep,
    Writer,
    WriteSession,
)
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.api.params import DbId, UtcDatetime
from chargeplane.chargers.layout import layout_of_template
from chargeplane.db.models import HardwareTemplate
from chargeplane.templates.repository import HardwareTemplateRepository
from chargeplane.templates.schemas import (
    HardwareTemplateCreate,
    HardwareTemplatePage,
    HardwareTemplateRead,
    HardwareTemplateReplace,
    HardwareTemplateUpdate,
)
from chargeplane.templates.service import HardwareTemplateService

router = APIRouter(prefix="/api/v1/hardware-templates", tags=["hardware-templates"])


def _model(template: HardwareTemplate) -> HardwareTemplateRead:
    return HardwareTemplateRead(
        id=template.id,
        organization_id=template.organization_id,
        vendor=template.vendor,
        name=template.name,
        is_dc=template.is_dc,
        evses=layout_of_template(template),
        created_at=template.created_at,
        updated_at=template.updated_at,
        etag=template.etag,
    )


def _read(template: HardwareTemplate, response: Response) -> HardwareTemplateRead:
    set_etag(response, template.etag)
    return _model(template)


@router.get("", response_model=HardwareTemplatePage)
async def list_hardware_templates(
    session: ReadSession,
    principal: ReadingPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    updated_since: Annotated[
        UtcDatetime | None, Query(description="Only templates changed at or after this time.")
    ] = None,
    vendor: Annotated[
        str | None, Query(max_length=100, description="Only this vendor's (exact match).")
    ] = None,
) -> HardwareTemplatePage:
    rows, more = await HardwareTemplateRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=limit,
        updated_since=updated_since,
        vendor=vendor,
    )
    return HardwareTemplatePage(
        data=[_model(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@router.post("", response_model=HardwareTemplateRead, status_code=status.HTTP_201_CREATED)
async def create_hardware_template(
    body: HardwareTemplateCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> HardwareTemplateRead:
    template = await HardwareTemplateService(session).create(
        principal.organization_id, body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"/api/v1/hardware-templates/{template.id}"
    return _read(template, response)


@router.get("/{template_id}", response_model=HardwareTemplateRead)
async def get_hardware_template(
    template_id: DbId, session: ReadSession, principal: ReadingPrincipal, response: Response
) -> HardwareTemplateRead:
    template = await HardwareTemplateService(session).get(principal.organization_id, template_id)
    return _read(template, response)


@router.put("/{template_id}", response_model=HardwareTemplateRead)
async def replace_hardware_template(
    template_id: DbId,
    body: HardwareTemplateReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> HardwareTemplateRead:
    template = await HardwareTemplateService(session).replace(
        principal.organization_id,
        template_id,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _read(template, response)


@router.patch("/{template_id}", response_model=HardwareTemplateRead)
async def update_hardware_template(
    template_id: DbId,
    body: HardwareTemplateUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> HardwareTemplateRead:
    template = await HardwareTemplateService(session).update(
        principal.organization_id, template_id, body, now=runtime.clock.now()
    )
    return _read(template, response)


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_hardware_template(
    template_id: DbId, session: WriteSession, principal: Writer
) -> None:
    await HardwareTemplateService(session).delete(principal.organization_id, template_id)
