"""Where other systems send data: survey webhooks and Segment-style calls."""

from django.urls import path

from scorecards.sources import tracking, webhooks

urlpatterns = [
    path("hooks/delighted/<str:key>", webhooks.delighted, name="hook-delighted"),
    path("hooks/typeform/<str:key>", webhooks.typeform, name="hook-typeform"),
    path("v1/batch", tracking.batch, name="segment-batch"),
    *(
        path(f"v1/{kind}", tracking.single(kind), name=f"segment-{kind}")
        for kind in ("track", "page", "screen", "identify", "group", "alias")
    ),
]
