"""The evidence pages: a scorecard's backtest against outcomes, and its draft."""

from django.urls import path

from scorecards.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("scorecards/<str:key>/evidence/", views.evidence, name="evidence"),
    path("scorecards/<str:key>/evidence/draft.yaml", views.draft, name="draft"),
]
