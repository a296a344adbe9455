from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("streets/<int:pk>/", views.street_detail, name="street"),
    path("communities/<int:pk>/", views.community_detail, name="community"),
    path("grids/<int:pk>/", views.grid_detail, name="grid"),
    path("locate/", views.locate, name="locate"),
    path("import-boundaries/", views.import_boundaries, name="import_boundaries"),
]
