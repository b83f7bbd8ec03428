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
