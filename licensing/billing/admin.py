"""The monthly invoicing runs in Django admin: progress (payers done of the
total), the failed payers with their reasons, and "Kör om misslyckade"."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from firm_portal.admin_readonly import ReadOnlyAdminMixin
from licensing import tasks
from licensing.models import InvoicingPayer, InvoicingRun


@admin.register(InvoicingRun)
class InvoicingRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "month",
        "issued_on",
        "progress",
        "failures",
        "state",
        "created_at",
        "finished_at",
    )
    fields = (*list_display, "chunk_size", "chunks")
    readonly_fields = fields
    actions = ["rerun_failed"]

    @admin.display(description=_("klara / betalare"))
    def progress(self, run: InvoicingRun) -> str:
        return f"{run.payers_done} / {run.payers_total}"

    @admin.display(description=_("misslyckade"))
    def failures(self, run: InvoicingRun) -> str:
        if not run.payers_failed:
            return "0"
        url = reverse("admin:licensing_invoicingpayer_changelist")
        return format_html(
            '<a href="{}?run__id__exact={}&amp;status__exact=failed">{}</a>',
            url,
            run.pk,
            run.payers_failed,
        )

    @admin.display(description=_("status"))
    def state(self, run: InvoicingRun) -> str:
        if run.payers_pending:
            return str(_("Pågår"))
        if run.payers_failed:
            return str(_("Klar, med misslyckade"))
        return str(_("Klar"))

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("licensing.change_invoicingrun")

    @admin.action(description=_("Kör om misslyckade"), permissions=["rerun"])
    def rerun_failed(self, request: HttpRequest, queryset: QuerySet[InvoicingRun]) -> None:
        payers = 0
        for run in queryset:
            failed = run.payers_failed
            tasks.failed_rerun(run)
            payers += failed
        self.message_user(
            request,
            ngettext(
                "%(count)d misslyckad betalare körs om.",
                "%(count)d misslyckade betalare körs om.",
                payers,
            )
            % {"count": payers},
            messages.SUCCESS,
        )


@admin.register(InvoicingPayer)
class InvoicingPayerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A run's payers; filtered to the failed ones from the run's list."""

    list_display = (
        "run",
        "position",
        "payer_kind",
        "payer_id",
        "status",
        "reason",
        "attempts",
        "invoice",
        "settled_at",
    )
    list_filter = ("status", "payer_kind", "run")
    list_select_related = ("run", "invoice")
    search_fields = ("=payer_id",)
    fields = (*list_display, "chunk")
    readonly_fields = fields
    show_full_result_count = False
