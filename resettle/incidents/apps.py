from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "resettle.incidents"
    label = "incidents"
