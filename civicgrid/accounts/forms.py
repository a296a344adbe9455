from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Community, Grid
from civicgrid.responders.models import Responder

from .choices import CREATABLE_ROLES, Role


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or phone number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class RegisterForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=50)
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    password = forms.CharField(
        label=_("Password (at least 12 characters)"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class LinkRequestForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.all())
    address_text = forms.CharField(label=_("Building and room"), max_length=200)
    name_given = forms.CharField(label=_("Name registered for the household"), max_length=50)


class DecideLinkForm(forms.Form):
    household_code = forms.CharField(label=_("Household code"), max_length=40, required=False)
    note = forms.CharField(label=_("Note / reason"), max_length=200, required=False)


class CreateUserForm(forms.Form):
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$")
    display_name = forms.CharField(label=_("Name"), max_length=50)
    role = forms.ChoiceField(label=_("Role"))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none(), required=False)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none(), required=False)
    responder = forms.ModelChoiceField(label=_("Responder unit"), queryset=Responder.objects.none(), required=False)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, min_length=12)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from civicgrid.areas.selectors import communities_for, grids_for

        allowed = CREATABLE_ROLES.get(actor.role, tuple(Role.values) if actor.is_superuser else ())
        cast(forms.ChoiceField, self.fields["role"]).choices = [(r, Role(r).label) for r in allowed]
        cast(forms.ModelChoiceField, self.fields["community"]).queryset = communities_for(actor)
        cast(forms.ModelChoiceField, self.fields["grid"]).queryset = grids_for(actor)
        cast(forms.ModelChoiceField, self.fields["responder"]).queryset = Responder.objects.filter(
            street_id=actor.street_id
        )
