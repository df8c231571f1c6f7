from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "store"
    verbose_name = "Otklik store"
    default_auto_field = "django.db.models.BigAutoField"
