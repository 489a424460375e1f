from django.urls import path  # noqa: F401

app_name = "incidents"

urlpatterns: list = []  # type: ignore[type-arg]
