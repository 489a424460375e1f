from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    name = "resettle.encryption"
    label = "encryption"
    verbose_name = "Encryption keys"
