from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "scorecards.api"
    label = "api"
    verbose_name = "API"
