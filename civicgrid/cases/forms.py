"""Forms of the case pages: they parse and type the input; the services decide what is valid for a case."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from .choices import Channel, Kind, Urgency
from .models import Category
from .services import MAX_DESCRIPTION, Intake

# Where a service names a field (ServiceError.field), the form field that shows the message.
SERVICE_FIELDS = {
    "description": "description",
    "category": "category",
    "kind": "kind",
    "urgency": "urgency",
    "lat": "address_text",
    "lng": "address_text",
    "address_text": "address_text",
    "building_id": "building",
    "grid_id": "grid",
    "reporter_phone": "reporter_phone",
    "photos": "photos",
    "note": "note",
}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input; their type and size are checked by the service (check_photos)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        cleaned = []
        for f in files:
            if f:
                cleaned.append(super().clean(f, initial))
        return cleaned


def category_choices() -> list[tuple[str, Any]]:
    """Leaf categories grouped under their parents, after a blank "let CivicGrid decide"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in Category.objects.filter(active=True, parent__isnull=False).select_related("parent").order_by("code"):
        groups.setdefault(str(c.parent), []).append((c.code, str(c)))
    return [("", _("Not sure: let CivicGrid decide")), *groups.items()]


def new_client_id() -> str:
    return str(uuid.uuid4())


def valid_client_id(value: str) -> str:
    """The form's client id, if it is a UUID; anything else is not trusted as an idempotency key."""
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        return ""


class ReportForm(forms.Form):
    """A resident's report on the public page (no account needed)."""

    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "maxlength": MAX_DESCRIPTION,
                # The classifier suggests a category as the resident types (public:suggest).
                "hx-post": reverse_lazy("public:suggest"),
                "hx-trigger": "input changed delay:700ms",
                "hx-target": "#suggestions",
                "hx-swap": "innerHTML",
                "aria-describedby": "suggestions",
            }
        ),
        strip=True,
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    community = forms.IntegerField(label=_("Community"), required=False)
    grid = forms.IntegerField(label=_("Grid"), required=False)
    building = forms.IntegerField(label=_("Building"), required=False)
    address_text = forms.CharField(label=_("Address"), required=False, max_length=200)
    lat = forms.FloatField(label=_("Latitude"), required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(label=_("Longitude"), required=False, widget=forms.HiddenInput)
    photos = MultipleImageField(label=_("Photos"))
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=50)
    reporter_phone = forms.CharField(
        label=_("Phone for a call back"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    client_id = forms.CharField(required=False, widget=forms.HiddenInput)

    default_channel: str = Channel.WEB

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = category_choices()
        for field in self.fields.values():
            # Every message names its field, like the services' messages do.
            field.error_messages["required"] = _("%(label)s: please fill this in.") % {"label": field.label}
            field.error_messages["invalid"] = _("%(label)s: this value is not valid.") % {"label": field.label}
        if not self.is_bound:
            self.initial.setdefault("client_id", new_client_id())

    @property
    def idempotency_key(self) -> str:
        """The hidden client id, when it is a UUID: a retried or doubled submission carries the same one."""
        value = self.data.get("client_id", "") if self.is_bound else self.initial.get("client_id", "")
        return valid_client_id(value)

    def intake(self) -> Intake:
        d = self.cleaned_data
        return Intake(
            description=d["description"],
            category_code=d.get("category") or "",
            kind=d.get("kind") or "",
            lat=d.get("lat"),
            lng=d.get("lng"),
            address_text=d.get("address_text") or "",
            building_id=d.get("building"),
            grid_id=None if d.get("building") else d.get("grid"),
            channel=d.get("channel") or self.default_channel,
            urgency=d.get("urgency") or "",
            reporter_name=d.get("reporter_name") or "",
            reporter_phone=d.get("reporter_phone") or "",
            anonymous=bool(d.get("anonymous")),
        )

    def add_service_error(self, field: str | None, message: str) -> None:
        target = SERVICE_FIELDS.get(field or "")
        self.add_error(target if target in self.fields else None, message)


STAFF_CHANNELS = (Channel.WALK_IN, Channel.PHONE, Channel.PATROL)


class StaffCaseForm(ReportForm):
    """Staff record a case for a resident (walk-in, phone call, found on patrol), or one solved on the spot."""

    channel = forms.ChoiceField(
        label=_("How it came in"), choices=[(c.value, c.label) for c in STAFF_CHANNELS], initial=Channel.WALK_IN
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Let CivicGrid decide")), *Kind.choices])
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("As the category says")), *Urgency.choices]
    )
    reporter_name = forms.CharField(label=_("Resident's name"), required=False, max_length=50)
    reporter_phone = forms.CharField(
        label=_("Resident's phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    anonymous = forms.BooleanField(label=_("The resident wants to stay anonymous"), required=False)
    note = forms.CharField(
        label=_("What was done (for a case solved on the spot)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
