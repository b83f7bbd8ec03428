"""The firm's own "Administrera användare": client-manager seats, consultant
accounts and roles, and which clients each consultant works with."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.invitations.consultant_services import (
    consultant_invite,
    consultant_offer_resend,
    consultant_reinvite,
)
from clients.invitations.selectors import firm_join_offer, firm_join_offers
from clients.invitations.services import JoinOfferNotPending, join_offer_withdraw
from clients.models import JoinOffer, Subscription
from clients.selectors import (
    consultant_assigned_count,
    firm_consultant_facts,
    firm_consultant_rows,
)
from collaboration.assignments.selectors import assignment_matches, assignment_panel
from collaboration.assignments.services import assignments_select_all, assignments_update
from collaboration.reminders.selectors import offers_with_states
from firm_portal import selectors, services
from firm_portal.firm_users.forms import ConsultantInviteForm, SeatChangeForm
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant, User
from firm_portal.paging import PagedRows
from firm_portal.request_data import SearchForm, parse_ids
from licensing.services import firm_seats_change

PANEL_LIMIT = 50
CONSULTANTS_PER_PAGE = 25


def _firm_staff(request: AuthenticatedHttpRequest) -> Consultant:
    """Firm admins and program admins reach the firm's user administration;
    other consultants get 403 with an explanation, everyone else 404."""
    consultant = selectors.require_consultant(user=request.user)
    _require_staff(consultant)
    return consultant


def _require_staff(consultant: Consultant) -> None:
    if not consultant.sees_all_clients:
        raise PermissionDenied(_("Bara byråns administratörer kan administrera användare."))


def _colleague(
    request: AuthenticatedHttpRequest, consultant_id: int
) -> tuple[Consultant, Consultant]:
    """(actor, colleague): the colleague is looked up first, so another firm's
    consultant is a 404 whoever asks; then the actor's role is checked."""
    actor = selectors.require_consultant(user=request.user)
    colleague = selectors.consultant_in_firm(actor=actor, consultant_id=consultant_id)
    _require_staff(actor)
    return actor, colleague


def _page(request: AuthenticatedHttpRequest, actor: Consultant, **extra: object) -> HttpResponse:
    # Paged: a firm of 300 consultants, each row with its forms, took most
    # of a second to render.
    consultants = firm_consultant_rows(actor=actor)
    page = Paginator(
        PagedRows(
            consultants.values(*ROW_FIELDS),
            counted=consultants,
            finish=lambda rows: firm_consultant_facts(actor=actor, rows=rows),
        ),
        CONSULTANTS_PER_PAGE,
    ).get_page(request.GET.get("sida"))
    context = {
        "actor": actor,
        "firm": actor.firm,
        "rows": page.object_list,
        "page": page,
        "seats_used": services.seats_used(firm_id=actor.firm_id),
        "seats_total": actor.firm.client_manager_seats,
        "seat_form": SeatChangeForm(),
        "invite_form": ConsultantInviteForm(),
        # Each with its state: sent, reminded, expiry of its link (flow 8).
        "join_offers": offers_with_states(
            offers=firm_join_offers(actor=actor) if actor.is_firm_admin else []
        ),
        **extra,
    }
    status = 422 if extra.get("invite_form") and extra["invite_form"].errors else 200  # type: ignore[attr-defined]
    return render(request, "firm_portal/firm_users.html", context, status=status)


# What the page shows of each consultant (no password hashes, no personnummer);
# `firm_consultant_facts` adds "invited", "offboarded" and "assigned_count".
ROW_FIELDS = (
    "pk",
    "is_active",
    "is_firm_admin",
    "is_client_manager_admin",
    "has_client_manager_seat",
    "user__full_name",
    "user__email",
    "user__mobile",
)


def _clients_text(count: int) -> str:
    """The "3 klienter" of a consultant's row, also sent out of band when the
    assignment panel saves, so the row never shows a stale count."""
    return ngettext("%(n)s klient", "%(n)s klienter", count) % {"n": localize(count)}


@login_required
@require_GET
def firm_users(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request, _firm_staff(request))


