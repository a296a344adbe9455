"""The JSON API under /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from civicgrid.areas.api import router as areas_router
from civicgrid.cases.api import router as cases_router
from civicgrid.core.errors import ServiceError
from civicgrid.people.api import router as people_router

api = NinjaAPI(
    title="CivicGrid API",
    version="1",
    description="网格通 CivicGrid: places, people and (later) cases of neighbourhood grid governance.",
    auth=django_auth,
    urls_namespace="api",
)
api.add_router("/areas", areas_router)
api.add_router("/people", people_router)
api.add_router("/cases", cases_router)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=400)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "没有权限 (permission denied)"}, status=403)
