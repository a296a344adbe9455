from django.apps import AppConfig


class FiresafetyConfig(AppConfig):
    name = "civicgrid.firesafety"
    label = "firesafety"
