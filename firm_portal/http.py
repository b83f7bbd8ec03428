from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from firm_portal.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """What views behind `login_required` receive (for type checking)."""

    htmx: HtmxDetails
    user: User  # type: ignore[assignment]


def next_url(request: HttpRequest, *, fallback: str) -> str:
    """Where a `next` parameter (POST, then GET) asks to go, when that is a
    page of this site; otherwise `fallback`, a URL name or a path. Every
    `next` and back link goes through here: `//evil.example`, `/\\evil.example`,
    `https://evil.example` and `javascript:` are refused, and so is anything
    but a path (redirect() would look `abc` up as a view name: a 500)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback if fallback.startswith("/") else reverse(fallback)