@login_required
@require_POST
def change_seats(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Lägg till licenser" (action=add) or release unused seats (action=remove)."""
    actor = _firm_staff(request)
    form = SeatChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["count"]))
        return redirect("firm_users")
    count = form.cleaned_data["count"]
    delta = -count if request.POST.get("action") == "remove" else count
    try:
        firm = firm_seats_change(actor=actor, delta=delta)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if delta > 0:
            text = ngettext(
                "%(count)s licens har lagts till. Byrån har nu %(total)s.",
                "%(count)s licenser har lagts till. Byrån har nu %(total)s.",
                count,
            )
        else:
            text = ngettext(
                "%(count)s licens har tagits bort. Byrån har nu %(total)s.",
                "%(count)s licenser har tagits bort. Byrån har nu %(total)s.",
                count,
            )
        messages.success(request, text % {"count": count, "total": firm.client_manager_seats})
    return redirect("firm_users")


@login_required
@require_POST
def add_consultant(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Lägg till användare": ask the person to join the firm, by e-mail.
    The same answer whether or not an account exists for the address."""
    actor = _firm_staff(request)
    form = ConsultantInviteForm(request.POST)
    if form.is_valid():
        try:
            consultant_invite(
                actor=actor,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                mobile=form.cleaned_data["mobile"],
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("%(name)s har fått en inbjudan till byrån. Den har skickats till %(email)s.")
                % {"name": form.cleaned_data["full_name"], "email": form.cleaned_data["email"]},
            )
            return redirect("firm_users")
    return _page(request, actor, invite_form=form, open_invite=True)


@login_required
@require_POST
def resend_offer(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """ "Skicka inbjudan igen" to someone the firm has asked to join."""
    actor = selectors.require_consultant(user=request.user)
    offer = firm_join_offer(actor=actor, offer_id=offer_id)
    _require_staff(actor)
    try:
        consultant_offer_resend(actor=actor, offer=offer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Inbjudan har skickats igen till %(email)s.") % {"email": offer.user.email},
        )
    return redirect("firm_users")


@login_required
@require_http_methods(["GET", "POST"])
def withdraw_offer(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """ "Återkalla inbjudan" of someone the firm asked to join: a
    confirmation page, then the withdrawal. Firm admins only (they alone
    see "Inbjudna")."""
    actor = selectors.require_consultant(user=request.user)
    offer = firm_join_offer(actor=actor, offer_id=offer_id)
    if not actor.is_firm_admin:
        raise PermissionDenied(_("Bara byråns administratörer kan återkalla inbjudningar."))
    return join_offer_withdraw_page(
        request, actor=actor.user, offer=offer, target=offer.firm.name, back="firm_users"
    )


def join_offer_withdraw_page(
    request: AuthenticatedHttpRequest, *, actor: User, offer: JoinOffer, target: str, back: str
) -> HttpResponse:
    """The confirmation page of "Återkalla inbjudan" (GET) and the
    withdrawal (POST), for a firm's consultant offers and its client-user
    offers alike; the offer was fetched through the caller's scoped selector."""
    if request.method == "POST":
        try:
            join_offer_withdraw(actor=actor, offer=offer)
        except JoinOfferNotPending:
            messages.error(request, _("Inbjudan är redan besvarad eller återkallad."))
        else:
            messages.success(
                request,
                _("Inbjudan till %(email)s är återkallad.") % {"email": offer.user.email},
            )
        return redirect(back)
    return render(
        request,
        "firm_portal/withdraw_offer.html",
        {"offer": offer, "target": target, "back_url": reverse(back)},
    )


@login_required
@require_POST
def reinvite(request: AuthenticatedHttpRequest, consultant_id: int) -> HttpResponse:
    actor, consultant = _colleague(request, consultant_id)
    try:
        consultant_reinvite(actor=actor, consultant=consultant)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("En ny inbjudan har skickats till %(email)s. Tidigare länkar gäller inte längre.")
            % {"email": consultant.user.email},
        )
    return redirect("firm_users")


@login_required
@require_POST
def set_seat(request: AuthenticatedHttpRequest, consultant_id: int) -> HttpResponse:
    actor, consultant = _colleague(request, consultant_id)
    has_seat = request.POST.get("has_seat") == "on"
    try:
        services.consultant_set_seat(actor=actor, consultant=consultant, has_seat=has_seat)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = (
            _("%(name)s har fått en licens för Klienthanteraren.")
            if has_seat
            else _("Licensen för Klienthanteraren är borttagen från %(name)s.")
        )
        messages.success(request, text % {"name": consultant.user.full_name})
    return redirect("firm_users")


