"""Money is exact on both databases, and one payer's failure does not stop
the monthly run.

`make run` uses SQLite, which stores decimals as floating point: there
198.39 + 49.60 is not 247.99, and the old check "total = net + VAT" refused
December's invoices for 8 of 94 payers and aborted the run. The check now
compares whole öre. These tests hold it on an in-memory SQLite database and
on PostgreSQL (the test database)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction
from django.db.utils import load_backend

from clients.catalogue import programs_ensure
from clients.models import Plan
from firm_portal.metrics import INVOICING_PAYERS_FAILED
from licensing import billing
from licensing.billing import runs
from licensing.models import Invoice
from tests import factories
from tests.licensing.factories import (
    ISSUED,
    NOVEMBER,
    billed_subscription,
    replace_price_list,
)

SQLITE = "money_sqlite"

# (net, VAT, total) that floating point gets wrong, from December's run.
FLOAT_TRAPS = [
    ("198.39", "49.60", "247.99"),
    ("0.10", "0.20", "0.30"),
    ("1234567.89", "308641.97", "1543209.86"),
]


@pytest.fixture
def sqlite_db(django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An in-memory SQLite database with the invoice table (its foreign keys
    unchecked: the other tables do not exist there), under its own alias."""
    with django_db_blocker.unblock(), _sqlite_in_memory() as alias:
        yield alias


@contextmanager
def _sqlite_in_memory() -> Iterator[str]:
    settings_dict = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            SQLITE: {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        }
    )[SQLITE]
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, SQLITE)
    connections[SQLITE] = wrapper
    try:
        with wrapper.schema_editor() as editor:
            editor.create_model(Invoice)
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
        yield SQLITE
    finally:
        wrapper.close()
        del connections[SQLITE]


def _invoice(*, using: str, number: int, net: str, vat: str, total: str, firm_id: int) -> Invoice:
    return Invoice.objects.using(using).create(
        number=number,
        ocr=billing.ocr_reference(number),
        payer_kind=Invoice.PayerKind.FIRM,
        payer_id=firm_id,
        month=NOVEMBER,
        recipient_kind="firm",
        recipient_firm_id=firm_id,
        recipient_name="Revisorerna Norr AB",
        recipient_org_number="556677-8899",
        issuer={"name": "Byråportalen AB"},
        issued_on=ISSUED,
        due_on=ISSUED + timedelta(days=30),
        net_amount=Decimal(net),
        vat_rate=Decimal("0.25"),
        vat_amount=Decimal(vat),
        total_amount=Decimal(total),
    )


def test_sqlite_accepts_totals_that_floating_point_gets_wrong(sqlite_db: str) -> None:
    assert 198.39 + 49.60 != 247.99  # the trap itself
    for n, (net, vat, total) in enumerate(FLOAT_TRAPS, start=1):
        invoice = _invoice(using=sqlite_db, number=n, net=net, vat=vat, total=total, firm_id=n)
        stored = Invoice.objects.using(sqlite_db).get(pk=invoice.pk)
        assert (stored.net_amount, stored.vat_amount, stored.total_amount) == (
            Decimal(net),
            Decimal(vat),
            Decimal(total),
        )


def test_sqlite_still_refuses_a_total_off_by_one_ore(sqlite_db: str) -> None:
    with (
        pytest.raises(IntegrityError, match="invoice_total_is_net_plus_vat"),
        transaction.atomic(using=sqlite_db),
    ):
        _invoice(using=sqlite_db, number=1, net="198.39", vat="49.60", total="247.98", firm_id=1)


@pytest.mark.django_db
@pytest.mark.parametrize(("net", "vat", "total"), FLOAT_TRAPS)
def test_postgresql_accepts_the_same_totals(net: str, vat: str, total: str) -> None:
    firm = factories.FirmFactory()
    invoice = _invoice(using="default", number=1, net=net, vat=vat, total=total, firm_id=firm.pk)
    invoice.refresh_from_db()
    assert invoice.total_amount == Decimal(total)


@pytest.mark.django_db
def test_postgresql_refuses_a_total_off_by_one_ore() -> None:
    firm = factories.FirmFactory()
    with (
        pytest.raises(IntegrityError, match="invoice_total_is_net_plus_vat"),
        transaction.atomic(),
    ):
        _invoice(
            using="default",
            number=1,
            net="198.39",
            vat="49.60",
            total="247.98",
            firm_id=firm.pk,
        )


@pytest.mark.django_db
def test_the_run_invoices_december_s_failing_amount_to_the_ore() -> None:
    programs_ensure()
    replace_price_list(plans={"smart": ("198.39", "150.00")}, programs={})
    billed_subscription("Frisören AB", Plan.SMART, {})

    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    invoice.refresh_from_db()
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        Decimal("198.39"),
        Decimal("49.60"),
        Decimal("247.99"),
    )


@pytest.mark.django_db
def test_one_payer_s_failure_does_not_stop_the_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    programs_ensure()
    replace_price_list(plans={"smart": ("300.00", "240.00")}, programs={})
    first = billed_subscription("Aaa Först AB", Plan.SMART, {})
    second = billed_subscription("Bbb Sedan AB", Plan.SMART, {})
    third = billed_subscription("Ccc Sist AB", Plan.SMART, {})
    issue = runs.invoice_issue

    def refuse_the_second(*, draft, month, issued_on):  # type: ignore[no-untyped-def]
        if draft.payer_id == second.pk:
            with transaction.atomic():
                Invoice.objects.create(number=0)  # what the database refuses
        return issue(draft=draft, month=month, issued_on=issued_on)

    issue_many = runs.invoices_issue_many

    def refuse_a_group_with_the_second(*, drafts, month, issued_on):  # type: ignore[no-untyped-def]
        if any(draft.payer_id == second.pk for draft, _fees in drafts):
            with transaction.atomic():
                Invoice.objects.create(number=0)  # the group is refused, then one by one
        return issue_many(drafts=drafts, month=month, issued_on=issued_on)

    monkeypatch.setattr(runs, "invoice_issue", refuse_the_second)
    monkeypatch.setattr(runs, "invoices_issue_many", refuse_a_group_with_the_second)
    failed_before = INVOICING_PAYERS_FAILED._value.get()

    with caplog.at_level(logging.ERROR, logger="licensing.billing"):
        invoices = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert {invoice.subscription for invoice in invoices} == {first, third}
    assert not Invoice.objects.filter(subscription=second).exists()
    assert INVOICING_PAYERS_FAILED._value.get() == failed_before + 1
    assert f"no invoice for subscription {second.pk}" in caplog.text

    # The next run (after the fix) invoices the payer that failed, and only it.
    monkeypatch.setattr(runs, "invoice_issue", issue)
    monkeypatch.setattr(runs, "invoices_issue_many", issue_many)
    again = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)
    assert len(again) == 3
    assert Invoice.objects.filter(subscription=second).count() == 1
    assert Invoice.objects.count() == 3
