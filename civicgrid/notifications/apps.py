from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "civicgrid.notifications"
    label = "notifications"
