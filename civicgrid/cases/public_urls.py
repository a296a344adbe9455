"""Public (no login) pages: report, track, survey. Mounted at the site root."""

from django.urls import path

app_name = "public"
urlpatterns: list = []  # filled in by the case pages work
