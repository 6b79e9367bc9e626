from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "scorecards.web"
    label = "web"
    verbose_name = "Web app"
