from django.urls import path  # noqa: F401

app_name = "departures"

urlpatterns: list = []  # type: ignore[type-arg]
