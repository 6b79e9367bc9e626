from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "scorecards.ingest"
    label = "ingest"
    verbose_name = "Signals"
