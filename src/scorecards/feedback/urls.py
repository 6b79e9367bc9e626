"""The public pages of the surveys: reached by the link in an email, no login."""

from django.urls import path

from scorecards.feedback import views

app_name = "feedback"

urlpatterns = [
    path("r/<str:token>", views.respond, name="respond"),
    path("r/<str:token>/thanks", views.thanks, name="thanks"),
    path("r/<str:token>/unsubscribe", views.unsubscribe_page, name="unsubscribe"),
]
