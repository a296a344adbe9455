from django.urls import path

from . import views

app_name = "firesafety"
urlpatterns = [
    path("grid/<int:grid_id>/", views.register, name="register"),
    path("items/<int:pk>/check/", views.check, name="check"),
]
