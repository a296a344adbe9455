from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "civicgrid.disputes"
    label = "disputes"
