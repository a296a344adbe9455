from django.urls import path

app_name = "notifications"
urlpatterns: list = []  # inbox pages, filled in by the case pages work
