from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from collaboration.selectors import consultant_clients, firm_pending_requests, sysadmin_overview
from firm_portal.forms import EmailAuthenticationForm
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.selectors import consultant_for_user

CLIENTS_PER_PAGE = 25


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
    }
    if consultant is not None:
        context["client_page"] = Paginator(
            consultant_clients(consultant=consultant), CLIENTS_PER_PAGE
        ).get_page(request.GET.get("sida"))
        context["firm_pending"] = firm_pending_requests(consultant=consultant)
    return render(request, "firm_portal/home.html", context)
