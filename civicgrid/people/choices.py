from django.db import models
from django.utils.translation import gettext_lazy as _


class BuildingKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    MIXED = "mixed", _("Mixed use")
    PUBLIC = "public", _("Public")
    RURAL_HOUSE = "rural_house", _("Rural house")


class HouseUse(models.TextChoices):
    OWNED = "owned", _("Owner-occupied")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")


class ResidentKind(models.TextChoices):
    REGISTERED = "registered", _("Registered (户籍)")
    FLOATING = "floating", _("Tenant / floating (流动)")
    FOREIGNER = "foreigner", _("Foreigner (境外)")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER = "other", _("Other")


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    SHOP = "shop", _("Shop")
    SCHOOL = "school", _("School")
    ORGANISATION = "organisation", _("Organisation")
    OTHER = "other", _("Other")
