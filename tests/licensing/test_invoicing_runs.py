"""The monthly run in chunks (issue 18): payers planned once, chunks any
worker can take, one payer's failure recorded with its reason, exact totals."""

import random
import threading
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from clients.catalogue import programs_ensure
from clients.models import Plan
from licensing import billing
from licensing.billing import invoices, runs
from licensing.models import (
    Invoice,
    InvoiceLine,
    InvoicingPayer,
    InvoicingRun,
    PlanPrice,
    ProgramPrice,
    ResellerAgreement,
)
from tests import factories
from tests.licensing.factories import (
    ISSUED,
    NOVEMBER,
    START,
    Scenario,
    add_license,
    backdate,
    billed_subscription,
    consolidate,
    replace_price_list,
)

pytestmark = pytest.mark.django_db
Status = InvoicingPayer.Status


def _process_all(run: InvoicingRun) -> None:
    for chunk in billing.pending_chunks(run):
        billing.invoicing_chunk_process(run=run, chunk=chunk)


def test_a_payer_s_failure_is_recorded_with_its_reason_and_the_rest_are_invoiced(
    scenario: Scenario,
) -> None:
    no_price = billed_subscription("Utan Pris AB", Plan.PRO, {})
    after = billed_subscription("Zäta Efter AB", Plan.SMART, {})

    issued = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert {i.payer_id for i in issued} == {scenario.firm.pk, after.pk}
    run = InvoicingRun.objects.get(month=NOVEMBER)
    assert (run.payers_total, run.payers_done, run.payers_failed) == (3, 2, 1)
    assert run.finished_at is not None
    failed = run.payers.get(status=Status.FAILED)
    assert (failed.payer_kind, failed.payer_id, failed.invoice) == (
        "subscription",
        no_price.pk,
        None,
    )
    assert failed.reason.startswith("Pris saknas: ")
    assert "pro" in failed.reason

    PlanPrice.objects.create(
        plan="pro", list_price=Decimal("450.00"), reseller_price=Decimal("360.00"), valid_from=START
    )
    assert billing.invoicing_failed_rerun(run) == [0]
    _process_all(run)

    run.refresh_from_db()
    assert (run.payers_total, run.payers_done, run.payers_failed) == (3, 3, 0)
    assert Invoice.objects.get(subscription=no_price).net_amount == Decimal("450.00")
    assert Invoice.objects.count() == 3
    assert run.payers.get(pk=failed.pk).attempts == 2


def _client_paid(count: int) -> list:  # type: ignore[type-arg]
    programs_ensure()
    replace_price_list(plans={"smart": ("300.00", "240.00")}, programs={})
    return [billed_subscription(f"Kund {n:02d} AB", Plan.SMART, {}) for n in range(count)]


def test_chunks_can_run_in_any_order_and_again_without_a_second_invoice() -> None:
    subscriptions = _client_paid(5)

    run = billing.invoicing_run_plan(month=NOVEMBER, issued_on=ISSUED, chunk_size=2)

    assert (run.payers_total, run.chunks) == (5, 3)
    assert billing.pending_chunks(run) == [0, 1, 2]
    for chunk in (2, 0, 2, 1, 0):
        billing.invoicing_chunk_process(run=run, chunk=chunk)
    assert Invoice.objects.count() == 5
    assert billing.pending_chunks(run) == []
    # Invoice order is the plan's (customer name), whatever order chunks ran in.
    by_position = [p.payer_id for p in run.payers.order_by("position")]
    assert by_position == [s.pk for s in subscriptions]
    # Planning again adds only what is new.
    newcomer = billed_subscription("Kund 99 AB", Plan.SMART, {})
    again = billing.invoicing_run_plan(month=NOVEMBER, issued_on=ISSUED)
    assert again.pk == run.pk
    assert list(again.payers.filter(status=Status.PENDING).values_list("payer_id", "chunk")) == [
        (newcomer.pk, 3)
    ]


