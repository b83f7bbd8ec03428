""" "Oanvända licenser": for a firm's admins (/byra/oanvanda-licenser/) and
for a subscription's sysadmins (/abonnemang/<n>/oanvanda-licenser/), each
also as CSV for Excel. Definitions in licensing/reports/selectors.py."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clients.selectors import subscription_for_sysadmin
from collaboration.selectors import firm_coupled_subscription_ids
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.selectors import require_consultant
from firm_portal.spreadsheet import excel_csv_response
from firm_portal.timeutils import today_in_stockholm
from licensing.reports import selectors

TEMPLATE = "licensing/license_report.html"
PAGE_SIZE = 100


def _firm_admin(request: AuthenticatedHttpRequest) -> Consultant:
    consultant = require_consultant(user=request.user)
    if not consultant.is_firm_admin:
        raise PermissionDenied(_("Bara byråns administratörer kan se rapporten."))
    return consultant


def _page(
    request: AuthenticatedHttpRequest, report: selectors.UnusedLicenseReport, **context: object
) -> HttpResponse:
    return render(
        request,
        TEMPLATE,
        {
            "report": report,
            "unused_page": Paginator(report.unused, PAGE_SIZE).get_page(request.GET.get("sida")),
            **context,
        },
    )


def _firm_report(consultant: Consultant) -> selectors.UnusedLicenseReport:
    live = firm_coupled_subscription_ids(firm_id=consultant.firm_id)
    return selectors.unused_licenses_for_firm(firm=consultant.firm, live=live)


def _csv(report: selectors.UnusedLicenseReport, name: str) -> HttpResponse:
    header, rows = selectors.unused_licenses_csv_rows(report)
    return excel_csv_response(f"oanvanda-licenser-{name}-{today_in_stockholm()}.csv", header, rows)


@login_required
@require_GET
def firm_unused_licenses(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultant = _firm_admin(request)
    report = _firm_report(consultant)
    return _page(
        request,
        report,
        heading_for=consultant.firm.name,
        csv_url_name="licensing:firm_unused_licenses_csv",
        subscription=None,
        left_behind_days=selectors.LEFT_BEHIND_DAYS,
    )


@login_required
@require_GET
def firm_unused_licenses_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultant = _firm_admin(request)
    return _csv(_firm_report(consultant), "byra")


@login_required
@require_GET
def subscription_unused_licenses(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    return _page(
        request,
        selectors.unused_licenses_for_subscription(subscription=subscription),
        heading_for=subscription.client.name,
        csv_url_name="licensing:subscription_unused_licenses_csv",
        subscription=subscription,
    )


@login_required
@require_GET
def subscription_unused_licenses_csv(
    request: AuthenticatedHttpRequest, number: int
) -> HttpResponse:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    return _csv(
        selectors.unused_licenses_for_subscription(subscription=subscription),
        str(subscription.number),
    )
