"""Forms of the steward programme pages (the services check the rules; these only read the inputs)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Community, Grid

from .models import ApplicationStatus, StewardApplication


class ApplyForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.order_by("code"))
    grid = forms.ModelChoiceField(
        label=_("Grid I live in"), queryset=Grid.objects.select_related("community").order_by("code"), required=False
    )
    motivation = forms.CharField(
        label=_("Why I want to serve"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    skills = forms.CharField(label=_("Skills"), max_length=200, required=False)

    def __init__(self, *args: Any, street_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if street_id:
            self.fields["community"].queryset = Community.objects.filter(street_id=street_id).order_by("code")  # type: ignore[attr-defined]
            self.fields["grid"].queryset = Grid.objects.filter(community__street_id=street_id).order_by("code")  # type: ignore[attr-defined]
        self.fields["grid"].label_from_instance = lambda g: f"{g.community.name} {g.name}"  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("select", _("Select for training")), ("reject", _("Not selected"))])
    note = forms.CharField(label=_("Reason / note"), max_length=200, required=False)


class TrainingForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    title = forms.CharField(label=_("Title"), max_length=100)
    held_at = forms.DateTimeField(
        label=_("Held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=15, max_value=480, initial=90)
    trainer = forms.CharField(label=_("Trainer"), max_length=50, required=False)
    attended = forms.ModelMultipleChoiceField(
        label=_("Who attended"),
        queryset=StewardApplication.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, communities: Any, applications: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        self.fields["attended"].queryset = applications.filter(  # type: ignore[attr-defined]
            status__in=[ApplicationStatus.SELECTED, ApplicationStatus.ACTIVE]
        )
        self.fields["attended"].label_from_instance = lambda a: f"{a.applicant} · {a.community.name}"  # type: ignore[attr-defined]
        self.fields["held_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class ActivateForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none())

    def __init__(self, *args: Any, grids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]
        self.fields["grid"].label_from_instance = lambda g: f"{g.community.name} {g.name}"  # type: ignore[attr-defined]
