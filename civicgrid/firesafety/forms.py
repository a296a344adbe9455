from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.people.models import Building

from .models import ItemKind, ItemState


class AddItemForm(forms.Form):
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices)
    location = forms.CharField(label=_("Where in the building"), max_length=100)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, buildings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings  # type: ignore[attr-defined]


class CheckItemForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=ItemState.choices)
    expires_on = forms.DateField(
        label=_("New expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
