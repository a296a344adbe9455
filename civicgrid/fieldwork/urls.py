"""Everything under /field/: the phone pages (namespace `field`) and the staff pages of each field-work app."""

from django.urls import include, path

from . import views

phone_patterns = (
    [
        path("", views.home, name="home"),
        path("patrol/", views.patrol, name="patrol"),
        path("visit/", views.visit, name="visit"),
        path("dispute/", views.dispute, name="dispute"),
        path("screening/", views.screening, name="screening"),
        path("sync", views.sync, name="sync"),
        path("sw.js", views.service_worker, name="sw"),
        path("overview/", views.overview, name="overview"),
    ],
    "field",
)

urlpatterns = [
    path("", include(phone_patterns)),
    path("stewards/", include("civicgrid.stewards.urls")),
    path("patrols/", include("civicgrid.patrols.urls")),
    path("visits/", include("civicgrid.visits.urls")),
    path("fire-safety/", include("civicgrid.firesafety.urls")),
    path("disputes/", include("civicgrid.disputes.urls")),
]
