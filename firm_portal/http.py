from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from firm_portal.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """What views behind `login_required` receive (for type checking)."""

    htmx: HtmxDetails
    user: User  # type: ignore[assignment]
