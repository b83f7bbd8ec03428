from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FirmPortalConfig(AppConfig):
    name = "firm_portal"
    verbose_name = _("Byråer och användare")
    default_auto_field = "django.db.models.BigAutoField"
