from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "scorecards.feedback"
    label = "feedback"
    verbose_name = "Feedback"
