"""The web app's pages: sign-in, and the accounts list at the root."""

from django.contrib.auth import views as auth_views
from django.urls import path

from scorecards.web import views

app_name = "web"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
