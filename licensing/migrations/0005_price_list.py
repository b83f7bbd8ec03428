"""The first price list (kronor per month, excluding VAT), and on PostgreSQL
exclusion constraints so that price periods of the same key, and a firm's
reseller agreements, can never overlap (admin also says so in Swedish).

Later price changes are made by support in admin: end the old row and add a
new one. Issued invoices keep the unit prices they were issued with.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

VALID_FROM = date(2025, 1, 1)

# plan: (list price, reseller price) for the monthly base fee ("Grundavgift").
PLAN_PRICES = {
    "faktura": ("99.00", "79.00"),
    "start": ("199.00", "159.00"),
    "smart": ("299.00", "239.00"),
    "pro": ("449.00", "359.00"),
}

# program: {plan: (list price, reseller price)} per licence and month.
PROGRAM_PRICES = {
    "bokforing": {
        "faktura": ("89.00", "69.00"),
        "start": ("129.00", "99.00"),
        "smart": ("149.00", "119.00"),
        "pro": ("179.00", "139.00"),
    },
    "fakturering": {
        "faktura": ("49.00", "39.00"),
        "start": ("69.00", "55.00"),
        "smart": ("79.00", "63.00"),
        "pro": ("99.00", "79.00"),
    },
    "lon": {
        "faktura": ("99.00", "79.00"),
        "start": ("119.00", "95.00"),
        "smart": ("129.00", "103.00"),
        "pro": ("149.00", "119.00"),
    },
    "offert-order": {
        "faktura": ("59.00", "47.00"),
        "start": ("79.00", "63.00"),
        "smart": ("89.00", "71.00"),
        "pro": ("99.00", "79.00"),
    },
    "tid": {
        "faktura": ("49.00", "39.00"),
        "start": ("59.00", "47.00"),
        "smart": ("69.00", "55.00"),
        "pro": ("79.00", "63.00"),
    },
    "kvitto-resa": {
        "faktura": ("39.00", "31.00"),
        "start": ("49.00", "39.00"),
        "smart": ("49.00", "39.00"),
        "pro": ("59.00", "47.00"),
    },
    "lager": {
        "faktura": ("79.00", "63.00"),
        "start": ("99.00", "79.00"),
        "smart": ("109.00", "87.00"),
        "pro": ("119.00", "95.00"),
    },
    "arkivplats": {
        "faktura": ("29.00", "23.00"),
        "start": ("39.00", "31.00"),
        "smart": ("39.00", "31.00"),
        "pro": ("49.00", "39.00"),
    },
}

SEAT_PRICE = ("249.00", "199.00")

# (table, key columns) that must not have overlapping validity periods.
EXCLUSIONS = [
    ("licensing_planprice", ["plan"], "planprice_no_overlap"),
    ("licensing_programprice", ["plan", "program_id"], "programprice_no_overlap"),
    ("licensing_clientmanagerseatprice", [], "clientmanagerseatprice_no_overlap"),
    ("licensing_reselleragreement", ["firm_id"], "reselleragreement_no_overlap"),
]


def load_prices(apps, schema_editor):
    Program = apps.get_model("clients", "Program")
    PlanPrice = apps.get_model("licensing", "PlanPrice")
    ProgramPrice = apps.get_model("licensing", "ProgramPrice")
    ClientManagerSeatPrice = apps.get_model("licensing", "ClientManagerSeatPrice")
    for plan, (list_price, reseller_price) in PLAN_PRICES.items():
        PlanPrice.objects.get_or_create(
            plan=plan,
            valid_from=VALID_FROM,
            defaults={"list_price": Decimal(list_price), "reseller_price": Decimal(reseller_price)},
        )
    programs = {p.code: p for p in Program.objects.all()}
    for code, by_plan in PROGRAM_PRICES.items():
        program = programs.get(code)
        if program is None:
            continue  # the catalogue migration (clients 0003) loads them all
        for plan, (list_price, reseller_price) in by_plan.items():
            ProgramPrice.objects.get_or_create(
                plan=plan,
                program=program,
                valid_from=VALID_FROM,
                defaults={
                    "list_price": Decimal(list_price),
                    "reseller_price": Decimal(reseller_price),
                },
            )
    ClientManagerSeatPrice.objects.get_or_create(
        valid_from=VALID_FROM,
        defaults={
            "list_price": Decimal(SEAT_PRICE[0]),
            "reseller_price": Decimal(SEAT_PRICE[1]),
        },
    )


def add_exclusions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (make run): the admin validation is the guard
    # btree_gist lets a GiST index compare plain columns with "="; it is a
    # trusted extension, so the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table, keys, name in EXCLUSIONS:
        parts = [f"{key} WITH =" for key in keys]
        # Both ends inclusive; an empty valid_to is an open end.
        parts.append("daterange(valid_from, valid_to, '[]') WITH &&")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist ({', '.join(parts)})"
        )


def drop_exclusions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _keys, name in EXCLUSIONS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0003_program_catalogue"),
        ("licensing", "0004_billing"),
    ]

    operations = [
        migrations.RunPython(add_exclusions, drop_exclusions),
        migrations.RunPython(load_prices, migrations.RunPython.noop),
    ]
