"""API over the population register: masked resident lists and audited reveals."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from civicgrid.areas.selectors import grids_for
from civicgrid.core.errors import access_object, require

from . import selectors, services

router = Router(tags=["people"])


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: date | None
    kind: str
    relation: str
    grid_id: int
    household_id: int | None
    id_number_masked: str
    phone_masked: str
    care_tags: list[str]

    @staticmethod
    def resolve_care_tags(obj: Any) -> list[str]:
        return [t.code for t in obj.care_tags.all()]


class RevealIn(Schema):
    field: str
    reason: str


class RevealOut(Schema):
    field: str
    value: str


@router.get("/residents", response=list[ResidentOut])
@paginate(PageNumberPagination, page_size=50)
def list_residents(request: HttpRequest, grid_id: int | None = None, q: str = "", care: str = "") -> Any:
    require(request.user, "people.list_residents")
    if grid_id is not None:
        # A grid outside the caller's area is answered like its page: 404, not an empty list.
        get_object_or_404(grids_for(request.user), pk=grid_id)
    return selectors.resident_page(request.user, grid_id=grid_id, q=q, care=care)


@router.get("/residents/{resident_id}", response=ResidentOut)
def get_resident(request: HttpRequest, resident_id: int) -> Any:
    return access_object(
        request.user,
        "people.view_resident",
        selectors.residents_for(request.user).prefetch_related("care_tags"),
        pk=resident_id,
    )


@router.post("/residents/{resident_id}/reveal", response=RevealOut)
def reveal(request: HttpRequest, response: HttpResponse, resident_id: int, payload: RevealIn) -> Any:
    """Reveal one encrypted field; needs the permission and a reason, and is written to the audit trail."""
    resident = access_object(
        request.user, "people.reveal_resident", selectors.residents_for(request.user), pk=resident_id
    )
    value = services.reveal_resident_field(request.user, resident, payload.field, payload.reason)
    response.headers["Cache-Control"] = "no-store"  # a plain value must not stay in any cache
    return {"field": payload.field, "value": value}
