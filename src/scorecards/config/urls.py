"""Top-level URL routes; each app will add its own include() here."""

from django.urls import include, path

from scorecards.config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("scorecards.api.urls")),
    path("sso/", include("scorecards.people.sso_urls")),
    path("", include("scorecards.sources.urls")),
    path("", include("scorecards.feedback.urls")),
    path("", include("scorecards.outcomes.urls")),
    path("", include("scorecards.web.urls")),
]
