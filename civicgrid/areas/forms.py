from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class LocateForm(forms.Form):
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    address = forms.CharField(label=_("Standard address"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_point = data.get("lat") is not None or data.get("lng") is not None
        if not has_point and not data.get("address"):
            raise forms.ValidationError(_("Give a latitude and longitude, or an address."))
        if has_point and (data.get("lat") is None or data.get("lng") is None):
            raise forms.ValidationError(_("Both latitude and longitude are needed."))
        return data


class BoundaryImportForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection; each feature has properties code, name and community_code."),
    )
