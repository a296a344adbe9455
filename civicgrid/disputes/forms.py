from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DisputeStatus


class SessionForm(forms.Form):
    note = forms.CharField(label=_("What happened in the session"), widget=forms.Textarea(attrs={"rows": 3}))
    is_follow_up = forms.BooleanField(label=_("This was a follow-up visit"), required=False)


class ConcludeForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(s.value, s.label) for s in (DisputeStatus.SETTLED, DisputeStatus.REFERRED, DisputeStatus.FAILED)],
    )
    outcome = forms.CharField(label=_("Describe the outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    agreement = forms.FileField(label=_("Written agreement (PDF or photo)"), required=False)
