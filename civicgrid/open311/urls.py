from django.urls import path

app_name = "open311"
urlpatterns: list = []  # filled in by the Open311 work
