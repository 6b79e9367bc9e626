from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "scorecards.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from scorecards.alerts import service
        from scorecards.scoring.rescore import scores_stored

        scores_stored.connect(service.on_scores_stored, dispatch_uid="alerts")
