"""The HSDS 3.1 read API: the directory of programs as Open Referral services.

Paths, parameters and page shape follow the HSDS OpenAPI reference (vendored in
``data/vendor/hsds-3.1/schema/openapi.json``): lists are pages with ``total_items``,
``total_pages``, ``page_number``, ``size``, ``first_page``, ``last_page``, ``empty``
and ``contents``. Services carry their ``capacities`` read from the ledger now, and the
LEAD profile's attributes. Providers' directory data is not participant data, but the
API is not anonymous: any signed-in account may read it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from api.auth import current_principal
from api.deps import Ctx
from api.problems import RESPONSES
from matcher.interop.hsds.export import (
    Directory,
    api_meta,
    build_directory,
    nested_service,
    nested_service_at_location,
)
from matcher.service import programs
from matcher.service.errors import NotFound

router = APIRouter(
    responses=RESPONSES, prefix="/hsds", tags=["hsds"], dependencies=[Depends(current_principal)]
)

Record = dict[str, Any]


class HsdsMeta(BaseModel):
    """What this API is, in HSDS terms."""

    version: str
    profile: str
    openapi_url: str


class HsdsPage(BaseModel):
    """One page of HSDS records."""

    model_config = ConfigDict(extra="forbid")

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[Record]


PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=500, description="Records per page")]
Filter = Annotated[str | None, Query(max_length=200)]


def _page(items: list[Record], page: int, per_page: int) -> HsdsPage:
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    contents = items[(page - 1) * per_page : page * per_page]
    return HsdsPage(
        total_items=total,
        total_pages=pages,
        page_number=page,
        size=len(contents),
        first_page=page == 1,
        last_page=page >= pages,
        empty=not contents,
        contents=contents,
    )


def _directory(ctx: Ctx) -> Directory:
    return ctx.read(lambda s: build_directory(s, ctx.now))


def _has_term(directory: Directory, term_id: str) -> Callable[[str], bool]:
    linked = {
        str(a["link_id"])
        for a in directory.tables["attribute"].values()
        if a.get("taxonomy_term_id") == term_id
    }
    return linked.__contains__


@router.get("/", response_model=HsdsMeta)
def meta(request: Request) -> HsdsMeta:
    """The HSDS version, the LEAD profile and where this API's OpenAPI document is."""
    openapi = str(request.base_url).rstrip("/") + (request.app.openapi_url or "/openapi.json")
    return HsdsMeta.model_validate(api_meta(openapi))


@router.get("/services", response_model=HsdsPage)
def services(
    ctx: Ctx,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    organization_id: Filter = None,
    taxonomy_term_id: Filter = None,
) -> HsdsPage:
    """Services (programs), fully nested, optionally of one organisation or term."""
    if taxonomy_term_id is not None:  # terms live in the records: build them all
        directory = _directory(ctx)
        records = directory.tables["service"]
        has_term = _has_term(directory, taxonomy_term_id)
        ids = [
            i
            for i in sorted(records)
            if has_term(i)
            and (organization_id is None or records[i]["organization_id"] == organization_id)
        ]
        return _page([nested_service(directory, i) for i in ids], page, per_page)

    def read(s: Session) -> HsdsPage:
        ids = programs.ids(s, organization_id)  # the same order as the records' ids
        shown = ids[(page - 1) * per_page : page * per_page]
        directory = build_directory(s, ctx.now, shown)
        listed = _page([nested_service(directory, i) for i in shown], 1, per_page)
        pages = max(1, math.ceil(len(ids) / per_page))
        return listed.model_copy(
            update={
                "total_items": len(ids),
                "total_pages": pages,
                "page_number": page,
                "first_page": page == 1,
                "last_page": page >= pages,
            }
        )

    return ctx.read(read)


@router.get("/services/{id}", response_model=Record)
def service(id: Annotated[str, Path(max_length=200)], ctx: Ctx) -> Record:
    """One service with its organisation, locations, capacities and attributes."""
    directory = ctx.read(lambda s: build_directory(s, ctx.now, [id]))
    if id not in directory.tables["service"]:
        raise NotFound(f"no service {id}", field="id")
    return nested_service(directory, id)


@router.get("/service_at_locations", response_model=HsdsPage)
def service_at_locations(ctx: Ctx, page: PageNumber = 1, per_page: PerPage = 50) -> HsdsPage:
    """Where each service is delivered, with the location and the service nested."""
    directory = _directory(ctx)
    ids = sorted(directory.tables["service_at_location"])
    return _page([nested_service_at_location(directory, i) for i in ids], page, per_page)


@router.get("/taxonomies", response_model=HsdsPage)
def taxonomies(ctx: Ctx, page: PageNumber = 1, per_page: PerPage = 50) -> HsdsPage:
    """The taxonomies the services' terms come from (ours and the LEAD profile's)."""
    directory = _directory(ctx)
    items = [directory.tables["taxonomy"][k] for k in sorted(directory.tables["taxonomy"])]
    return _page(items, page, per_page)


@router.get("/taxonomy_terms", response_model=HsdsPage)
def taxonomy_terms(
    ctx: Ctx, page: PageNumber = 1, per_page: PerPage = 50, taxonomy_id: Filter = None
) -> HsdsPage:
    """The terms the services use, optionally of one taxonomy."""
    directory = _directory(ctx)
    items = [
        directory.tables["taxonomy_term"][k] for k in sorted(directory.tables["taxonomy_term"])
    ]
    if taxonomy_id is not None:
        items = [i for i in items if i.get("taxonomy_id") == taxonomy_id]
    return _page(items, page, per_page)
