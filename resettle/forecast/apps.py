from django.apps import AppConfig


class ForecastConfig(AppConfig):
    name = "resettle.forecast"
    label = "forecast"
