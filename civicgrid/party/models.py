"""党组织建在网格: the party branch or group of each grid, and its party-member volunteers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Grid


class PartyOrgKind(models.TextChoices):
    BRANCH = "branch", _("Party branch (党支部)")
    GROUP = "group", _("Party group (党小组)")


class PartyOrganisation(models.Model):
    """网格党支部/党小组: the party organisation built on a grid."""

    grid = models.OneToOneField(Grid, on_delete=models.CASCADE, related_name="party_organisation")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=PartyOrgKind.choices, default=PartyOrgKind.BRANCH)
    secretary_name = models.CharField(_("secretary"), max_length=50, blank=True)

    class Meta:
        ordering = ["grid"]
        verbose_name = _("party organisation")

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    """党员: a resident who is a member of the grid's party organisation, possibly serving as a volunteer."""

    organisation = models.ForeignKey(PartyOrganisation, on_delete=models.CASCADE, related_name="members")
    resident = models.OneToOneField("people.Resident", on_delete=models.CASCADE, related_name="party_membership")
    is_volunteer = models.BooleanField(_("party-member volunteer"), default=False)
    duty = models.CharField(_("duty"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("party member")

    def __str__(self) -> str:
        return str(self.resident)
