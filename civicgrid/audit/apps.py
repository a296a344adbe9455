from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "civicgrid.audit"
    label = "audit"
