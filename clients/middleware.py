"""Denied attempts by people who are no consultant at all.

Firm pages answer 404 to anyone without a consultant role, before the object
in the URL is looked up, so the selector that would log the attempt never
runs. `require_consultant` raises `NotAConsultant` (firm_portal/denials.py),
and this middleware writes the one ledger event for it when the URL names an
object (a page without one, like the start of "Ny klient", is not an attempt
on anyone). By convention a URL's `number` is always an abonnemangsnummer,
which is why it lives here, with the subscriptions."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from clients.selectors import record_denied
from firm_portal.denials import NotAConsultant


class NotAConsultantLedgerMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        match = request.resolver_match
        if not isinstance(exception, NotAConsultant) or match is None or not match.kwargs:
            return
        # The address tried (numbers only: these pages take no tokens), which
        # the ledger shows as it is; a view name would read as code.
        record_denied(
            user=request.user,  # type: ignore[arg-type]
            subscription_number=match.kwargs.get("number"),
            what="page",
            path=request.path[:200],
        )
