"""Pages for logging in, resident registration and household links, and account management."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core.errors import ServiceError, access_object, require
from civicgrid.people.selectors import households_for

from . import selectors, services
from .forms import CreateUserForm, DecideLinkForm, LinkRequestForm, LoginForm, RegisterForm


class CivicLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _form_error(form: object, exc: ServiceError) -> None:
    # Service messages already name their field; they are shown under it (templates print them as they are).
    field = exc.field if exc.field in form.fields else None  # type: ignore[attr-defined]
    form.add_error(field, exc.message)  # type: ignore[attr-defined]


def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_resident(**form.cleaned_data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            login(request, user, backend="civicgrid.accounts.backends.UsernameOrPhoneBackend")
            messages.success(request, _("Welcome! Ask to be linked to your household below."))
            return redirect("accounts:resident_home")
    return render(request, "accounts/register.html", {"form": form})


@login_required
def resident_home(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_household_link(request.user, **form.cleaned_data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your request was sent to the community for confirmation."))
            return redirect("accounts:resident_home")
    return render(
        request,
        "accounts/resident_home.html",
        {
            "form": form,
            "requests": selectors.link_requests_for(request.user),
            "household": households_for(request.user).first(),
        },
    )


@login_required
def link_requests(request: HttpRequest) -> HttpResponse:
    require(request.user, "accounts.manage_users")
    return render(
        request,
        "accounts/link_requests.html",
        {"pending": selectors.pending_link_requests_for(request.user), "form": DecideLinkForm()},
    )


@login_required
@require_POST
def decide_link_request(request: HttpRequest, pk: int) -> HttpResponse:
    req = access_object(request.user, "accounts.decide_link_request", selectors.link_requests_for(request.user), pk=pk)
    form = DecideLinkForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    household = None
    code = form.cleaned_data.get("household_code", "").strip()
    if approve and code:
        household = households_for(request.user).filter(code=code).first()
        if household is None:
            messages.error(request, _("Household code: no household %(c)s in your area.") % {"c": code})
            return redirect("accounts:link_requests")
    try:
        services.decide_link_request(
            request.user, req, approve=approve, household=household, note=form.cleaned_data.get("note", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("accounts:link_requests")


@login_required
def users(request: HttpRequest) -> HttpResponse:
    require(request.user, "accounts.manage_users")
    form = CreateUserForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_user(request.user, **form.cleaned_data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Account %(u)s created.") % {"u": form.cleaned_data["username"]})
            return redirect("accounts:users")
    qs = selectors.users_for(request.user).exclude(role="resident").order_by("role", "username")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"form": form, "page": page})
