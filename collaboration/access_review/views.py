""" "Åtkomstgranskning" for a firm: the list and "Starta granskning", the
rows (paged, filtered), "Behåll" / "Ta bort" / "Begränsa" per row, bulk
decisions, named reviewers, "Slutför granskningen" and the kept report.
The subscription's own review is in subscription_views.py."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from clients.models import Subscription
from clients.selectors import subscription_for_sysadmin
from collaboration.access_review import selectors, services
from collaboration.access_review.forms import (
    BulkForm,
    DecisionForm,
    RestrictForm,
    ReviewerForm,
    RowFilterForm,
    StartForm,
)
from collaboration.access_review.models import AccessReview, AccessReviewRow, Decision
from collaboration.access_review.report import report_filename
from collaboration.access_review.tasks import apply_access_review
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.selectors import consultant_in_firm, firm_consultants, require_consultant
from firm_portal.services import require_firm_admin
from firm_portal.timeutils import today_in_stockholm

ROWS_PER_PAGE = 25
TEMPLATE = "collaboration/access_review/review.html"


def _review(request: AuthenticatedHttpRequest, review_id: int) -> tuple[Consultant, AccessReview]:
    actor = require_consultant(user=request.user)
    return actor, selectors.firm_review(actor=actor, review_id=review_id)


@login_required
@require_http_methods(["GET", "POST"])
def reviews(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The firm's reviews and reports; firm admins start one here."""
    actor = require_consultant(user=request.user)
    form = StartForm(request.POST or None, initial={"due_on": services.default_due_on()})
    if request.method == "POST":
        require_firm_admin(actor=actor)
        if form.is_valid():
            try:
                review = services.review_start(
                    firm_id=actor.firm_id, actor=request.user, due_on=form.cleaned_data["due_on"]
                )
            except ValidationError as error:
                form.add_error("due_on", error)
            else:
                messages.success(request, _("Åtkomstgranskningen har startat."))
                return redirect("collaboration:access_review", review_id=review.pk)
    context = {"reviews": selectors.firm_reviews(actor=actor), "form": form, "actor": actor}
    return render(request, "collaboration/access_review/reviews.html", context)


