from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Meddelanden")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the delivery tasks, which services.outbox_publish looks
        # up by name (a web process imports no tasks module otherwise).
        from notifications import tasks  # noqa: F401
