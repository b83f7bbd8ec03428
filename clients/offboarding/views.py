""" "Avsluta konsult": the confirmation page (GET), the action (POST), the
result page with what was removed, and both as CSV. Firm admins only."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clients.offboarding.services import (
    consultant_offboard,
    offboarding_for,
    offboarding_preview,
)
from firm_portal import selectors
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.services import require_firm_admin
from firm_portal.spreadsheet import excel_csv


def _target(request: AuthenticatedHttpRequest, consultant_id: int) -> tuple[Consultant, Consultant]:
    """(actor, consultant): the consultant is looked up in the actor's firm
    first, so another firm's consultant is a 404 whoever asks; only then is
    the actor required to be a firm admin (403)."""
    actor = selectors.require_consultant(user=request.user)
    consultant = selectors.consultant_in_firm(actor=actor, consultant_id=consultant_id)
    require_firm_admin(actor=actor)
    return actor, consultant


@login_required
@require_http_methods(["GET", "POST"])
def offboard(request: AuthenticatedHttpRequest, consultant_id: int) -> HttpResponse:
    """GET: what will be removed (or, once done, what was). POST: do it."""
    actor, consultant = _target(request, consultant_id)
    error = ""
    if request.method == "POST":
        try:
            consultant_offboard(actor=actor, consultant=consultant)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, _("%(name)s är avslutad.") % {"name": consultant.user.full_name}
            )
            return redirect("firm_offboard", consultant_id=consultant.pk)
    offboarding = offboarding_for(consultant=consultant)
    if offboarding is not None:
        if error:  # ended meanwhile by someone else: show what was removed
            messages.error(request, error)
            return redirect("firm_offboard", consultant_id=consultant.pk)
        return render(
            request,
            "clients/offboarding_report.html",
            {"consultant": consultant, "offboarding": offboarding, "rows": offboarding.report},
        )
    preview = offboarding_preview(actor=actor, consultant=consultant)
    return render(
        request,
        "clients/offboarding.html",
        {"consultant": consultant, "preview": preview, "error": error},
        status=409 if error else 200,
    )


@login_required
@require_GET
def offboard_csv(request: AuthenticatedHttpRequest, consultant_id: int) -> HttpResponse:
    """ "Ladda ned som CSV": the stored report once the consultant is ended,
    before that the preview."""
    actor, consultant = _target(request, consultant_id)
    offboarding = offboarding_for(consultant=consultant)
    name = slugify(consultant.user.full_name) or str(consultant.pk)
    if offboarding is not None:
        rows: list[Mapping[str, Any]] = offboarding.report
        filename = f"avslutad-konsult-{name}.csv"
    else:
        preview = offboarding_preview(actor=actor, consultant=consultant)
        rows = [row.as_report_row() for row in preview.rows]
        filename = f"avsluta-konsult-{name}.csv"
    return HttpResponse(
        report_csv(rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def report_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The report as an Excel-friendly CSV (see firm_portal.spreadsheet)."""
    return excel_csv(
        [
            _("Klient"),
            _("Organisationsnummer"),
            _("Abonnemangsnummer"),
            _("Systemadministratör"),
            _("Behörigheter"),
        ],
        (
            [
                row["client"],
                row["org_number"],
                row["subscription_number"],
                _("Ja") if row["was_sysadmin"] else _("Nej"),
                ", ".join(row["levels"]),
            ]
            for row in rows
        ),
    )
