"""A year of invoices for the national set, written inside PostgreSQL as the
monthly run would have written them (licensing/billing/__init__.py has the
rules): for each of the twelve whole months before the seed's day, one
invoice per firm (its Samlingsfaktura customers at reseller prices under its
reseller agreement, then its client-manager seats) and one per other active
subscription (to the client, at list prices).

The world holds no changes inside a month (no licence, plan or payer
changes, no fees), so every line covers its whole month and costs quantity
× unit price. Unit prices and descriptions come from the app's own
`PriceBook` and messages, month by month; a month whose prices change inside
it, or that has no price list, is refused or left out. Numbers follow
month, then firms, then subscriptions, each by id, with their OCR references
(`ocr_reference`, in SQL)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from clients.models import Counter, Plan, Program
from firm_portal.management.national.copy import IdBlock, copy_rows_to
from firm_portal.timeutils import STOCKHOLM
from licensing.billing.invoices import INVOICE_COUNTER, VAT_RATE
from licensing.models import Invoice
from licensing.pricing import Month, PriceBook, PriceMissing

MONTHS = 12
LUHN_DOUBLED = "'{0,2,4,6,8,1,3,5,7,9}'::int[]"


def luhn_sql(number: str, digits: int) -> str:
    """SQL: the Luhn check digit of a bigint expression (as stdnum's
    `luhn.calc_check_digit`): from the right, every other digit doubled."""
    terms = [
        f"({LUHN_DOUBLED})[mod({number} / {10**k}, 10) + 1]"
        if k % 2 == 0
        else f"mod({number} / {10**k}, 10)"
        for k in range(digits)
    ]
    return f"mod(10 - mod({' + '.join(terms)}, 10), 10)"


def ocr_sql(number: str, digits: int) -> str:
    """SQL for `licensing.billing.ocr_reference(number)`, for numbers of
    fewer than `digits` digits."""
    body = f"({number} * 10 + mod(length({number}::text) + 2, 10))"
    return f"{body}::text || {luhn_sql(body, digits)}::text"


def year_months(now: datetime) -> list[Month]:
    """The twelve whole months before `now`'s month, oldest first."""
    months = [Month.of(now.date()).previous()]
    while len(months) < MONTHS:
        months.insert(0, months[0].previous())
    return months


def _whole_month(
    month: Month, lookup: Callable[..., Decimal], *key: object, reseller: bool
) -> Decimal:
    """`lookup(*key, day, reseller)`, a price valid on the whole month (the
    same on its first and last day)."""
    first, last = (lookup(*key, day, reseller) for day in (month.first, month.last))
    if first != last:
        raise ValueError(f"A price changes inside {month.first:%Y-%m}: not in this seed")
    return first


PriceKey = tuple[str, str, int]  # kind, plan ("" for seats), program id (0 for none)


@dataclass(frozen=True)
class Price:
    list_price: Decimal
    reseller_price: Decimal
    description: str
    plan_label: str


def _month_prices(month: Month, programs: list[Program]) -> dict[PriceKey, Price]:
    """Every price of the month; PriceMissing before the price list."""
    book = PriceBook(month)

    def price(description: str, label: str, lookup: Callable[..., Decimal], *key: object) -> Price:
        list_price, reseller_price = (
            _whole_month(month, lookup, *key, reseller=reseller) for reseller in (False, True)
        )
        return Price(list_price, reseller_price, description, label)

    prices = {("seat", "", 0): price(_("Klienthanteraren, licenser"), "", book.seat)}
    for plan in Plan:
        label = str(plan.label)
        text = _("%(plan)s, grundavgift") % {"plan": label}
        prices["plan", plan.value, 0] = price(text, label, book.plan, plan.value)
        for program in programs:
            text = _("%(program)s, licenser") % {"program": program.name}
            try:
                prices["license", plan.value, program.pk] = price(
                    text, label, book.program, plan.value, program
                )
            except PriceMissing:
                continue  # not sold on this plan
    return prices


def month_prices(months: list[Month]) -> dict[Month, dict[PriceKey, Price]]:
    """`_month_prices` of every month with a whole price list."""
    prices = {}
    programs = list(Program.objects.all())
    with translation.override(settings.LANGUAGE_CODE):
        for month in months:
            try:
                prices[month] = _month_prices(month, programs)
            except PriceMissing:
                continue  # before the price list: no invoices that month
    if len({frozenset(by_key) for by_key in prices.values()}) > 1:
        raise ValueError("What is priced changes during the year: not in this seed")
    return prices


