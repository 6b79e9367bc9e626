"""Top-level URL routes; each app will add its own include() here."""

from django.urls import path

from scorecards.config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
]
