from django.urls import include, path

from .api import api

urlpatterns = [
    path("", include("civicgrid.core.urls")),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("areas/", include("civicgrid.areas.urls")),
    path("people/", include("civicgrid.people.urls")),
    path("audit/", include("civicgrid.audit.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("notifications/", include("civicgrid.notifications.urls")),
    path("open311/", include("civicgrid.open311.urls")),
    path("field/", include("civicgrid.fieldwork.urls")),
    path("", include("civicgrid.cases.public_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
