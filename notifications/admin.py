from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import services
from notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Support sees every message, can send failed ones again and send SMS
    held back by a firm's daily limit; nothing else can be changed here."""

    list_display = (
        "created_at",
        "channel",
        "recipient",
        "template",
        "status",
        "attempts",
        "last_error_summary",
        "sent_at",
    )
    list_filter = ("status", "channel", "template", "created_at")
    search_fields = ("recipient", "subject", "=request_id")
    fields = (
        "channel",
        "recipient",
        "template",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "body_purged_at",
        "next_attempt_at",
        "claimed_until",
        "idempotency_key",
        "request_id",
        "subject",
        "body_text",
        "body_html",
    )
    readonly_fields = fields
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["retry_failed", "release_held"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        # The list never shows the bodies; the detail page loads them when read.
        return super().get_queryset(request).defer("body_text", "body_html")

    @admin.display(description=_("senaste fel"))
    def last_error_summary(self, message: OutboxMessage) -> str:
        return Truncator(message.last_error).chars(80)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.action(description=_("Skicka om misslyckade"), permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        retried = services.outbox_retry_failed(message_ids=selected)
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d misslyckat meddelande skickas om.",
                    "%(count)d misslyckade meddelanden skickas om.",
                    retried,
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        if skipped := len(selected) - retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d valt meddelande hade inte misslyckats och lämnades orört.",
                    "%(count)d valda meddelanden hade inte misslyckats och lämnades orörda.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Skicka hållna sms"), permissions=["retry"])
    def release_held(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        released = services.outbox_release_held(message_ids=selected)
        if released:
            self.message_user(
                request,
                ngettext(
                    "%(count)d hållet sms skickas nu.",
                    "%(count)d hållna sms skickas nu.",
                    released,
                )
                % {"count": released},
                messages.SUCCESS,
            )
        if skipped := len(selected) - released:
            self.message_user(
                request,
                ngettext(
                    "%(count)d valt meddelande hölls inte inne och lämnades orört.",
                    "%(count)d valda meddelanden hölls inte inne och lämnades orörda.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
