from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "scorecards.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