# Each line of every payer's invoice, the same every month but for its
# price: positions within the invoice (Samlingsfaktura customers by name and
# number as the run orders them, each subscription's base fee then licences
# in catalogue order, seats last) and the payer's rank (its invoice is
# `first_id + rank`). `reseller_firm`: the firm whose valid reseller
# agreement gives the line reseller prices (Samlingsfaktura and seats);
# `slot`: where its price is in the month's arrays of prices.
LINES = """
CREATE TEMP TABLE nat_line ON COMMIT DROP AS
SELECT p.rank, k.slot, (row_number() OVER (
           PARTITION BY p.rank ORDER BY l.seat, l.customer_name, l.number, l.sort
       ))::int AS position, l.*
FROM (
    SELECT CASE WHEN b.firm_id IS NULL THEN 'subscription' ELSE 'firm' END AS payer_kind,
           COALESCE(b.firm_id, b.id) AS payer_id, b.firm_id AS reseller_firm, 0 AS seat,
           b.id AS subscription_id, b.number, b.name AS customer_name,
           b.org_number AS customer_org_number, l.sort, l.kind, b.plan, l.program_id,
           l.quantity
    FROM nat_billed AS b
    JOIN (
        SELECT s.id AS subscription_id, 'plan' AS kind, 0::bigint AS program_id,
               1 AS quantity, 0 AS sort
        FROM nat_billed AS s
        UNION ALL
        SELECT sl.subscription_id, 'license', sl.program_id, sl.seats, p.sort
        FROM clients_subscriptionlicense AS sl
        JOIN (
            SELECT id, row_number() OVER (ORDER BY sort_order, name)::int AS sort
            FROM clients_program
        ) AS p ON p.id = sl.program_id
        WHERE sl.seats > 0
    ) AS l ON l.subscription_id = b.id
    UNION ALL
    SELECT 'firm', f.payer_id, f.payer_id, 1, NULL, NULL, '', '', 0, 'seat', '', 0,
           f.seats
    FROM nat_payer AS f
    WHERE f.payer_kind = 'firm' AND f.seats > 0
) AS l
JOIN nat_payer AS p ON p.payer_kind = l.payer_kind AND p.payer_id = l.payer_id
JOIN nat_slot AS k ON k.kind = l.kind AND k.plan = l.plan AND k.program_id = l.program_id
"""


def _temp_tables(slots: list[PriceKey]) -> None:
    """`nat_slot` (what is priced, numbered from 1), `nat_billed` (each
    active subscription and the firm whose Samlingsfaktura it is on, if
    any), `nat_payer` (the payers in number order, `rank` from 0) and
    `nat_line` (LINES)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE nat_slot (slot int, kind text, plan text, program_id bigint) "
            "ON COMMIT DROP"
        )
    copy_rows_to(
        "nat_slot",
        ["slot", "kind", "plan", "program_id"],
        ((slot, *key) for slot, key in enumerate(slots, start=1)),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE nat_billed ON COMMIT DROP AS
            SELECT s.id, s.number, s.plan, c.name, c.org_number,
                   CASE WHEN b.consolidated AND b.recipient = 'firm' THEN b.firm_id END AS firm_id
            FROM clients_subscription AS s
            JOIN clients_client AS c ON c.id = s.client_id
            LEFT JOIN licensing_subscriptionbilling AS b ON b.subscription_id = s.id
            WHERE s.status = 'active'
            """
        )
        cursor.execute(
            """
            CREATE TEMP TABLE nat_payer ON COMMIT DROP AS
            SELECT (row_number() OVER (ORDER BY p.kind_order, p.payer_id) - 1)::bigint AS rank, p.*
            FROM (
                SELECT 0 AS kind_order, 'firm' AS payer_kind, f.id AS payer_id,
                       NULL::bigint AS subscription_id, f.name, f.org_number,
                       f.id IN (
                           SELECT x.firm_id FROM nat_billed AS x WHERE x.firm_id IS NOT NULL
                       ) AS is_consolidated,
                       f.client_manager_seats AS seats
                FROM firm_portal_firm AS f
                UNION ALL
                SELECT 1, 'subscription', b.id, b.id, b.name, b.org_number, false, 0
                FROM nat_billed AS b WHERE b.firm_id IS NULL
            ) AS p
            WHERE p.payer_kind = 'subscription' OR p.seats > 0 OR p.is_consolidated
            """
        )
        cursor.execute(LINES)
        for table in ("nat_payer", "nat_line"):
            cursor.execute(f"ANALYZE {table}")


def year_write(*, now: datetime) -> dict[str, int]:
    """Every payer's invoice of each month of the year before `now`."""
    prices = month_prices(year_months(now))
    if not prices:
        return {"invoices": 0, "invoice lines": 0}
    slots = sorted(next(iter(prices.values())))
    _temp_tables(slots)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM nat_payer")
        payers = cursor.fetchone()[0]
    ids = IdBlock(Invoice).take(payers * len(prices))
    counter, _created = Counter.objects.get_or_create(
        name=INVOICE_COUNTER, defaults={"value": settings.INVOICE_NUMBER_START}
    )
    digits = len(str(counter.value + len(ids))) + 1
    counts = {"invoices": 0, "invoice lines": 0}
    for index, (month, by_key) in enumerate(sorted(prices.items(), key=lambda p: p[0].first)):
        offset = index * payers
        lines, invoices = _month_write(
            month,
            [by_key[key] for key in slots],
            first_id=ids.start + offset,
            first_number=counter.value + 1 + offset,
            digits=digits,
        )
        counts["invoice lines"] += lines
        counts["invoices"] += invoices
    Counter.objects.filter(pk=counter.pk).update(value=counter.value + len(ids))
    return counts


