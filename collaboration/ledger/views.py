"""The access ledger ("Behörighetslogg") for a firm and for a subscription's
system administrators, with filters and CSV export."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clients.selectors import subscription_for_sysadmin
from collaboration.ledger.selectors import (
    ledger_events_named,
    ledger_events_of_subscription_number,
)
from collaboration.ledger.text import (
    LedgerNames,
    ledger_names,
    ledger_values_line,
    ledger_values_text,
)
from firm_portal.consultant_filter import ConsultantFilterField, consultant_filter_field
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.paging import PagedRows
from firm_portal.request_data import BoundedDateField, FilterForm, StrictIntegerField
from firm_portal.selectors import firm_consultants, require_consultant
from firm_portal.spreadsheet import excel_csv_response
from firm_portal.timeutils import STOCKHOLM
from firm_portal.widgets import PlainSelect
from ledger.models import AccessEvent

EVENTS_PER_PAGE = 50
CSV_LIMIT = 50_000
# A large firm's ledger holds millions of events: its count stops here
# ("fler än 10 000 händelser"; README, "Benchmarks").
COUNT_CAP = 10_000


class LedgerFilterForm(FilterForm):
    fran = BoundedDateField(label=gettext_lazy("Från"))
    till = BoundedDateField(label=gettext_lazy("Till och med"))
    typ = forms.ChoiceField(
        label=gettext_lazy("Händelse"),
        required=False,
        choices=[("", gettext_lazy("Alla")), *list(AccessEvent.Kind.choices)],
        widget=PlainSelect,  # 28 options, rendered without the template engine
    )
    konsult = consultant_filter_field()
    klient = StrictIntegerField(
        label=gettext_lazy("Abonnemangsnummer"), required=False, min_value=1, max_value=10**12
    )

    def offer_consultants(self, consultants: QuerySet[Consultant]) -> None:
        """The "Konsult" filter's consultants (`ConsultantFilterField`)."""
        cast(ConsultantFilterField, self.fields["konsult"]).offer(consultants)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("fran"), cleaned.get("till")
        if start and end and start > end:
            self.add_error("till", _("Slutdatumet kan inte ligga före startdatumet."))
        return cleaned

    def apply(self, events: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
        data = self.filters
        if data is None:
            return events.none()
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
            # The consultant's own user: no join through the consultancies
            # (a join the planner cannot stop after one page of events).
            events = events.filter(subject_id=data["konsult"].user_id)
        if data.get("klient"):
            events = ledger_events_of_subscription_number(events, data["klient"])
        return events


def _events(qs: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
    return ledger_events_named(qs.select_related("denied_attempt")).order_by("-occurred_at", "-pk")


# The columns the HTML page shows: plain values, no model instances.
ROW_FIELDS = (
    "occurred_at",
    "kind",
    "detail",
    "before",
    "after",
    "actor_name",
    "subject_name",
    "subscription_id",
    "subscription_number",
    "client_name",
    # A "Nekad åtkomst" event stands for every attempt of its window.
    "denied_attempt__attempts",
    "denied_attempt__last_at",
)


def _respond(
    request: AuthenticatedHttpRequest,
    events: QuerySet[AccessEvent],
    form: LedgerFilterForm,
    context: dict[str, object],
    filename: str,
) -> HttpResponse:
    events = form.apply(events)
    # Refused filters: the page with their messages, not a file with nothing in it.
    if request.GET.get("format") == "csv" and form.is_valid():
        return _csv(_events(events)[:CSV_LIMIT], filename)
    events = events.order_by("-occurred_at", "-pk")
    named = ledger_events_named(events).values(*ROW_FIELDS)
    rows = PagedRows(named, counted=events, finish=_finish_rows, cap=COUNT_CAP)
    page = Paginator(rows, EVENTS_PER_PAGE).get_page(request.GET.get("sida"))
    query = request.GET.copy()
    query.pop("sida", None)
    query.pop("format", None)
    return render(
        request,
        "collaboration/ledger.html",
        {
            **context,
            "form": form,
            "page": page,
            "rows": page.object_list,
            "count_cap": number_format(COUNT_CAP, force_grouping=True) if rows.capped else "",
            "query_string": query.urlencode(),
        },
    )


def _finish_rows(rows: list[dict[str, Any]]) -> None:
    rows[:] = _rows(rows)


def _rows(events: Iterable[dict[str, Any]]) -> list[dict[str, object]]:
    """The page's rows with their display values computed once here, not per
    row in the template (dates, kind labels, "Systemet"). Before/after values
    read as text (collaboration.ledger.text), masked like in the CSV export."""
    events = list(events)
    labels = dict(AccessEvent.Kind.choices)  # lazy: only the kinds shown are translated
    shown: dict[str, str] = {}
    system = _("Systemet")
    zone = timezone.get_current_timezone()
    afters = [
        _with_attempts(
            event["after"], event["denied_attempt__attempts"], event["denied_attempt__last_at"]
        )
        for event in events
    ]
    names = ledger_names([event["before"] for event in events] + afters)
    rows = []
    for event, after in zip(events, afters, strict=True):
        kind = event["kind"]
        if kind not in shown:
            shown[kind] = str(labels.get(kind, kind))
        rows.append(_row(event, after, names, kind=shown[kind], system=system, zone=zone))
    return rows


def _row(
    event: dict[str, Any],
    after: dict[str, object] | None,
    names: LedgerNames,
    *,
    kind: str,
    system: str,
    zone: tzinfo,
) -> dict[str, object]:
    """One event's display values on the page."""
    return {
        # |date:"Y-m-d H:i" in the current time zone
        "occurred_at": event["occurred_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "kind": kind,
        "detail": event["detail"],
        "actor": event["actor_name"] or system,
        "subject": event["subject_name"] or "–",
        "subscription": event["subscription_id"] is not None,
        "client": event["client_name"],
        "number": event["subscription_number"],
        "before": ledger_values_text(event["before"], names),
        "after": ledger_values_text(after, names),
    }


def _with_attempts(
    after: dict[str, object] | None, attempts: int | None, last_at: datetime | None
) -> dict[str, object] | None:
    """A denied event's values with how many attempts its window counted
    (ledger.services.ledger_record_denied) and when the latest was."""
    if attempts is None or last_at is None:
        return after
    last = timezone.localtime(last_at).strftime("%Y-%m-%d %H:%M")
    return {**(after or {}), "attempts": attempts, "last_attempt_at": last}


def _csv(events: QuerySet[AccessEvent], filename: str) -> HttpResponse:
    listed = [(event, _after_with_attempts(event)) for event in events]
    names = ledger_names([event.before for event, _after in listed] + [a for _e, a in listed])
    rows = (_csv_row(event, after, names) for event, after in listed)
    return excel_csv_response(filename, _csv_header(), rows)


def _csv_header() -> list[str]:
    return [
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


def _csv_row(
    event: AccessEvent, after: dict[str, object] | None, names: LedgerNames
) -> list[object]:
    """One event's line of the export, masked like on the page."""
    return [
        timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
        event.get_kind_display(),
        event.actor_name or _("Systemet"),  # type: ignore[attr-defined]
        event.subject_name or "",  # type: ignore[attr-defined]
        event.firm_name or "",  # type: ignore[attr-defined]
        event.client_name or "",  # type: ignore[attr-defined]
        event.subscription_number or "",  # type: ignore[attr-defined]
        ledger_values_line(event.before, names),
        ledger_values_line(after, names),
        event.detail,
    ]


def _after_with_attempts(event: AccessEvent) -> dict[str, object] | None:
    counted = getattr(event, "denied_attempt", None)
    if counted is None:
        return event.after
    return _with_attempts(event.after, counted.attempts, counted.last_at)


@login_required
@require_GET
def firm_ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The firm's "Behörighetslogg": firm admins and program admins, the firm's
    own events only; per consultant or per client through the filters."""
    consultant = require_consultant(user=request.user)
    if not consultant.sees_all_clients:
        raise PermissionDenied(_("Bara byråns administratörer kan läsa behörighetsloggen."))
    form = LedgerFilterForm(request.GET)
    form.offer_consultants(firm_consultants(consultant=consultant))
    events = AccessEvent.objects.filter(firm_id=consultant.firm_id)
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
    events = AccessEvent.objects.filter(subscription_id=subscription.pk)
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
