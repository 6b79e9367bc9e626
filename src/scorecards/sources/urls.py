"""Where other systems send data: survey webhooks and Segment-style calls."""

from django.urls import path

from scorecards.sources import webhooks

urlpatterns = [
    path("hooks/delighted/<str:key>", webhooks.delighted, name="hook-delighted"),
    path("hooks/typeform/<str:key>", webhooks.typeform, name="hook-typeform"),
]
