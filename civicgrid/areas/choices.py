from django.db import models
from django.utils.translation import gettext_lazy as _


class CommunityKind(models.TextChoices):
    URBAN = "urban", _("Urban community")
    RURAL = "rural", _("Rural village")


class ServicePlaceKind(models.TextChoices):
    PARTY_STATION = "party_station", _("Party-masses service station")
    COMMUNITY_ROOM = "community_room", _("Community room")
    ACTIVITY_SPACE = "activity_space", _("Public activity space")
    SERVICE_CENTRE = "service_centre", _("Community service centre")
