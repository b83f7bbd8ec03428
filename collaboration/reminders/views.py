"""Flow 8 for the sender: "Påminn nu" (a request on the start page, an
invitation in "Byråns användare"), and "Skicka igen" / "Ta bort från listan"
for an expired request. Each works as a plain form (a redirect with the
message) and, for "Påminn nu" on the start page, with HTMX (the row again,
with the message in it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.invitations.selectors import firm_join_offer
from collaboration.bulk_invitations import pending_client_offer
from collaboration.models import CustomerAcceptance
from collaboration.new_customer.selectors import awaiting_collaboration_for_consultant
from collaboration.reminders import selectors, services
from collaboration.reminders.services import ReminderRefused
from collaboration.requests.services import CollaborationError
from collaboration.requests.views import no_seat_page
from firm_portal.http import AuthenticatedHttpRequest, next_url
from firm_portal.models import User
from firm_portal.selectors import require_consultant, seated_consultant
from notifications.models import Reminder


def _reminded_text(users: list[User]) -> str:
    return _("Påminnelse skickad till %(emails)s.") % {
        "emails": ", ".join(user.email for user in users)
    }


@login_required
@require_POST
def remind_request(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """ "Påminn nu" on a sent request, at most once a day."""
    consultant = require_consultant(user=request.user)
    sent = selectors.request_for_sender(consultant=consultant, request_id=request_id)
    try:
        notice = _reminded_text(
            services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=sent.pk)
        )
        level = "success"
    except ReminderRefused as refused:
        notice, level = refused.message, "error"
    if request.htmx:
        row = selectors.sent_request_row(consultant=consultant, request_id=sent.pk)
        context = {"row": row, "notice": notice, "notice_class": level}
        return render(request, "collaboration/sent_request_row.html", context)
    messages.add_message(
        request, messages.SUCCESS if level == "success" else messages.ERROR, notice
    )
    return redirect("home")


@login_required
@require_POST
def send_request_again(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """ "Skicka igen" on an expired request: a new request like it."""
    consultant = require_consultant(user=request.user)
    expired = selectors.request_for_sender(consultant=consultant, request_id=request_id)
    try:
        sent = services.expired_request_send_again(consultant=consultant, request_id=expired.pk)
    except CollaborationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Förfrågan till %(client)s är skickad igen.")
            % {"client": sent.subscription.client.name},
        )
    return redirect("home")


@login_required
@require_POST
def dismiss_request(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """ "Ta bort från listan": an expired request leaves the start page."""
    consultant = require_consultant(user=request.user)
    expired = selectors.request_for_sender(consultant=consultant, request_id=request_id)
    try:
        services.expired_request_dismiss(request_id=expired.pk)
    except CollaborationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Den utgångna förfrågan är borttagen från listan."))
    return redirect("home")


@login_required
@require_POST
def remind_offer(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """ "Påminn nu" on an invitation in "Byråns användare"."""
    actor = require_consultant(user=request.user)
    offer = firm_join_offer(actor=actor, offer_id=offer_id)
    if not actor.sees_all_clients:
        raise PermissionDenied(_("Bara byråns administratörer kan administrera användare."))
    try:
        reminded = services.reminder_send_now(kind=Reminder.Kind.OFFER, item_id=offer.pk)
    except ReminderRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _reminded_text(reminded))
    return redirect("firm_users")


@login_required
@require_POST
def remind_client_offer(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """ "Påminn nu" on a client user's invitation in "Bjud in befintliga
    användare" (the same scope as that list; anyone else's is a 404)."""
    consultant = seated_consultant(user=request.user)
    if consultant is None:
        return no_seat_page(request)
    offer = pending_client_offer(consultant=consultant, offer_id=offer_id)
    try:
        reminded = services.reminder_send_now(kind=Reminder.Kind.OFFER, item_id=offer.pk)
    except ReminderRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _reminded_text(reminded))
    return redirect("clients:invite_existing")


@login_required
@require_POST
def remind_welcome(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """ "Påminn nu" on a new customer's welcome link ("Väntar på kundens
    godkännande"): the same link again, not a new one."""
    consultant = require_consultant(user=request.user)
    coupling = awaiting_collaboration_for_consultant(consultant=consultant, number=number)
    acceptance = CustomerAcceptance.objects.filter(coupling=coupling).first()
    try:
        if acceptance is None:
            raise ReminderRefused(_("Det finns ingen primärkontakt att skicka till."))
        reminded = services.reminder_send_now(kind=Reminder.Kind.WELCOME, item_id=acceptance.pk)
    except ReminderRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _reminded_text(reminded))
    fallback = reverse("collaboration:new_customer_done", kwargs={"number": number})
    return redirect(next_url(request, fallback=fallback))
