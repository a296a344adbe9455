from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("", include("civicgrid.core.urls")),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("areas/", include("civicgrid.areas.urls")),
    path("people/", include("civicgrid.people.urls")),
    path("audit/", include("civicgrid.audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
