"""一标三实: standard addresses (buildings), actual houses, actual residents and actual units."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Grid, MicroGrid

from .choices import BuildingKind, Gender, HouseUse, Relation, ResidentKind, UnitKind


class CareTag(models.Model):
    """重点关爱人群: a care group (elderly living alone, disabled, left-behind child…) with a visit frequency."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80)
    visit_every_days = models.PositiveSmallIntegerField(_("visit every (days)"), default=30)
    concerns_child = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("care group")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class Building(models.Model):
    """标准地址/楼栋: a building at a standard address; houses and units hang from it."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="buildings")
    micro_grid = models.ForeignKey(
        MicroGrid, null=True, blank=True, on_delete=models.SET_NULL, related_name="buildings"
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("standard address"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=BuildingKind.choices, default=BuildingKind.RESIDENTIAL)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("building")

    def __str__(self) -> str:
        return self.name


class House(models.Model):
    """实有房屋: a dwelling (flat, room, rural house) in a building, owner-occupied, rented or vacant."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="houses")
    room = models.CharField(_("room"), max_length=30)
    use = models.CharField(_("use"), max_length=10, choices=HouseUse.choices, default=HouseUse.OWNED)
    area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)

    class Meta:
        ordering = ["building", "room"]
        verbose_name = _("house")
        constraints = [models.UniqueConstraint(fields=["building", "room"], name="house_room_unique_in_building")]

    def __str__(self) -> str:
        return f"{self.building.name} {self.room}"


class Household(models.Model):
    """户: the people of one house, identified by a household code."""

    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="households")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="households")
    code = models.CharField(_("household code"), max_length=40, unique=True)
    head_name = models.CharField(_("head of household"), max_length=50, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("household")

    def __str__(self) -> str:
        return f"{self.code} {self.head_name}"


class Resident(models.Model):
    """实有人口: a person actually living in the grid (registered, tenant/floating or foreigner).

    The grid is stored on the resident itself (not only through the household) because every scoped list
    filters on it. The ID and phone numbers are encrypted; only their masked forms are shown.
    """

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="residents")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    kind = models.CharField(
        _("population type"), max_length=12, choices=ResidentKind.choices, default=ResidentKind.REGISTERED
    )
    relation = models.CharField(_("relation to head"), max_length=12, choices=Relation.choices, default=Relation.OTHER)
    id_number_cipher = models.TextField(blank=True)
    id_number_digest = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=24, blank=True)
    phone_cipher = models.TextField(blank=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    care_tags = models.ManyToManyField(CareTag, blank=True, related_name="residents")
    is_party_member = models.BooleanField(_("party member"), default=False)
    moved_in = models.DateField(_("moved in"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grid", "household", "id"]
        verbose_name = _("resident")
        indexes = [models.Index(fields=["grid", "name"])]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """实有单位: an enterprise, shop, school or organisation at an address in the grid."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="units")
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.SET_NULL, related_name="units")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    phone_cipher = models.TextField(blank=True)
    phone_digest = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)

    class Meta:
        ordering = ["grid", "name"]
        verbose_name = _("unit")

    def __str__(self) -> str:
        return self.name
