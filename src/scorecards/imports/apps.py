from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "scorecards.imports"
    label = "imports"
    verbose_name = "Imports"
