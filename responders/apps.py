from django.apps import AppConfig


class RespondersConfig(AppConfig):
    name = "responders"
    verbose_name = "Responders"
    default_auto_field = "django.db.models.BigAutoField"
