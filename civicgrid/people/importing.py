"""Import pages: upload a population-register file (xlsx or CSV) and download the empty templates."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.errors import require

from . import importers

# A page of 50,000 problems helps nobody: the first ones show, with the total, and the rest follow once fixed.
PROBLEMS_SHOWN = 1000

SUCCESS = {
    "buildings": gettext_lazy("Buildings imported from %(file)s: %(n)d."),
    "households": gettext_lazy("Households imported from %(file)s: %(n)d (new houses: %(houses)d)."),
    "residents": gettext_lazy("Residents imported from %(file)s: %(n)d."),
    "units": gettext_lazy("Units imported from %(file)s: %(n)d."),
}


class RegistryImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file contains"),
        choices=[(spec.kind, spec.label) for spec in importers.SPECS.values()],
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("An .xlsx workbook or a .csv file (UTF-8 or GB18030), at most 30 MB."),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv"}),
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "people.import_registry")
    selected = request.POST.get("kind") or request.GET.get("kind") or "residents"
    if selected not in importers.SPECS:
        selected = "residents"
    form = RegistryImportForm(request.POST or None, request.FILES or None, initial={"kind": selected})
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        # Read one byte past the limit, never the whole of an oversized upload: the service names the limit.
        data = upload.read(importers.MAX_FILE_BYTES + 1)
        result = importers.import_registry(request.user, kind, upload.name or "", data)
        if result.ok:
            created = result.created
            messages.success(
                request,
                SUCCESS[kind]
                % {
                    "file": upload.name,
                    "n": created.get(kind, 0),
                    "houses": created.get("houses", 0),
                },
            )
            return redirect(f"{reverse('people:import')}?kind={kind}")
    problems = result.problems if result is not None else []
    return render(
        request,
        "people/import.html",
        {
            "form": form,
            "specs": list(importers.SPECS.values()),
            "selected": selected,
            "result": result,
            "problems": problems[:PROBLEMS_SHOWN],
            "problems_total": len(problems),
            "problems_truncated": len(problems) > PROBLEMS_SHOWN,
            "problem_rows": result.problem_rows if result is not None else 0,
        },
    )


@login_required
def template_download(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    require(request.user, "people.import_registry")
    if kind not in importers.SPECS or fmt not in importers.FORMATS:
        raise Http404(_("There is no such template."))
    response = HttpResponse(importers.build_template(kind, fmt), content_type=importers.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return response
