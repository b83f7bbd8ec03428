from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.invitations import services
from clients.invitations.selectors import join_offer_for_user, join_offers_for_user
from clients.models import JoinOffer
from collaboration.access_review.selectors import overdue_reviews, removal_cards
from collaboration.client_list.selectors import start_page_clients
from collaboration.reminders.selectors import start_page_sent
from collaboration.requests.selectors import start_page_access
from collaboration.selectors import firm_coupled, unclaimed_contact
from firm_portal.forms import (
    ClaimingSetPasswordForm,
    EmailAuthenticationForm,
    MyDetailsForm,
    OutboxPasswordResetForm,
    PasswordSetForm,
    ended_account_message,
)
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.offers_only import (
    OFFERS_ONLY,
    account_ended_by,
    offers_despite_ending,
    offers_only_ends,
)
from firm_portal.selectors import consultant_for_user, firm_admins
from firm_portal.signed_links import INVITATION, Problem, link_invalid_response

CLIENTS_PER_PAGE = 25
PENDING_PER_PAGE = 10
PENDING_PAGE_PARAM = "forfragningar"


# The password forms with collaboration's answer to "an unclaimed contact?"
# (firm_portal/forms.py, `UnclaimedContact`): pages sit above collaboration.
class PasswordResetForm(OutboxPasswordResetForm):
    unclaimed_contact = staticmethod(unclaimed_contact)


class PasswordResetSetForm(ClaimingSetPasswordForm):
    unclaimed_contact = staticmethod(unclaimed_contact)


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "firm_portal/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: EmailAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        if form.offers_only:
            # Ended by a firm, asked by another: only "Inbjudningar" (offers_only.py).
            self.request.session[OFFERS_ONLY] = True
            return redirect("home")
        return response


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start page: the firm part for consultants, the to-do cards for
    sysadmins; a person who is both sees both."""
    if request.session.get(OFFERS_ONLY):
        return _offers_only_page(request)
    consultant = consultant_for_user(user=request.user)
    access = start_page_access(user=request.user)
    context: dict[str, object] = {
        "consultant": consultant,
        "administered": access.administered,
        "memberships": access.memberships,
        "join_offers": join_offers_for_user(user=request.user),
        # Flow 9: changes of access firms asked of the user's subscriptions.
        "removal_cards": removal_cards(
            user=request.user, subscription_ids=[a.subscription.pk for a in access.administered]
        ),
    }
    if consultant is not None:
        context |= _firm_part(request, consultant)
    return render(request, "firm_portal/home.html", context)


def _offers_only_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ended by a firm: the invitations of others, nothing else."""
    return render(
        request,
        "firm_portal/home.html",
        {
            "offers_only": True,
            "ended_by": account_ended_by(user=request.user),
            "join_offers": list(
                offers_despite_ending(user=request.user)
                .select_related("firm", "subscription__client", "invited_by")
                .order_by("created_at", "pk")
            ),
        },
    )


def _firm_part(request: AuthenticatedHttpRequest, consultant: Consultant) -> dict[str, object]:
    """The start page's firm part: clients, requests waiting (both paged: a
    large firm has hundreds), overdue access reviews (firm admins)."""
    part: dict[str, object] = {
        "client_page": Paginator(
            start_page_clients(consultant=consultant), CLIENTS_PER_PAGE
        ).get_page(request.GET.get("sida")),
        "firm_pending": Paginator(
            start_page_sent(consultant=consultant), PENDING_PER_PAGE
        ).get_page(request.GET.get(PENDING_PAGE_PARAM)),
        "client_query_string": _without(request, "sida"),
        "pending_query_string": _without(request, PENDING_PAGE_PARAM),
        "pending_page_param": PENDING_PAGE_PARAM,
        "overdue_reviews": overdue_reviews(consultant=consultant),
    }
    if not consultant.has_client_manager_seat:
        # Whom to ask for a seat (the same advice as "Licens saknas").
        part["firm_admins"] = firm_admins(firm_id=consultant.firm_id)
    return part