@login_required
@require_GET
def review(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    actor, review = _review(request, review_id)
    rows = selectors.reviewer_rows(review=review, actor=actor)
    consultants = selectors.review_consultants(rows=rows)
    filters = RowFilterForm(request.GET, consultants=consultants)
    shown = selectors.rows_filtered(rows=rows, filters=filters.filters)
    page = Paginator(selectors.rows_page(rows=shown), ROWS_PER_PAGE).get_page(
        request.GET.get("sida")
    )
    query = request.GET.copy()
    query.pop("sida", None)
    context = {
        "review": review,
        "actor": actor,
        "page": page,
        "filters": filters,
        "query_string": query.urlencode(),
        "progress": selectors.progress(rows=rows),
        "consultants": consultants,
        "overdue": review.is_open and review.due_on < today_in_stockholm(),
    }
    if actor.is_firm_admin and review.is_open:
        context["named"] = selectors.named_reviewers(firm_id=actor.firm_id)
        context["reviewer_form"] = _reviewer_form(actor, rows=rows)
    return render(request, TEMPLATE, context)


def _reviewer_form(
    actor: Consultant, *, rows: QuerySet[AccessReviewRow], data: QueryDict | None = None
) -> ReviewerForm:
    consultants = selectors.review_consultants(rows=rows)
    reviewers = [(c.pk, c.user.full_name) for c in firm_consultants(consultant=actor)]
    return ReviewerForm(data, consultants=consultants, reviewers=reviewers)


def _row_response(
    request: AuthenticatedHttpRequest, review: AccessReview, row_id: int
) -> HttpResponse:
    """After a decision: the row again (HTMX), or back to the review."""
    if request.htmx:
        return _decided(request, review, row_id)
    return redirect(f"{review_url(review)}#rad-{row_id}")


def _decided(
    request: AuthenticatedHttpRequest,
    review: AccessReview,
    row_id: int,
    *,
    subscription: Subscription | None = None,
) -> HttpResponse:
    """HTMX: the row decided; the progress above refetches itself on the event."""
    (row,) = selectors.rows_page(rows=AccessReviewRow.objects.filter(pk=row_id))[:1]
    context = {"review": review, "row": row, "subscription": subscription}
    response = render(request, f"{TEMPLATE}#row", context)
    return trigger_client_event(response, "access-review-decided")


def review_url(review: AccessReview) -> str:
    return reverse("collaboration:access_review", kwargs={"review_id": review.pk})


@login_required
@require_http_methods(["GET", "POST"])
def row_decide(request: AuthenticatedHttpRequest, review_id: int, row_id: int) -> HttpResponse:
    """POST "Behåll" / "Ta bort"; GET the "Begränsa" form, POST it."""
    actor, review = _review(request, review_id)
    row = selectors.review_row(
        rows=selectors.reviewer_rows(review=review, actor=actor), row_id=row_id
    )
    if request.method == "POST" and request.POST.get("decision") != Decision.RESTRICT:
        form = DecisionForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(list(form.errors["decision"]))
            services.row_decide(row=row, actor=request.user, decision=form.cleaned_data["decision"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return _row_response(request, review, row_id)
    return _restrict(request, review, row)


def _restrict(
    request: AuthenticatedHttpRequest, review: AccessReview, row: AccessReviewRow
) -> HttpResponse:
    programs = selectors.restrict_choices(row)
    data = request.POST if request.method == "POST" else None
    form = RestrictForm(data, programs=programs, current=row.levels)
    if data is not None and form.is_valid():
        try:
            services.row_decide(
                row=row,
                actor=request.user,
                decision=Decision.RESTRICT,
                levels=form.levels(),
                ends_on=form.ends_on_value(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Beslutet är sparat: Begränsa."))
            return redirect(f"{review_url(review)}#rad-{row.pk}")
    context = {"review": review, "row": row, "form": form}
    return render(request, "collaboration/access_review/restrict.html", context)


@login_required
@require_POST
def bulk(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    """ "Behåll alla" / "Ta bort alla" for one consultant or one client."""
    actor, review = _review(request, review_id)
    rows = selectors.reviewer_rows(review=review, actor=actor)
    form = BulkForm(request.POST, consultants=selectors.review_consultants(rows=rows))
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect(review_url(review))
    data = form.cleaned_data
    scope = (
        rows.filter(consultant_id=data["konsult"])
        if data["konsult"]
        else rows.filter(subscription__number=data["klient"])
    )
    try:
        count = services.rows_decide_bulk(
            review=review, rows=scope, actor=request.user, decision=data["decision"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            ngettext(
                "Beslut sparat för %(count)s rad.", "Beslut sparat för %(count)s rader.", count
            )
            % {"count": count},
        )
    return redirect(review_url(review))


@login_required
@require_POST
def reviewer(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    """Name the reviewer of a consultant (firm admins)."""
    actor, review = _review(request, review_id)
    require_firm_admin(actor=actor)
    rows = selectors.reviewer_rows(review=review, actor=actor)
    form = _reviewer_form(actor, rows=rows, data=request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect(review_url(review))
    consultant = consultant_in_firm(actor=actor, consultant_id=form.cleaned_data["konsult"])
    chosen = form.cleaned_data["granskare"]
    named = consultant_in_firm(actor=actor, consultant_id=chosen) if chosen else None
    try:
        services.reviewer_set(review=review, consultant=consultant, reviewer=named)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Granskaren är sparad."))
    return redirect(review_url(review))


@login_required
@require_POST
def complete(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    """ "Slutför granskningen": the decisions are applied in Celery batches."""
    actor, review = _review(request, review_id)
    require_firm_admin(actor=actor)
    try:
        services.review_complete(review=review, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        transaction.on_commit(partial(apply_access_review.delay, review.pk))
        messages.success(
            request,
            _("Granskningen är slutförd. Besluten genomförs nu; rapporten finns när de är klara."),
        )
    return redirect(review_url(review))


def _report(request: AuthenticatedHttpRequest, review_id: int) -> AccessReview:
    actor, review = _review(request, review_id)
    require_firm_admin(actor=actor)
    if not hasattr(review, "report"):
        raise Http404("No report yet")
    return review


@login_required
@require_GET
def report_pdf(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    review = _report(request, review_id)
    return report_response(review, "pdf")


@login_required
@require_GET
def report_csv(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    review = _report(request, review_id)
    return report_response(review, "csv")


def report_response(review: AccessReview, extension: str) -> HttpResponse:
    """The kept report as a download (no-store: PrivateNoStoreMiddleware)."""
    report = review.report  # type: ignore[attr-defined]
    content = bytes(report.pdf if extension == "pdf" else report.csv)
    content_type = "application/pdf" if extension == "pdf" else "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, report_filename(review, extension)
    )
    return response


# The subscription's own review, run by its sysadmins: everyone of every
# coupled firm who is a member; "Behåll" / "Ta bort" take effect at once.


def _subscription_review(
    request: AuthenticatedHttpRequest, number: int, review_id: int
) -> tuple[Subscription, AccessReview]:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    review = selectors.subscription_review(
        user=request.user, subscription=subscription, review_id=review_id
    )
    return subscription, review


@login_required
@require_http_methods(["GET", "POST"])
def subscription_reviews(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    if request.method == "POST":
        try:
            review = services.subscription_review_start(
                subscription=subscription, actor=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Åtkomstgranskningen har startat."))
            return redirect(
                "collaboration:subscription_access_review", number=number, review_id=review.pk
            )
    context = {
        "subscription": subscription,
        "reviews": selectors.subscription_reviews(subscription=subscription),
    }
    return render(request, "collaboration/access_review/subscription_reviews.html", context)


@login_required
@require_GET
def subscription_review(
    request: AuthenticatedHttpRequest, number: int, review_id: int
) -> HttpResponse:
    subscription, review = _subscription_review(request, number, review_id)
    rows = AccessReviewRow.objects.filter(review=review)
    filters = RowFilterForm(request.GET, consultants=selectors.review_consultants(rows=rows))
    shown = selectors.rows_filtered(rows=rows, filters=filters.filters)
    page = Paginator(selectors.rows_page(rows=shown), ROWS_PER_PAGE).get_page(
        request.GET.get("sida")
    )
    query = request.GET.copy()
    query.pop("sida", None)
    context = {
        "subscription": subscription,
        "review": review,
        "page": page,
        "filters": filters,
        "query_string": query.urlencode(),
        "progress": selectors.progress(rows=rows),
    }
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def subscription_row_decide(
    request: AuthenticatedHttpRequest, number: int, review_id: int, row_id: int
) -> HttpResponse:
    """ "Behåll" / "Ta bort", in effect at once."""
    subscription, review = _subscription_review(request, number, review_id)
    row = selectors.review_row(rows=AccessReviewRow.objects.filter(review=review), row_id=row_id)
    form = DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors["decision"]))
        services.row_decide(row=row, actor=request.user, decision=form.cleaned_data["decision"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if request.htmx:
        return _decided(request, review, row_id, subscription=subscription)
    return redirect(f"{_subscription_review_url(review, number)}#rad-{row_id}")


def _subscription_review_url(review: AccessReview, number: int) -> str:
    return reverse(
        "collaboration:subscription_access_review",
        kwargs={"number": number, "review_id": review.pk},
    )


@login_required
@require_POST
def subscription_complete(
    request: AuthenticatedHttpRequest, number: int, review_id: int
) -> HttpResponse:
    _subscription, review = _subscription_review(request, number, review_id)
    try:
        services.review_complete(review=review, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Granskningen är slutförd och rapporten sparad."))
    return redirect(_subscription_review_url(review, number))


def _subscription_report(
    request: AuthenticatedHttpRequest, number: int, review_id: int
) -> AccessReview:
    _subscription, review = _subscription_review(request, number, review_id)
    if not hasattr(review, "report"):
        raise Http404("No report yet")
    return review


@login_required
@require_GET
def subscription_report_pdf(
    request: AuthenticatedHttpRequest, number: int, review_id: int
) -> HttpResponse:
    return report_response(_subscription_report(request, number, review_id), "pdf")


@login_required
@require_GET
def subscription_report_csv(
    request: AuthenticatedHttpRequest, number: int, review_id: int
) -> HttpResponse:
    return report_response(_subscription_report(request, number, review_id), "csv")


@login_required
@require_POST
def removal_answer(request: AuthenticatedHttpRequest, number: int, removal_id: int) -> HttpResponse:
    """The to-do card's "Genomför" / "Avböj" of a firm's requested change."""
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    removal = selectors.removal_for_sysadmin(
        subscription=subscription, removal_id=removal_id, user=request.user
    )
    accept = request.POST.get("svar") == "genomfor"
    try:
        services.removal_request_answer(removal=removal, actor=request.user, accept=accept)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Ändringen är genomförd.") if accept else _("Begäran är avböjd.")
        )
    return redirect("home")
