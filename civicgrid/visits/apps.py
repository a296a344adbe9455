from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "civicgrid.visits"
    label = "visits"
