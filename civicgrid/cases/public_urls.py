"""Public (no login) pages: report, track, survey. Mounted at the site root."""

from django.urls import path

from . import public_views as views

app_name = "public"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/grids/", views.grid_options, name="grid_options"),
    path("report/buildings/", views.building_options, name="building_options"),
    path("report/suggest/", views.suggest_category, name="suggest"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:code>/", views.track, name="track"),
    path("track/<str:code>/survey/", views.survey, name="survey"),
]
