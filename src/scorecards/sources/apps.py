from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "scorecards.sources"
    label = "sources"
    verbose_name = "Sources"
