from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="read_all"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/active/", views.set_webhook_active, name="webhook_active"),
]