def _without(request: HttpRequest, param: str) -> str:
    """The query string for the other paging links on the page."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: choose a password (which accepts the invitation
    to join that came with it), get logged in, land on the start page."""
    checked = services.invitation_check(token=token)
    if checked.problem or checked.invitation is None:
        problem = checked.problem or Problem.INVALID
        return link_invalid_response(request, kind=INVITATION, problem=problem, token=token)
    ended = ended_account_message(user=checked.invitation.user)
    if ended:
        # An open link of someone their firm has ended (from another tenant,
        # for a role that is not live): no password, no login.
        return link_invalid_response(
            request, kind=INVITATION, problem=Problem.ENDED, message=ended, token=token
        )
    form = PasswordSetForm(checked.invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _invitation_claim(request, token, form.cleaned_data["new_password1"])
    return render(
        request,
        "firm_portal/invitation_accept.html",
        {"form": form, "invitation": checked.invitation},
    )


def _invitation_claim(request: HttpRequest, token: str, password: str) -> HttpResponse:
    """The password chosen: accept the invitation, log in, go to the start page."""
    claimed = services.join_offer_accept_by_invitation(
        token=token, password=password, firm_coupled=firm_coupled
    )
    if claimed is None:
        return link_invalid_response(request, kind=INVITATION, problem=Problem.USED, token=token)
    login(request, claimed.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Välkommen! Ditt lösenord är sparat och du är inloggad."))
    if claimed.joined:
        messages.success(request, claimed.joined)
    if claimed.refused:
        messages.error(request, claimed.refused)
    return redirect("home")


@require_POST
def invitation_renew(request: HttpRequest, token: str) -> HttpResponse:
    """ "Skicka en ny länk" from an expired link. Says the same whatever
    happened, so the page tells nobody whether an account exists."""
    services.invitation_renew_expired(token=token)
    messages.info(
        request,
        _("Om inbjudan fortfarande väntar på dig har vi skickat en ny länk till din e-post."),
    )
    return redirect("login")


@login_required
@require_POST
def join_offer_accept(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """ "Gå med" on the start page's "Inbjudningar", as the person asked."""
    offer = _answerable_offer(request, offer_id)
    try:
        joined = services.join_offer_accept(
            offer_id=offer.pk, user=request.user, firm_coupled=firm_coupled
        )
    except services.JoinOfferRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, joined)
        offers_only_ends(request)
    return redirect("home")


def _answerable_offer(request: AuthenticatedHttpRequest, offer_id: int) -> JoinOffer:
    """The user's own pending offer (else 404); in an offers-only session,
    not one of the firm that ended them."""
    offer = join_offer_for_user(user=request.user, offer_id=offer_id)
    if (
        request.session.get(OFFERS_ONLY)
        and not offers_despite_ending(user=request.user).filter(pk=offer.pk).exists()
    ):
        raise Http404("Not an offer an ended person may answer")
    return offer


@login_required
@require_POST
def join_offer_decline(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    """ "Avböj": nothing about the account or its access changes."""
    offer = _answerable_offer(request, offer_id)
    try:
        declined = services.join_offer_decline(offer_id=offer.pk, user=request.user)
    except services.JoinOfferRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, declined)
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def my_details(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Mina uppgifter": the account's own details. A mobile number a firm
    typed is shown as not confirmed (no other tenant's SMS goes to it);
    saving the number here confirms it, an empty field removes it."""
    user = request.user
    form = MyDetailsForm(request.POST or None, initial={"mobile": user.mobile})
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        user.mobile = mobile
        user.mobile_confirmed = bool(mobile)
        user.save(update_fields=["mobile", "mobile_confirmed"])
        messages.success(
            request,
            _("Ditt mobilnummer är sparat och bekräftat.")
            if mobile
            else _("Ditt mobilnummer är borttaget."),
        )
        return redirect("my_details")
    return render(request, "firm_portal/my_details.html", {"form": form, "account": user})
