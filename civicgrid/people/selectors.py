"""Reads over buildings, households, residents and units, always scoped to the user's area."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from civicgrid.accounts.choices import Role
from civicgrid.core.scoping import scope_by_grid

from .models import Building, CareTag, Household, Resident, Unit


def buildings_for(user: Any) -> QuerySet[Building]:
    return scope_by_grid(Building.objects.select_related("grid"), user)


def households_for(user: Any) -> QuerySet[Household]:
    if user.is_authenticated and user.role == Role.RESIDENT and not user.is_superuser:
        return Household.objects.filter(id=user.household_id) if user.household_id else Household.objects.none()
    return scope_by_grid(Household.objects.select_related("grid", "house__building"), user)


def residents_for(user: Any) -> QuerySet[Resident]:
    if user.is_authenticated and user.role == Role.RESIDENT and not user.is_superuser:
        if not user.household_id:
            return Resident.objects.none()
        return Resident.objects.filter(household_id=user.household_id)
    return scope_by_grid(Resident.objects.all(), user)


def resident_page(user: Any, *, grid_id: int | None = None, q: str = "", care: str = "") -> QuerySet[Resident]:
    """The resident list: masked columns only, with what each row shows loaded in two queries."""
    qs = (
        residents_for(user)
        .select_related("grid", "household__house__building")
        .prefetch_related("care_tags")
        # The database sorts every resident of the area before it cuts a page: leaving out the grid's boundary
        # and the ciphertexts halves the width of those rows (PostgreSQL then sorts in memory, not on disk).
        .defer("grid__boundary", "id_number_cipher", "id_number_digest", "phone_cipher", "phone_digest")
    )
    if grid_id:
        qs = qs.filter(grid_id=grid_id)
    if q:
        qs = qs.filter(name__contains=q)
    if care:
        qs = qs.filter(care_tags__code=care)
    return qs.order_by("grid__code", "household__code", "id")


def units_for(user: Any) -> QuerySet[Unit]:
    return scope_by_grid(Unit.objects.select_related("grid", "building"), user)


def care_group_counts(residents: QuerySet[Resident]) -> list[dict[str, Any]]:
    """How many of these residents are in each care group (one grouped query)."""
    counts = dict(
        residents.filter(care_tags__isnull=False)
        .values_list("care_tags__code")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("care_tags__code", "n")
    )
    return [{"tag": tag, "count": counts.get(tag.code, 0)} for tag in CareTag.objects.all()]


def household_page(user: Any, *, grid_id: int | None = None, q: str = "") -> QuerySet[Household]:
    """The household list: address, head and member count, in one query per page."""
    qs = households_for(user).select_related("grid", "house__building").annotate(member_count=Count("members"))
    if grid_id:
        qs = qs.filter(grid_id=grid_id)
    if q:
        qs = qs.filter(Q(head_name__contains=q) | Q(code__startswith=q))
    return qs.order_by("grid__code", "code")