@login_required
@require_POST
def set_roles(request: AuthenticatedHttpRequest, consultant_id: int) -> HttpResponse:
    actor, consultant = _colleague(request, consultant_id)
    try:
        services.consultant_set_roles(
            actor=actor,
            consultant=consultant,
            is_firm_admin=request.POST.get("is_firm_admin") == "on",
            is_client_manager_admin=request.POST.get("is_client_manager_admin") == "on",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Rollerna för %(name)s är sparade.") % {"name": consultant.user.full_name},
        )
    return redirect("firm_users")


@login_required
@require_http_methods(["GET", "POST"])
def assignments(request: AuthenticatedHttpRequest, consultant_id: int) -> HttpResponse:
    """The program admin's panel: tick which clients the consultant works with.
    A search that is refused (control characters, too long) shows no clients
    and changes nothing."""
    actor, consultant = _colleague(request, consultant_id)
    search = SearchForm(request.POST if request.method == "POST" else request.GET)
    searched = search.is_valid()
    saved = ""
    if request.method == "POST":
        if searched:
            saved = _assignments_save(request, actor, consultant, search.query)
        if not request.htmx:
            if searched:
                messages.success(request, f"{consultant.user.full_name}: {saved}")
            else:
                messages.error(request, " ".join(search.error_list))
            return redirect("firm_users")
    return _assignments_panel(request, actor, consultant, search, saved=saved)


def _assignments_panel(
    request: AuthenticatedHttpRequest,
    actor: Consultant,
    consultant: Consultant,
    search: SearchForm,
    *,
    saved: str,
) -> HttpResponse:
    """The panel (page or HTMX fragment); no clients for a refused search."""
    rows, total = _panel_rows(actor, consultant, search)
    # After "Spara" the row's "3 klienter" link on the page behind the panel
    # is updated in the same answer (hx-swap-oob).
    clients_text = ""
    if saved and request.htmx:
        clients_text = _clients_text(consultant_assigned_count(consultant=consultant))
    template = "firm_portal/assignments.html" + ("#panel" if request.htmx else "")
    return render(
        request,
        template,
        {
            "consultant": consultant,
            "rows": rows,
            "total": total,
            "query": search.query,
            "search_errors": search.error_list,
            "limit": PANEL_LIMIT,
            "saved": saved,
            "clients_text": clients_text,
        },
    )


def _panel_rows(
    actor: Consultant, consultant: Consultant, search: SearchForm
) -> tuple[list[tuple[Subscription, bool]], int]:
    """The panel's rows and how many there are; none for a refused search."""
    if not search.is_valid():
        return [], 0
    return assignment_panel(
        actor=actor, consultant=consultant, query=search.query, limit=PANEL_LIMIT
    )


def _assignments_save(
    request: AuthenticatedHttpRequest, actor: Consultant, consultant: Consultant, query: str
) -> str:
    """ "Spara" or "Markera alla": the change, and what to say about it."""
    if request.POST.get("action") == "select_all":
        ids = assignment_matches(actor=actor, query=query)
        added = assignments_select_all(actor=actor, consultant=consultant, subscription_ids=ids)
        marked = ngettext(
            "%(count)s klient i urvalet är markerad",
            "Alla %(count)s klienter i urvalet är markerade",
            len(ids),
        ) % {"count": len(ids)}
        new = ngettext("%(added)s ny", "%(added)s nya", added) % {"added": added}
        return _("%(marked)s (%(new)s).") % {"marked": marked, "new": new}
    added, removed = assignments_update(
        actor=actor,
        consultant=consultant,
        shown=parse_ids(request.POST.getlist("shown")),
        checked=parse_ids(request.POST.getlist("subscriptions")),
    )
    return _("Sparat: %(added)s, %(removed)s.") % {
        "added": ngettext("%(n)s tillagd", "%(n)s tillagda", added) % {"n": added},
        "removed": ngettext("%(n)s borttagen", "%(n)s borttagna", removed) % {"n": removed},
    }
