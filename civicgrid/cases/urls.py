from django.urls import path

app_name = "cases"
urlpatterns: list = []  # filled in by the case pages work
