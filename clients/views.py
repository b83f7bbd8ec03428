"""Flow 2: "Tilldela behörigheter" and "Administrera användare".

Only active system administrators of the subscription reach these pages;
anyone else gets 404 from `subscription_for_sysadmin`."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from clients import selectors, services
from clients.catalogue import plan_includes, require_program_in_plan
from clients.forms import AddLicenseForm, MembershipEndDateForm
from clients.models import Level, Membership, Program, ProgramLevel, Subscription
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.timeutils import today_in_stockholm
from licensing.reports import license_quote
from licensing.services import license_add_and_grant

PERMISSIONS_TEMPLATE = "clients/permissions.html"
USERS_TEMPLATE = "clients/users.html"
ADD_LICENSE_TEMPLATE = "clients/add_license.html"


def _grid_rows(
    grid: selectors.PermissionGrid, members: list[Membership]
) -> list[selectors.GridRow]:
    rows = []
    for member in members:
        levels = member.level_by_program  # type: ignore[attr-defined]
        cells = [
            selectors.LevelCell(program, levels[program.id].level if program.id in levels else "")
            for program in grid.programs
        ]
        rows.append(selectors.GridRow(member=member, cells=cells, has_levels=bool(levels)))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def permissions(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """The grid; without JavaScript the whole grid is one form ("Spara")."""
    subscription = selectors.subscription_for_sysadmin(user=request.user, number=number)
    errors: list[GridError] = []
    if request.method == "POST":
        errors = _save_whole_grid(request, subscription)
        if not errors:
            messages.success(request, _("Behörigheterna är sparade."))
            return redirect("clients:permissions", number=subscription.number)
    grid = selectors.permission_grid(subscription=subscription)
    return render(
        request,
        PERMISSIONS_TEMPLATE,
        {
            "grid": grid,
            "subscription": subscription,
            "client_rows": _grid_rows(grid, grid.client_users),
            "consultant_rows": _grid_rows(grid, grid.consultants),
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@dataclass(frozen=True)
class GridError:
    """A refusal of the whole-grid save; `add_license_url`: where a level was
    refused for want of a seat, "Lägg till licens" with that member and level."""

    text: str
    add_license_url: str = ""


def _save_whole_grid(
    request: AuthenticatedHttpRequest, subscription: Subscription
) -> list[GridError]:
    """Apply every cell of the posted grid in one transaction: all or nothing."""
    grid = selectors.permission_grid(subscription=subscription)
    errors: list[GridError] = []
    try:
        with transaction.atomic():
            for member in grid.members:
                for program in grid.programs:
                    key = f"level-{member.pk}-{program.code}"
                    if key not in request.POST:
                        continue
                    current = member.level_by_program.get(program.id)  # type: ignore[attr-defined]
                    wanted = request.POST[key]
                    if (current.level if current else "") == wanted:
                        continue
                    try:
                        services.program_level_set(
                            actor=request.user,
                            subscription=subscription,
                            membership=member,
                            program=program,
                            level=wanted,
                        )
                    except ValidationError as error:
                        text = f"{member.user.full_name}: {' '.join(error.messages)}"
                        url = ""
                        if (
                            isinstance(error, services.NoFreeSeat)
                            and grid.licenses[program.id].addable
                        ):
                            url = add_license_link(
                                subscription.number, program.code, member.pk, wanted
                            )
                        errors.append(GridError(text, url))
            # Grant before revoke, so moving the sysadmin role in one save works.
            posted_admins = {
                m.pk for m in grid.members if request.POST.get(f"sysadmin-{m.pk}") == "on"
            }
            changes = sorted(grid.members, key=lambda m: m.pk not in posted_admins)
            for member in changes:
                try:
                    services.membership_set_sysadmin(
                        actor=request.user,
                        subscription=subscription,
                        membership=member,
                        is_sysadmin=member.pk in posted_admins,
                    )
                except ValidationError as error:
                    errors.append(GridError(" ".join(error.messages)))
            if errors:
                raise _Rollback
    except _Rollback:
        pass
    return errors


class _Rollback(Exception):
    pass


def add_license_link(number: int, program_code: str, membership_id: int, level: str) -> str:
    """ "Lägg till licens" for a member who was refused `level` for want of a seat."""
    url = reverse("clients:add_license", args=[number, program_code])
    return f"{url}?{urlencode({'medlem': membership_id, 'niva': level})}"


@login_required
@require_POST
def set_level(
    request: AuthenticatedHttpRequest, number: int, membership_id: int, program_code: str
) -> HttpResponse:
    """One cell of the grid, saved on change (HTMX) and confirmed in place."""
    subscription = selectors.subscription_for_sysadmin(user=request.user, number=number)
    membership = selectors.membership_in_subscription(
        subscription=subscription, membership_id=membership_id
    )
    program = selectors.program_by_code(code=program_code)
    error = ""
    wanted = request.POST.get(f"level-{membership.pk}-{program.code}", "")
    try:
        level = services.program_level_set(
            actor=request.user,
            subscription=subscription,
            membership=membership,
            program=program,
            level=wanted,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
        level = ProgramLevel.objects.filter(membership=membership, program=program).first()
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Behörigheten är sparad."))
        return redirect("clients:permissions", number=subscription.number)
    # Only this cell and the program's seat usage in the header (out of band),
    # not the whole grid.
    grid = selectors.PermissionGrid(
        subscription=subscription,
        programs=[program],
        client_users=[],
        consultants=[],
        licenses={program.id: selectors.license_usage(subscription=subscription, program=program)},
    )
    context = {
        "grid": grid,
        "subscription": subscription,
        "member": membership,
        "cell": selectors.LevelCell(program, level.level if level else ""),
        "cell_error": error,
        "cell_saved": not error,
    }
    if error and plan_includes(plan=subscription.plan, program_code=program.code):
        context["add_license_query"] = _add_license_query(membership, wanted)
    return render(request, f"{PERMISSIONS_TEMPLATE}#level-cell-response", context)


def _add_license_query(membership: Membership, wanted: str) -> str:
    """ "Lägg till licens" in a refused cell carries the member and the level just chosen."""
    query: dict[str, object] = {"medlem": membership.pk}
    if wanted in Level.values:
        query["niva"] = wanted
    return urlencode(query)


@login_required
@require_POST
def set_sysadmin(
    request: AuthenticatedHttpRequest, number: int, membership_id: int
) -> HttpResponse:
    subscription = selectors.subscription_for_sysadmin(user=request.user, number=number)
    membership = selectors.membership_in_subscription(
        subscription=subscription, membership_id=membership_id
    )
    error = ""
    try:
        services.membership_set_sysadmin(
            actor=request.user,
            subscription=subscription,
            membership=membership,
            is_sysadmin=request.POST.get(f"sysadmin-{membership.pk}") == "on",
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Systemadministratör är sparad."))
        return redirect("clients:permissions", number=subscription.number)
    membership.refresh_from_db(fields=["is_sysadmin"])
    return render(
        request,
        f"{PERMISSIONS_TEMPLATE}#sysadmin-cell",
        {
            "subscription": subscription,
            "member": membership,
            "cell_error": error,
            "cell_saved": not error,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_license(request: AuthenticatedHttpRequest, number: int, program_code: str) -> HttpResponse:
    """ "Lägg till licens" for one program: first the confirmation (what one
    more licence costs per month and who pays it), then, on "Bekräfta och
    lägg till licens" with the price shown, the licence (billed) and, when
    the sysadmin came from a member's cell, the level chosen there. Without
    JavaScript a page of its own; with HTMX the confirmation opens above
    the grid and the grid reloads once it is done."""
    subscription = selectors.subscription_for_sysadmin(user=request.user, number=number)
    program = selectors.program_by_code(code=program_code)
    posted = request.method == "POST"
    # The link from the grid carries the member and level (a prefill: a bad
    # value is left out); the confirmation posts them back with the price.
    data = request.POST if posted else {key: request.GET.get(key, "") for key in PREFILL}
    form = AddLicenseForm(data)
    if not form.is_valid() and posted:
        raise Http404("Unknown member or level")
    cleaned = form.cleaned_data
    membership = None
    if cleaned.get("medlem"):
        membership = selectors.membership_in_subscription(
            subscription=subscription, membership_id=cleaned["medlem"]
        )
    level = (cleaned.get("niva") or "") if membership is not None else ""
    quote = license_quote(subscription=subscription, program=program)
    shown_price = cleaned.get("pris")
    confirmed = posted and cleaned.get("bekrafta")
    price_changed = confirmed and shown_price != quote.monthly_price
    if confirmed and not price_changed and quote.monthly_price is not None:
        return _add_license_confirmed(request, subscription, program, membership, level)
    refusal = ""
    try:
        require_program_in_plan(plan=subscription.plan, program=program)
    except ValidationError as error:
        refusal = " ".join(error.messages)
    context = {
        "subscription": subscription,
        "program": program,
        "quote": quote,
        "member": membership,
        "level": level,
        "level_label": Level(level).label if level else "",
        "refusal": refusal,
        "price_changed": price_changed,
    }
    if request.htmx:
        return render(request, f"{ADD_LICENSE_TEMPLATE}#confirm", context)
    return render(request, ADD_LICENSE_TEMPLATE, context)


PREFILL = ("medlem", "niva")


def _add_license_confirmed(
    request: AuthenticatedHttpRequest,
    subscription: Subscription,
    program: Program,
    membership: Membership | None,
    level: str,
) -> HttpResponse:
    try:
        license_row, granted = license_add_and_grant(
            actor=request.user,
            subscription=subscription,
            program=program,
            membership=membership,
            level=level,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = _("En licens för %(program)s är tillagd. Abonnemanget har nu %(seats)s.") % {
            "program": program.name,
            "seats": license_row.seats,
        }
        if granted is not None and membership is not None:
            text += " " + _("%(name)s har nu behörigheten %(level)s i %(program)s.") % {
                "name": membership.user.full_name,
                "level": granted.get_level_display(),
                "program": program.name,
            }
        messages.success(request, text)
    url = reverse("clients:permissions", args=[subscription.number])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
@require_GET
def users(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """The "Administrera användare" page: client users and the block "Konsulter"."""
    subscription = selectors.subscription_for_sysadmin(user=request.user, number=number)
    grid = selectors.permission_grid(subscription=subscription)
    return render(
        request,
        USERS_TEMPLATE,
        {
            "subscription": subscription,
            "client_rows": _user_rows(grid, grid.client_users),
            "consultant_rows": _user_rows(grid, grid.consultants),
            "today": today_in_stockholm(),
        },
    )


@dataclass(frozen=True)
class UserRow:
    """A member's row of "Administrera användare"; `levels`: (program, level
    label) for the programs the member has a level in, in the grid's order."""

    member: Membership
    levels: list[tuple[Program, str]]


