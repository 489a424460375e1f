from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "resettle.accounts"
    label = "accounts"
