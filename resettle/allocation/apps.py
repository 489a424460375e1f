from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "resettle.allocation"
    label = "allocation"
