"""The access ledger ("Behörighetslogg") for a firm and for a subscription's
system administrators, with filters and CSV export."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clients.selectors import subscription_for_sysadmin
from collaboration.models import AccessEvent
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.selectors import firm_consultants, require_consultant
from firm_portal.spreadsheet import excel_csv_response
from firm_portal.templatetags.masking import mobile_masked, personnummer_masked
from firm_portal.timeutils import STOCKHOLM
from firm_portal.widgets import PlainSelect

EVENTS_PER_PAGE = 50
CSV_LIMIT = 50_000


class LedgerFilterForm(forms.Form):
    fran = forms.DateField(
        label=gettext_lazy("Från"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    till = forms.DateField(
        label=gettext_lazy("Till och med"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    typ = forms.ChoiceField(
        label=gettext_lazy("Händelse"),
        required=False,
        choices=[("", gettext_lazy("Alla")), *list(AccessEvent.Kind.choices)],
    )
    konsult = forms.TypedChoiceField(
        label=gettext_lazy("Konsult"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=PlainSelect,  # one option per consultant of the firm
    )
    klient = forms.IntegerField(
        label=gettext_lazy("Abonnemangsnummer"), required=False, min_value=1, max_value=10**12
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("fran"), cleaned.get("till")
        if start and end and start > end:
            self.add_error("till", _("Slutdatumet kan inte ligga före startdatumet."))
        return cleaned

    def apply(self, events: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data.get("fran"):
            events = events.filter(
                occurred_at__gte=datetime.combine(data["fran"], time.min, tzinfo=STOCKHOLM)
            )
        if data.get("till"):
            events = events.filter(
                occurred_at__lt=datetime.combine(
                    data["till"] + timedelta(days=1), time.min, tzinfo=STOCKHOLM
                )
            )
        if data.get("typ"):
            events = events.filter(kind=data["typ"])
        if data.get("konsult"):
            events = events.filter(subject__consultancies__pk=data["konsult"])
        if data.get("klient"):
            events = events.filter(subscription__number=data["klient"])
        return events


def _events(qs: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
    return qs.select_related("actor", "subject", "firm", "subscription__client").order_by(
        "-occurred_at", "-pk"
    )


def _respond(
    request: AuthenticatedHttpRequest,
    events: QuerySet[AccessEvent],
    form: LedgerFilterForm,
    context: dict[str, object],
    filename: str,
) -> HttpResponse:
    events = form.apply(events)
    if request.GET.get("format") == "csv":
        return _csv(events[:CSV_LIMIT], filename)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("sida"))
    query = request.GET.copy()
    query.pop("sida", None)
    query.pop("format", None)
    return render(
        request,
        "collaboration/ledger.html",
        {**context, "form": form, "page": page, "query_string": query.urlencode()},
    )


def _csv(events: QuerySet[AccessEvent], filename: str) -> HttpResponse:
    header = [
        _("Tidpunkt"),
        _("Händelse"),
        _("Utförd av"),
        _("Gäller"),
        _("Byrå"),
        _("Klient"),
        _("Abonnemangsnummer"),
        _("Före"),
        _("Efter"),
        _("Beskrivning"),
    ]
    rows = (
        [
            timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
            event.get_kind_display(),
            event.actor.full_name if event.actor else _("Systemet"),
            event.subject.full_name if event.subject else "",
            event.firm.name if event.firm else "",
            event.subscription.client.name if event.subscription else "",
            event.subscription.number if event.subscription else "",
            _describe(event.before),
            _describe(event.after),
            event.detail,
        ]
        for event in events
    )
    return excel_csv_response(filename, header, rows)


def _describe(values: dict[str, object] | None) -> str:
    if not values:
        return ""
    return ", ".join(f"{key}={_masked(key, value)}" for key, value in sorted(values.items()))


def _masked(key: str, value: object) -> object:
    """The export never carries a full mobile number or personnummer."""
    if key in ("mobile", "mobilnummer"):
        return mobile_masked(value)
    if key in ("personal_number", "personnummer"):
        return personnummer_masked(value)
    return value


@login_required
@require_GET
def firm_ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The firm's "Behörighetslogg": firm admins and program admins, the firm's
    own events only; per consultant or per client through the filters."""
    consultant = require_consultant(user=request.user)
    if not consultant.sees_all_clients:
        raise PermissionDenied(_("Bara byråns administratörer kan läsa behörighetsloggen."))
    form = LedgerFilterForm(request.GET)
    form.fields["konsult"].choices = [  # type: ignore[attr-defined]
        ("", _("Alla")),
        *firm_consultants(consultant=consultant)
        .order_by("user__full_name")
        .values_list("pk", "user__full_name"),
    ]
    events = _events(AccessEvent.objects.filter(firm_id=consultant.firm_id))
    return _respond(
        request,
        events,
        form,
        {"scope": consultant.firm.name, "show_consultant_filter": True},
        "behorighetslogg.csv",
    )


@login_required
@require_GET
def subscription_ledger(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """A subscription's "Behörighetslogg", for its system administrators."""
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    form = LedgerFilterForm(request.GET)
    del form.fields["konsult"], form.fields["klient"]
    events = _events(AccessEvent.objects.filter(subscription=subscription))
    return _respond(
        request,
        events,
        form,
        {
            "scope": f"{subscription.client.name} – {subscription.number}",
            "subscription": subscription,
        },
        f"behorighetslogg-{subscription.number}.csv",
    )
