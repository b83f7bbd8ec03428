from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.selectors import client_memberships
from collaboration.selectors import consultant_clients, firm_pending_requests, sysadmin_overview
from firm_portal import invitations
from firm_portal.forms import EmailAuthenticationForm, PasswordSetForm
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.selectors import consultant_for_user

CLIENTS_PER_PAGE = 25
PENDING_PER_PAGE = 10
PENDING_PAGE_PARAM = "forfragningar"


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "firm_portal/login.html"
    redirect_authenticated_user = True


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start page: the firm part for consultants, the to-do cards for
    sysadmins; a person who is both sees both."""
    consultant = consultant_for_user(user=request.user)
    context: dict[str, object] = {
        "consultant": consultant,
        "administered": sysadmin_overview(user=request.user),
        "memberships": client_memberships(user=request.user),
    }
    if consultant is not None:
        context["client_page"] = Paginator(
            consultant_clients(consultant=consultant), CLIENTS_PER_PAGE
        ).get_page(request.GET.get("sida"))
        # Paged too: a large firm has hundreds of requests waiting.
        context["firm_pending"] = Paginator(
            firm_pending_requests(consultant=consultant), PENDING_PER_PAGE
        ).get_page(request.GET.get(PENDING_PAGE_PARAM))
        context["client_query_string"] = _without(request, "sida")
        context["pending_query_string"] = _without(request, PENDING_PAGE_PARAM)
        context["pending_page_param"] = PENDING_PAGE_PARAM
    return render(request, "firm_portal/home.html", context)


def _without(request: HttpRequest, param: str) -> str:
    """The query string for the other paging links on the page."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: set a password, get logged in, land on the start page."""
    checked = invitations.invitation_check(token=token)
    if checked.problem or checked.invitation is None:
        return render(
            request,
            "firm_portal/invitation_invalid.html",
            {"problem": checked.problem or "invalid", "token": token},
            status=410 if checked.problem in ("expired", "used") else 404,
        )
    user = checked.invitation.user
    form = PasswordSetForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted = invitations.invitation_accept(
            token=token, password=form.cleaned_data["new_password1"]
        )
        if accepted is None:
            return render(
                request,
                "firm_portal/invitation_invalid.html",
                {"problem": "used", "token": token},
                status=410,
            )
        login(request, accepted, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Välkommen! Ditt lösenord är sparat och du är inloggad."))
        return redirect("home")
    return render(
        request,
        "firm_portal/invitation_accept.html",
        {"form": form, "invitation": checked.invitation},
    )


@require_POST
def invitation_renew(request: HttpRequest, token: str) -> HttpResponse:
    """ "Skicka en ny länk" from an expired link. Says the same whatever
    happened, so the page tells nobody whether an account exists."""
    checked = invitations.invitation_check(token=token)
    if checked.problem == "expired" and checked.invitation is not None:
        invitation = checked.invitation
        invitations.invitation_send(
            user=invitation.user,
            invited_by=invitation.invited_by,
            firm=invitation.firm,
            subscription_id=invitation.subscription_id,
            template="invitation-renewed",
            context={},
        )
    messages.info(
        request,
        _("Om inbjudan fortfarande väntar på dig har vi skickat en ny länk till din e-post."),
    )
    return redirect("login")
