from django.apps import AppConfig


class DeparturesConfig(AppConfig):
    name = "resettle.departures"
    label = "departures"
