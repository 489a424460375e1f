from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "resettle.registry"
    label = "registry"
