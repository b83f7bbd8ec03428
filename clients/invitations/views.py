"""Flow 4: "Bjud in klientanvändare" from "Hantera klienter"."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.bulk_invitations import MAX_ROWS_PER_SEND
from clients.invitations.forms import BulkInviteForm, InviteRowForm
from clients.models import Subscription
from clients.selectors import record_denied
from clients.usernames import username_suggest
from collaboration import bulk_invitations
from collaboration.bulk_invitations import BulkInviteError
from collaboration.reminders.selectors import offers_with_states
from collaboration.requests.views import no_seat_page
from firm_portal.firm_users.views import join_offer_withdraw_page
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.request_data import SearchForm, parse_ids
from firm_portal.selectors import seated_consultant
from firm_portal.sms_allowance import held_sms_message

ROW_LIMIT = 200
RESULTS_SESSION_KEY = "client_invite_results"


def _invitable_rows(
    request: AuthenticatedHttpRequest, consultant: Consultant
) -> tuple[SearchForm, QuerySet[Subscription] | None, list[Subscription]]:
    """The search, what it finds (None when refused), and the rows: the first
    ROW_LIMIT found, or on POST the posted ones still invitable (user-scoped)."""
    search = SearchForm(request.GET)
    found = None
    if search.is_valid():
        found = bulk_invitations.invitable_subscriptions(consultant=consultant, query=search.query)
    if request.method == "POST":
        # Rows are the posted ones that are still invitable (user-scoped); a
        # send that goes through never lists or counts the search.
        posted = {
            subscription_id
            for key in request.POST
            if (subscription_id := bulk_invitations.row_id(key)) is not None
        }
        invitable = bulk_invitations.invitable_subscriptions(consultant=consultant)
        return search, found, list(invitable.filter(pk__in=posted))
    return search, found, list(found[:ROW_LIMIT]) if found is not None else []


def _found_count(
    request: AuthenticatedHttpRequest,
    found: QuerySet[Subscription] | None,
    rows: list[Subscription],
) -> int:
    """How many the search finds; a GET whose rows stop short of the limit has them all."""
    if found is None:
        return 0
    if request.method == "GET" and len(rows) < ROW_LIMIT:
        return len(rows)
    return found.count()


def _send(
    request: AuthenticatedHttpRequest, consultant: Consultant, form: BulkInviteForm
) -> HttpResponse | None:
    """Send the invitations; the result page, or None with the refusal on the form."""
    rows = form.new_user_rows()
    try:
        sent = bulk_invitations.client_users_invite(actor=consultant, rows=rows)
    except BulkInviteError as error:
        form.errors.append(error.message)
        return None
    # The same for every row: nothing tells whether an account existed.
    request.session[RESULTS_SESSION_KEY] = {
        "rows": [
            {"client": row.subscription.client.name, "name": row.full_name, "email": row.email}
            for row in rows
        ],
        "sms_held": sent.sms_held,
    }
    return redirect("clients:invite_result")


@login_required
@require_GET
def invite_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Choose "Lägg till nya användare och bjud in" or "Bjud in befintliga användare"."""
    if seated_consultant(user=request.user) is None:
        return no_seat_page(request)
    choice = request.GET.get("val")
    if choice == "nya":
        return redirect("clients:invite_new")
    if choice == "befintliga":
        return redirect("clients:invite_existing")
    return render(request, "clients/invite_start.html")


@login_required
@require_http_methods(["GET", "POST"])
def invite_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    search, found, subscriptions = _invitable_rows(request, consultant)
    form = BulkInviteForm(subscriptions, request.POST if request.method == "POST" else None)
    # A filled-in row that is no longer invitable: sent a moment ago (a double
    # click, a colleague) or the client got users. Say so instead of sending the rest.
    rows_gone = request.method == "POST" and bulk_invitations.filled_rows_gone(
        data=request.POST, invitable_ids={subscription.pk for subscription in subscriptions}
    )
    if rows_gone:
        form.errors.append(str(bulk_invitations.ROWS_GONE_MESSAGE))
    if request.method == "POST" and not rows_gone and form.is_valid():
        sent = _send(request, consultant, form)
        if sent is not None:
            return sent
    return render(
        request,
        "clients/invite_new.html",
        {
            "form": form,
            "query": search.query,
            "search_errors": search.error_list,
            "total": _found_count(request, found, subscriptions),
            "limit": ROW_LIMIT,
            "max_rows": MAX_ROWS_PER_SEND,
        },
        status=422 if form.bound else 200,
    )


