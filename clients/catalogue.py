"""The program catalogue. Migration 0003 loads it; `programs_ensure` restores
it where a database was emptied (transactional tests flush every table).

Which programs a plan includes is one rule, here (PLAN_PROGRAMS): every
place that sells or shows licences asks `plan_includes`, or the two checks
with their message, `require_program_in_plan` (before a licence is added:
"Lägg till licens", "Ändra abonnemang", "Skapa nytt samarbete", the licence
forms in Django admin) and `require_plan_includes_all` (before a plan
changes). Which programs "Tilldela behörigheter" offers levels in is
`program_can_be_given`: the plan's, and any the subscription has seats of.
The price list prices programs per plan but does not decide this."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from clients.models import Plan, Program

PROGRAMS = [
    ("bokforing", "Bokföring"),
    ("fakturering", "Fakturering"),
    ("lon", "Lön"),
    ("offert-order", "Offert & Order"),
    ("tid", "Tid"),
    ("kvitto-resa", "Kvitto & Resa"),
    ("lager", "Lager"),
    ("arkivplats", "Arkivplats"),
]


def programs_ensure() -> None:
    for order, (code, name) in enumerate(PROGRAMS, start=1):
        Program.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})


# The programs each plan ("variant") includes: licences can be bought for
# these. Every plan has a base fee; each licence is priced per program and plan
# (licensing.models.PlanPrice / ProgramPrice).
PLAN_PROGRAMS: dict[str, tuple[str, ...]] = {
    "faktura": ("fakturering", "offert-order", "kvitto-resa"),
    "start": ("bokforing", "fakturering", "kvitto-resa", "arkivplats"),
    "smart": ("bokforing", "fakturering", "kvitto-resa", "lon", "tid", "arkivplats"),
    "pro": tuple(code for code, _name in PROGRAMS),
}


def plan_program_codes(plan: str) -> tuple[str, ...]:
    """The codes of the programs `plan` includes, in catalogue order (none
    for an unknown plan)."""
    return PLAN_PROGRAMS.get(plan, ())


def plan_includes(*, plan: str, program_code: str) -> bool:
    """Whether licences of the program can be bought on the plan."""
    return program_code in plan_program_codes(plan)


def programs_offered(*, plan: str, keep: Iterable[int] = ()) -> QuerySet[Program]:
    """The programs a licence form offers on `plan`: those it sells, plus
    `keep` (programs already licensed, so their rows still show)."""
    return Program.objects.filter(
        Q(code__in=plan_program_codes(plan)) | Q(pk__in=list(keep))
    ).order_by("sort_order")


def program_can_be_given(*, plan: str, program_code: str, seats: int, held: int = 0) -> bool:
    """Whether "Tilldela behörigheter" shows a program (a column of levels):
    the plan includes it (licences can be bought), or the subscription has
    seats of it (from before a change of plan, or by support). `held`: levels
    given in it all the same, shown so they can be taken away. A program the
    plan does not include and with no seats ("0 av 0 licenser") is left out."""
    return plan_includes(plan=plan, program_code=program_code) or seats > 0 or held > 0


def _label(plan: str) -> str:
    return str(Plan(plan).label) if plan in Plan.values else plan


def require_program_in_plan(*, plan: str, program: Program) -> None:
    """ValidationError "<program> ingår inte i varianten <plan>." unless the
    plan includes the program: before any licence of it is added."""
    if not plan_includes(plan=plan, program_code=program.code):
        raise ValidationError(
            _("%(program)s ingår inte i varianten %(plan)s.")
            % {"program": program.name, "plan": _label(plan)},
            code="not_in_plan",
        )


def require_plan_includes_all(*, plan: str, programs: Iterable[Program]) -> None:
    """ValidationError unless `plan` includes every one of `programs` (a
    subscription's licences, before its plan changes)."""
    outside = [p.name for p in programs if not plan_includes(plan=plan, program_code=p.code)]
    if outside:
        raise ValidationError(
            _("Varianten %(plan)s omfattar inte %(programs)s. Ta bort de licenserna först.")
            % {"plan": _label(plan), "programs": ", ".join(outside)},
            code="not_in_plan",
        )
