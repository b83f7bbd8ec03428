"""The two-factor gate: a half-logged-in user reaches only the code page (or
setting one up) until the second step is done (the session states are in
`firm_portal.two_factor.services`)."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from firm_portal.two_factor.services import (
    CHECKED_KEY,
    OPTIONAL,
    RECHECK_SECONDS,
    SETUP,
    STATE_KEY,
    VERIFY,
    session_state_refresh,
)


class TwoFactorMiddleware:
    """Send a half-logged-in user to the code page (or, when they must have
    two-factor authentication and have none, to setting it up) before any
    other page, Django admin included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            state = request.session.get(STATE_KEY)
            stale = int(time.time()) - request.session.get(CHECKED_KEY, 0) > RECHECK_SECONDS
            if state is None or (state == OPTIONAL and stale):
                state = session_state_refresh(request, user)
            if state in (VERIFY, SETUP):
                target = reverse("two_factor_verify" if state == VERIFY else "two_factor_setup")
                if request.path_info not in self._open_paths(target):
                    return self._send_to(request, target)
        return self.get_response(request)

    @staticmethod
    def _open_paths(target: str) -> set[str]:
        return {target, reverse("logout"), reverse("set_language")}

    @staticmethod
    def _send_to(request: HttpRequest, target: str) -> HttpResponse:
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return redirect(target)
