from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FirmPortalConfig(AppConfig):
    name = "firm_portal"
    verbose_name = _("Byråer och användare")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import fields

        # Django 6.1's "- Select an option -" has no Swedish translation yet;
        # ours goes through our own catalogue (English in locale/en).
        fields.BLANK_CHOICE_LABEL = _("– Välj –")

        from django.contrib.auth.signals import user_logged_in

        from firm_portal.middleware import stamp_session_on_login

        user_logged_in.connect(stamp_session_on_login, dispatch_uid="stamp_session_on_login")

        from firm_portal.two_factor.services import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="two_factor_on_login")

        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from firm_portal import metrics

        user_login_failed.connect(metrics.count_login_failure, dispatch_uid="metrics_login_failed")
        user_locked_out.connect(metrics.count_lockout, dispatch_uid="metrics_lockout")
