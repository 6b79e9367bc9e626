from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scorecards.scoring"
    label = "scoring"
    verbose_name = "Scoring"