def _user_rows(grid: selectors.PermissionGrid, members: list[Membership]) -> list[UserRow]:
    rows = []
    for member in members:
        by_program = member.level_by_program  # type: ignore[attr-defined]
        levels = [
            (program, by_program[program.id].get_level_display())
            for program in grid.programs
            if program.id in by_program
        ]
        rows.append(UserRow(member=member, levels=levels))
    return rows


def _member(
    request: AuthenticatedHttpRequest, number: int, membership_id: int
) -> tuple[Subscription, Membership]:
    subscription = selectors.subscription_for_sysadmin(user=request.user, number=number)
    membership = selectors.membership_in_subscription(
        subscription=subscription, membership_id=membership_id
    )
    return subscription, membership


def _access_response(
    request: AuthenticatedHttpRequest,
    subscription: Subscription,
    membership: Membership,
    *,
    error: str,
    success: str,
) -> HttpResponse:
    """After an access change: the consultant's row (HTMX) or a redirect back
    to "Administrera användare" with a message."""
    # A sysadmin who paused their own access has just lost the page.
    if (
        not error
        and membership.user_id == request.user.pk
        and not selectors.subscriptions_administered_by(user=request.user)
        .filter(pk=subscription.pk)
        .exists()
    ):
        messages.success(request, success)
        if request.htmx:
            return HttpResponseClientRedirect(reverse("home"))
        return redirect("home")
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, success)
        return redirect("clients:users", number=subscription.number)
    grid = selectors.permission_grid(subscription=subscription)
    member = next(m for m in grid.members if m.pk == membership.pk)
    return render(
        request,
        f"{USERS_TEMPLATE}#member-row",
        {
            "subscription": subscription,
            "row": _user_rows(grid, [member])[0],
            "today": today_in_stockholm(),
            "access_error": error,
            "access_saved": not error,
        },
    )


