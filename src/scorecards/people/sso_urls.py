"""Single sign-on's routes, under /sso/: only the OpenID Connect sign-in and its
callback. allauth's own pages (passwords, sign-up, email) are not served."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    # allauth sends people to this name when a sign-in must start over.
    path(
        "login/",
        RedirectView.as_view(pattern_name="web:login"),
        name="account_login",
    ),
]
