from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "resettle.casework"
    label = "casework"
