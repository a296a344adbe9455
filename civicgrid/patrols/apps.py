from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "civicgrid.patrols"
    label = "patrols"
