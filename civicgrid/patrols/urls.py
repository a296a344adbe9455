from django.urls import path

from . import views

app_name = "patrols"
urlpatterns = [
    path("grid/<int:grid_id>/", views.grid_patrols, name="list"),
    path("findings/<int:pk>/photo/", views.finding_photo, name="finding_photo"),
]
