"""The program catalogue. Migration 0003 loads it; `programs_ensure` restores
it where a database was emptied (transactional tests flush every table)."""

from clients.models import Program

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
