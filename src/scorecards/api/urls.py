"""The API's URL patterns; the routes themselves live beside each capability."""

urlpatterns: list[object] = []