@pytest.mark.django_db(transaction=True)  # two connections: tests/lock_coverage.py
def test_two_workers_running_the_same_chunks_invoice_each_payer_once() -> None:
    _client_paid(40)
    run = billing.invoicing_run_plan(month=NOVEMBER, issued_on=ISSUED, chunk_size=8)
    start = threading.Barrier(2)
    outcomes: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker(order: list[int]) -> None:
        try:
            start.wait()
            for chunk in order:
                outcomes.append(billing.invoicing_chunk_process(run=run, chunk=chunk))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    chunks = billing.pending_chunks(run)
    threads = [
        threading.Thread(target=worker, args=(chunks,)),
        threading.Thread(target=worker, args=(chunks[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(outcome.get(Status.INVOICED, 0) for outcome in outcomes) == 40
    assert Invoice.objects.count() == 40
    assert InvoicingPayer.objects.filter(status=Status.INVOICED).count() == 40
    assert not InvoicingPayer.objects.exclude(status=Status.INVOICED).exists()
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 40))  # gapless
    run.refresh_from_db()
    assert (run.payers_done, run.payers_failed, run.finished_at is not None) == (40, 0, True)


# --- Totals against an independent computation --------------------------------

LIST = {"start": Decimal("200.00"), "smart": Decimal("300.00")}
RESELLER = {"start": Decimal("150.00"), "smart": Decimal("240.00")}
PROGRAM_LIST = {"bokforing": Decimal("150.00"), "lon": Decimal("99.50")}
PROGRAM_RESELLER = {"bokforing": Decimal("119.00"), "lon": Decimal("79.90")}
RAISE_ON = date(2025, 11, 10)  # Bokföring costs 9 kr more from this day
SEAT = (Decimal("250.00"), Decimal("200.00"))


def _expected_day(plan: str, seats: dict[str, int], day: date, reseller: bool) -> Fraction:
    """One day of one subscription, in kronor per month (divide by days)."""
    amount = Fraction((RESELLER if reseller else LIST)[plan])
    for code, count in seats.items():
        price = Fraction((PROGRAM_RESELLER if reseller else PROGRAM_LIST)[code])
        if code == "bokforing" and day >= RAISE_ON:
            price += 9
        amount += count * price
    return amount


def _round(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _sample(rng: random.Random):  # type: ignore[no-untyped-def]
    """Thirty customers with random plans and licences; some on the firm's
    Samlingsfaktura, some adding licences during the month."""
    firm = factories.FirmFactory(name="Summabyrån AB", client_manager_seats=3)
    backdate(firm, START)
    ResellerAgreement.objects.create(firm=firm, valid_from=START)
    customers = []
    for n in range(30):
        plan = rng.choice(["start", "smart"])
        seats = {code: rng.randint(1, 4) for code in rng.sample(sorted(PROGRAM_LIST), 2)}
        subscription = billed_subscription(f"Summakund {n:02d} AB", plan, dict(seats))
        added = None
        if rng.random() < 0.4:
            added = (rng.choice(sorted(seats)), date(2025, 11, rng.randint(2, 30)))
            add_license(subscription, added[0], added[1])
        reseller = rng.random() < 0.6
        if reseller:
            consolidate(subscription, firm)
        customers.append((subscription, plan, seats, added, reseller))
    return firm, customers


def test_totals_on_a_sample_equal_an_independent_computation() -> None:
    programs_ensure()
    price = {
        (plan, code): (str(PROGRAM_LIST[code]), str(PROGRAM_RESELLER[code]))
        for plan in LIST
        for code in PROGRAM_LIST
    }
    replace_price_list(
        plans={plan: (str(LIST[plan]), str(RESELLER[plan])) for plan in LIST},
        programs=price,
        seat=(str(SEAT[0]), str(SEAT[1])),
    )
    for plan in LIST:
        billing_bump(plan)
    firm, customers = _sample(random.Random(18))

    billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    days = [NOVEMBER + timedelta(days=n) for n in range(30)]
    expected: dict[tuple[str, int], Fraction] = {("firm", firm.pk): Fraction(3 * SEAT[1])}
    for subscription, plan, seats, added, reseller in customers:
        payer = ("firm", firm.pk) if reseller else ("subscription", subscription.pk)
        total = Fraction(0)
        for day in days:
            held = dict(seats)
            if added and day >= added[1]:
                held[added[0]] += 1
            total += _expected_day(plan, held, day, reseller) / 30
        expected[payer] = expected.get(payer, Fraction(0)) + total
    by_payer = {(i.payer_kind, i.payer_id): i for i in Invoice.objects.all()}
    assert set(by_payer) == set(expected)
    for payer, exact in expected.items():
        invoice = by_payer[payer]
        lines = InvoiceLine.objects.filter(invoice=invoice).count()
        # Each line is rounded once, to the öre: the net is within half an öre a line.
        assert abs(Fraction(invoice.net_amount) - exact) <= Fraction(lines, 200), payer
        assert invoice.vat_amount == _round(Fraction(invoice.net_amount) / 4)
        assert invoice.total_amount == invoice.net_amount + invoice.vat_amount
    whole = [c for c in customers if not c[3] and not c[4]]
    for subscription, plan, seats, _added, _reseller in whole:
        # Without changes and a price only for part of the month, to the öre.
        exact = sum((_expected_day(plan, seats, day, False) for day in days), Fraction(0)) / 30
        assert by_payer[("subscription", subscription.pk)].net_amount == _round(exact)


def billing_bump(plan: str) -> None:
    """Bokföring costs 9 kr more (list and reseller) from RAISE_ON."""
    row = ProgramPrice.objects.get(plan=plan, program__code="bokforing")
    ProgramPrice.objects.filter(pk=row.pk).update(valid_to=RAISE_ON - timedelta(days=1))
    ProgramPrice.objects.create(
        plan=plan,
        program=row.program,
        list_price=row.list_price + 9,
        reseller_price=row.reseller_price + 9,
        valid_from=RAISE_ON,
    )


# --- Support's view: progress, failures with reasons, "Kör om misslyckade" -------


@pytest.fixture
def support() -> Client:
    client = Client()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_support_sees_progress_and_failures_and_reruns_the_failed(
    scenario: Scenario,
    support: Client,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    no_price = billed_subscription("Utan Pris AB", Plan.PRO, {})
    billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)
    run = InvoicingRun.objects.get()

    listing = support.get("/admin/licensing/invoicingrun/").content.decode()
    assert "1 / 2" in listing
    assert "Klar, med misslyckade" in listing
    failures = f"/admin/licensing/invoicingpayer/?run__id__exact={run.pk}&amp;status__exact=failed"
    assert failures in listing
    failed_page = support.get(failures.replace("&amp;", "&")).content.decode()
    assert "Pris saknas: " in failed_page
    assert str(no_price.pk) in failed_page

    PlanPrice.objects.create(
        plan="pro", list_price=Decimal("450.00"), reseller_price=Decimal("360.00"), valid_from=START
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(
            "/admin/licensing/invoicingrun/",
            {"action": "rerun_failed", "_selected_action": [run.pk]},
            follow=True,
        )

    assert "1 misslyckad betalare körs om." in response.content.decode()
    run.refresh_from_db()
    assert (run.payers_total, run.payers_done, run.payers_failed) == (2, 2, 0)
    assert Invoice.objects.filter(subscription=no_price).count() == 1


def test_runs_cannot_be_added_changed_or_deleted_and_rerun_needs_the_permission(
    scenario: Scenario,
) -> None:
    billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)
    run = InvoicingRun.objects.get()
    staff = factories.UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_invoicingrun"))
    client = Client()
    client.force_login(staff)

    listing = client.get("/admin/licensing/invoicingrun/").content.decode()
    assert "Kör om misslyckade" not in listing
    assert client.get("/admin/licensing/invoicingrun/add/").status_code == 403
    assert client.post(f"/admin/licensing/invoicingrun/{run.pk}/delete/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_invoicingrun"))
    assert "Kör om misslyckade" in client.get("/admin/licensing/invoicingrun/").content.decode()


def test_chunks_are_cut_by_the_subscriptions_invoiced_not_by_payers() -> None:
    payers = [
        ("subscription", 1, 1),
        ("subscription", 2, 1),
        ("firm", 3, 5),  # a Samlingsfaktura of four customers: a chunk of its own
        ("firm", 4, 1),
        ("firm", 5, 2),
    ]
    assert runs._chunks(payers, 3, 7) == [7, 7, 8, 9, 9]


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_a_refused_invoice_sends_its_group_one_by_one_and_only_that_payer_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second, third = _client_paid(3)
    issue_many = runs.invoices_issue_many

    def refuse_the_second(*, drafts, month, issued_on):  # type: ignore[no-untyped-def]
        if any(draft.payer_id == second.pk for draft, _fees in drafts):
            Invoice.objects.create(number=0)  # what the database refuses
        return issue_many(drafts=drafts, month=month, issued_on=issued_on)

    monkeypatch.setattr(runs, "invoices_issue_many", refuse_the_second)  # the group
    monkeypatch.setattr(invoices, "invoices_issue_many", refuse_the_second)  # one by one

    issued = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert [invoice.subscription for invoice in issued] == [first, third]
    failed = InvoicingPayer.objects.get(status=Status.FAILED)
    assert failed.payer_id == second.pk
    assert failed.reason.startswith("IntegrityError: ")
    numbers = sorted(invoice.number for invoice in issued)
    assert numbers[1] == numbers[0] + 1  # the refused one took no number
