"""Klienthanteraren: "Hantera klienter" with "Utökad sökning", and one
client's page with "Lägg till konsult"."""

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clients.models import Membership
from clients.selectors import active_sysadmins, permission_grid
from clients.services import consultant_add_to_subscription
from collaboration.client_list import selectors
from collaboration.client_list.selectors import ClientFilter
from collaboration.requests.views import no_seat_page
from firm_portal.consultant_filter import ConsultantFilterField, consultant_filter_field
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.paging import PagedRows
from firm_portal.request_data import FilterForm, SearchField, parse_id
from firm_portal.selectors import consultant_in_firm, firm_consultants, seated_consultant
from firm_portal.widgets import PlainSelect

CLIENTS_PER_PAGE = 25


class ClientSearchForm(FilterForm):
    """ "Utökad sökning", on every request of the list: its selects render
    with one template each (firm_portal/widgets.py)."""

    q = SearchField(label=gettext_lazy("Sök"))
    konsult = consultant_filter_field()
    status = forms.ChoiceField(
        label=gettext_lazy("Samarbete"),
        required=False,
        choices=[
            ("", gettext_lazy("Alla")),
            ("active", gettext_lazy("Aktiv")),
            ("scheduled", gettext_lazy("Schemalagd")),
        ],
        widget=PlainSelect,
    )
    saknar_klientanvandare = forms.BooleanField(
        label=gettext_lazy("Saknar klientanvändare"), required=False
    )
    sortera = forms.ChoiceField(
        label=gettext_lazy("Sortera"),
        required=False,
        choices=[
            ("namn", gettext_lazy("Namn A–Ö")),
            ("-namn", gettext_lazy("Namn Ö–A")),
            ("orgnr", gettext_lazy("Organisationsnummer")),
            ("abonnemang", gettext_lazy("Abonnemangsnummer")),
        ],
        widget=PlainSelect,
    )

    def __init__(self, data: QueryDict, *, consultant: Consultant) -> None:
        """ "Konsult" offers the consultants of the searcher's firm."""
        super().__init__(data)
        cast(ConsultantFilterField, self.fields["konsult"]).offer(
            firm_consultants(consultant=consultant)
        )

    def to_filter(self) -> ClientFilter | None:
        """The search asked for; None when it is refused (the list is then empty)."""
        data = self.filters
        if data is None:
            return None
        return ClientFilter(
            query=data.get("q") or "",
            consultant_id=data["konsult"].pk if data.get("konsult") else None,
            status=data.get("status") or "",
            missing_client_users=bool(data.get("saknar_klientanvandare")),
            sort=data.get("sortera") or "namn",
        )


@login_required
@require_GET
def client_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Hantera klienter": the consultant's clients (all of the firm's for admins)."""
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    form = ClientSearchForm(request.GET, consultant=consultant)
    filters = form.to_filter()
    rows: PagedRows | list[object] = []
    if filters is not None:
        rows = selectors.client_list(consultant=consultant, filters=filters)
    page = Paginator(rows, CLIENTS_PER_PAGE).get_page(request.GET.get("sida"))
    query_string = request.GET.copy()
    query_string.pop("sida", None)
    template = "collaboration/client_list.html"
    if request.htmx and request.htmx.target == "client-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "consultant": consultant,
            "query_string": query_string.urlencode(),
            "count_cap": _count_cap(rows),
            "searching": any(value for key, value in request.GET.items() if key != "sida"),
        },
    )


def _count_cap(rows: PagedRows | list[object]) -> str:
    """The cap, formatted, when the search had more clients than it counts."""
    if isinstance(rows, PagedRows) and rows.capped:
        return number_format(selectors.SEARCH_COUNT_CAP, force_grouping=True)
    return ""


@login_required
@require_GET
def client_detail(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """The edit icon in the client list: who of the firm works in this
    subscription, and "Lägg till konsult" when the user is sysadmin there."""
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    coupling = selectors.client_for_consultant(consultant=consultant, number=number)
    subscription = coupling.subscription
    grid = permission_grid(subscription=subscription)
    firm_members = [m for m in grid.consultants if m.consultant.firm_id == consultant.firm_id]  # type: ignore[union-attr]
    is_sysadmin = active_sysadmins(subscription=subscription).filter(user=request.user).exists()
    candidates = _candidates(consultant, firm_members) if is_sysadmin else []
    return render(
        request,
        "collaboration/client_detail.html",
        {
            "coupling": coupling,
            "subscription": subscription,
            "grid": grid,
            "firm_rows": grid.user_rows(firm_members),
            "is_sysadmin": is_sysadmin,
            "candidates": candidates,
        },
    )


def _candidates(consultant: Consultant, firm_members: list[Membership]) -> list[Consultant]:
    """ "Lägg till konsult": the firm's consultants not yet members."""
    member_ids = {m.consultant_id for m in firm_members}
    colleagues = firm_consultants(consultant=consultant).order_by("user__full_name")
    return [c for c in colleagues if c.pk not in member_ids]


@login_required
@require_POST
def client_add_consultant(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """ "Lägg till konsult" → then straight to their levels in "Tilldela behörigheter"."""
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    coupling = selectors.client_for_consultant(consultant=consultant, number=number)
    colleague_id = parse_id(request.POST.get("consultant", ""))
    if colleague_id is None:
        messages.error(request, _("Välj en konsult."))
        return redirect("collaboration:client_detail", number=number)
    colleague = consultant_in_firm(actor=consultant, consultant_id=colleague_id)
    try:
        consultant_add_to_subscription(
            actor_user=request.user, subscription=coupling.subscription, consultant=colleague
        )
    except PermissionDenied:
        messages.error(
            request,
            _("Bara klientens systemadministratör kan lägga till konsulter i abonnemanget."),
        )
        return redirect("collaboration:client_detail", number=number)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("collaboration:client_detail", number=number)
    messages.success(
        request,
        _("%(name)s är tillagd i abonnemanget. Ställ in behörigheterna nedan.")
        % {"name": colleague.user.full_name},
    )
    return redirect("clients:permissions", number=number)
