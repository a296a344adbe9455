from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("grid/<int:grid_id>/", views.grid_visits, name="list"),
]