# Each line with its price of the month (from arrays indexed by its slot):
# reseller prices under an agreement valid the whole month (the world
# changes nothing inside a month).
PRICED = """
    FROM (
        SELECT l.*, CASE WHEN r.firm_id IS NULL THEN (%(list_prices)s::numeric[])[l.slot]
                         ELSE (%(reseller_prices)s::numeric[])[l.slot] END AS unit_price
        FROM nat_line AS l
        LEFT JOIN (
            SELECT DISTINCT firm_id FROM licensing_reselleragreement
            WHERE valid_from <= %(month)s AND (valid_to IS NULL OR valid_to >= %(last)s)
        ) AS r ON r.firm_id = l.reseller_firm
    ) AS l
"""


LINES_INSERT = (
    """
INSERT INTO licensing_invoiceline
    (invoice_id, position, kind, subscription_id, customer_name,
     customer_org_number, subscription_number, customer_plan, description,
     quantity, is_change, unit_price, period_start, period_end, days,
     days_in_month, amount, firm_charge_id)
SELECT %(first_id)s + l.rank, l.position, l.kind, l.subscription_id,
       l.customer_name, l.customer_org_number, l.number,
       (%(plan_labels)s::text[])[l.slot], (%(descriptions)s::text[])[l.slot],
       l.quantity, false, l.unit_price, %(month)s, %(last)s,
       %(days)s, %(days)s, l.quantity * l.unit_price, NULL
"""
    + PRICED
)

# The invoice of each payer: `{number}` and `{ocr}` are SQL expressions.
INVOICES_INSERT = """
INSERT INTO licensing_invoice
    (id, number, ocr, payer_kind, payer_id, month, is_consolidated,
     recipient_kind, recipient_firm_id, subscription_id, recipient_name,
     recipient_org_number, recipient_address, recipient_email,
     recipient_reference, issuer, issued_on, due_on, net_amount, vat_rate,
     vat_amount, total_amount, created_at)
SELECT %(first_id)s + p.rank, {number}, {ocr}, p.payer_kind,
       p.payer_id, %(month)s, p.is_consolidated,
       CASE WHEN p.payer_kind = 'firm' THEN 'firm' ELSE 'client' END,
       CASE WHEN p.payer_kind = 'firm' THEN p.payer_id END, p.subscription_id,
       p.name, p.org_number, '[]'::jsonb, '', '', %(issuer)s::jsonb,
       %(issued_on)s, %(due_on)s, a.net, %(vat_rate)s, a.vat, a.net + a.vat,
       %(created_at)s
FROM nat_payer AS p
JOIN (
    SELECT rank, net, round(net * %(vat_rate)s, 2) AS vat
    FROM (SELECT l.rank, sum(l.quantity * l.unit_price) AS net
          {priced} GROUP BY l.rank) AS n
) AS a ON a.rank = p.rank
ORDER BY p.rank
"""


def _month_write(
    month: Month, prices: list[Price], *, first_id: int, first_number: int, digits: int
) -> tuple[int, int]:
    """One month's lines and invoices (`prices` by slot); (lines, invoices)
    written."""
    issued_on = month.next_first
    params: dict[str, Any] = {
        "list_prices": [price.list_price for price in prices],
        "reseller_prices": [price.reseller_price for price in prices],
        "descriptions": [price.description for price in prices],
        "plan_labels": [price.plan_label for price in prices],
        "month": month.first,
        "last": month.last,
        "days": month.days,
        "first_id": first_id,
        "first_number": first_number,
        "issued_on": issued_on,
        "due_on": issued_on + timedelta(days=settings.INVOICE_PAYMENT_DAYS),
        "created_at": datetime.combine(issued_on, time(6), tzinfo=STOCKHOLM),
        "vat_rate": VAT_RATE,
        "issuer": json.dumps({key: str(value) for key, value in settings.INVOICE_ISSUER.items()}),
    }
    number = "(%(first_number)s + p.rank)"
    with connection.cursor() as cursor:
        cursor.execute(LINES_INSERT, params)
        lines = cursor.rowcount
        cursor.execute(
            INVOICES_INSERT.format(number=number, ocr=ocr_sql(number, digits), priced=PRICED),
            params,
        )
        return lines, cursor.rowcount
