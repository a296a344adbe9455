from django.apps import AppConfig


class StewardsConfig(AppConfig):
    name = "civicgrid.stewards"
    label = "stewards"
