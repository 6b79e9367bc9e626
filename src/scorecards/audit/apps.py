from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "scorecards.audit"
    label = "audit"
    verbose_name = "Audit log"
