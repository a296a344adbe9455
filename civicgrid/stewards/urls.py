from django.urls import path

from . import views

app_name = "stewards"
urlpatterns = [
    path("", views.programme, name="programme"),
    path("apply/", views.apply, name="apply"),
    path("training/", views.record_training, name="record_training"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/activate/", views.activate, name="activate"),
    path("grid/<int:grid_id>/", views.roster, name="roster"),
]
