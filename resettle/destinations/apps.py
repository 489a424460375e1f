from django.apps import AppConfig


class DestinationsConfig(AppConfig):
    name = "resettle.destinations"
    label = "destinations"
