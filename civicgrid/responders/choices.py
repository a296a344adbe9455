from django.db import models
from django.utils.translation import gettext_lazy as _


class ResponderKind(models.TextChoices):
    """The responder types named by the case categories (case_categories.csv)."""

    SANITATION = "sanitation", _("Sanitation")
    PROPERTY = "property", _("Property company")
    WATER = "water", _("Water company")
    POWER = "power", _("Power company")
    GAS_COMPANY = "gas_company", _("Gas company")
    COMMUNITY = "community", _("Community office")
    URBAN_MANAGEMENT = "urban_management", _("Urban management")
    LANDSCAPING = "landscaping", _("Landscaping")
    TRAFFIC_POLICE = "traffic_police", _("Traffic police")
    POLICE = "police", _("Police station")
    HOUSING = "housing", _("Housing and construction")
    MUNICIPAL = "municipal", _("Municipal works")
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    DISABLED_FEDERATION = "disabled_federation", _("Disabled persons' federation")
