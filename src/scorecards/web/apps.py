from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "scorecards.web"
    label = "web"
    verbose_name = "Web app"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from scorecards.web.signin import log_lockout

        user_locked_out.connect(log_lockout, dispatch_uid="scorecards-log-lockout")
