from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "resettle.reports"
    label = "reports"