@login_required
@require_POST
def set_end_date(
    request: AuthenticatedHttpRequest, number: int, membership_id: int
) -> HttpResponse:
    """ "Åtkomst till och med" … "Spara" (empty: tills vidare)."""
    subscription, membership = _member(request, number, membership_id)
    form = MembershipEndDateForm(request.POST)
    error = success = ""
    if not form.is_valid():
        error = " ".join(str(message) for message in form.errors["ends_on"])
    else:
        ends_on = form.cleaned_data["ends_on"]
        try:
            services.membership_set_end_date(
                actor=request.user,
                subscription=subscription,
                membership=membership,
                ends_on=ends_on,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        name = membership.user.full_name
        if ends_on is None:
            success = _("Åtkomsten för %(name)s gäller tills vidare.") % {"name": name}
        else:
            success = _("Åtkomsten för %(name)s gäller till och med %(date)s.") % {
                "name": name,
                "date": date_format(ends_on, "Y-m-d"),
            }
    return _access_response(request, subscription, membership, error=error, success=success)


@login_required
@require_POST
def suspend_member(
    request: AuthenticatedHttpRequest, number: int, membership_id: int
) -> HttpResponse:
    """ "Pausa åtkomst"."""
    subscription, membership = _member(request, number, membership_id)
    error = ""
    try:
        services.membership_suspend(
            actor=request.user, subscription=subscription, membership=membership
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    success = _("Åtkomsten för %(name)s är pausad.") % {"name": membership.user.full_name}
    return _access_response(request, subscription, membership, error=error, success=success)


@login_required
@require_POST
def resume_member(
    request: AuthenticatedHttpRequest, number: int, membership_id: int
) -> HttpResponse:
    """ "Återuppta åtkomst"."""
    subscription, membership = _member(request, number, membership_id)
    error = ""
    try:
        services.membership_resume(
            actor=request.user, subscription=subscription, membership=membership
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    success = _("Åtkomsten för %(name)s är återupptagen.") % {"name": membership.user.full_name}
    return _access_response(request, subscription, membership, error=error, success=success)