@login_required
@require_POST
def invite_username(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    """HTMX: mark the row and suggest a username not taken in the database
    nor typed on another row."""
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    subscription = _invitable_or_404(request, consultant, subscription_id)
    prefix = f"r{subscription.pk}"
    form = InviteRowForm(request.POST, prefix=prefix)
    suggestion = _username_suggestion(request.POST, prefix)
    return render(
        request,
        "clients/invite_new.html#username-cell",
        {
            "row": {"subscription": subscription, "form": form},
            "suggestion": suggestion,
            "marked": form.marked,
            "oob": True,
        },
    )


def _invitable_or_404(
    request: AuthenticatedHttpRequest, consultant: Consultant, subscription_id: int
) -> Subscription:
    """A subscription the consultant may invite to; any other is a 404, and
    an existing one is recorded as a denied attempt."""
    subscription = (
        bulk_invitations.invitable_subscriptions(consultant=consultant)
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        number = (
            Subscription.objects.filter(pk=subscription_id).values_list("number", flat=True).first()
        )
        if number is not None:
            record_denied(user=request.user, subscription_number=number, what="invite_username")
        raise Http404("Not invitable")
    return subscription


def _username_suggestion(data: QueryDict, prefix: str) -> str:
    """The row's username as typed, or one suggested from its name and email
    that no other row has typed."""
    taken = [
        data.get(key, "").strip().lower()
        for key in data
        if key.endswith("-username") and not key.startswith(f"{prefix}-")
    ]
    name = data.get(f"{prefix}-full_name", "")[:200]
    email = data.get(f"{prefix}-email", "")[:254]
    current = data.get(f"{prefix}-username", "").strip()
    return current or (
        username_suggest(full_name=name, email=email, taken=taken) if (name or email) else ""
    )


@login_required
@require_GET
def invite_result(request: AuthenticatedHttpRequest) -> HttpResponse:
    if seated_consultant(user=request.user) is None:
        return no_seat_page(request)
    results = request.session.pop(RESULTS_SESSION_KEY, None)
    if not isinstance(results, dict):
        return redirect("clients:invite_start")
    return render(
        request,
        "clients/invite_result.html",
        {
            "results": results["rows"],
            "sms_warning": held_sms_message(
                count=int(results["sms_held"]), limit=settings.SMS_DAILY_LIMIT_PER_FIRM
            )
            if results["sms_held"]
            else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def invite_existing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Bjud in befintliga användare": again to those who have not answered."""
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    pending = list(bulk_invitations.pending_client_offers(consultant=consultant)[:ROW_LIMIT])
    if request.method == "POST":
        ids = sorted(parse_ids(request.POST.getlist("offers")))
        if not ids:
            messages.error(request, _("Markera minst en användare."))
        else:
            try:
                sent = bulk_invitations.client_users_reinvite(actor=consultant, offer_ids=ids)
            except BulkInviteError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Inbjudan har mejlats igen till %(count)s användare.",
                        "Inbjudan har mejlats igen till %(count)s användare.",
                        len(sent),
                    )
                    % {"count": len(sent)},
                )
                return redirect("clients:invite_existing")
    # Each with its state (flow 8): sent, reminded, expiry of its link.
    pending_states = offers_with_states(offers=pending)
    return render(request, "clients/invite_existing.html", {"pending": pending_states})


@login_required
@require_http_methods(["GET", "POST"])
def withdraw_offer(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """ "Återkalla inbjudan" of a client user not yet answered, from
    "Bjud in befintliga användare": the offers of clients where the firm is
    sysadmin (the same scope as the list); anyone else's is a 404."""
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    offer = bulk_invitations.pending_client_offer(consultant=consultant, offer_id=offer_id)
    assert offer.subscription is not None  # noqa: S101 – a client-user offer has one
    return join_offer_withdraw_page(
        request,
        actor=request.user,
        offer=offer,
        target=offer.subscription.client.name,
        back="clients:invite_existing",
    )
