"""The web app's pages."""

urlpatterns: list[object] = []
