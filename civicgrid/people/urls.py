from django.urls import path

from . import importing, views

app_name = "people"
urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("households/", views.household_list, name="households"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("import/", importing.import_page, name="import"),
    path("import/template/<str:kind>.<str:fmt>", importing.template_download, name="import_template"),
]
