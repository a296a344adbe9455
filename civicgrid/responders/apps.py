from django.apps import AppConfig


class RespondersConfig(AppConfig):
    name = "civicgrid.responders"
    label = "responders"
