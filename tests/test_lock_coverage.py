"""The row-lock check itself (tests/lock_coverage.py): it finds every
`select_for_update` in the source, records where tests take locks and under
which transactions, refuses a lock outside any transaction but the test's
own, and judges only a whole-suite run."""

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from clients import services
from clients.models import Membership, Subscription
from tests import lock_coverage
from tests.conftest import World
from tests.lock_coverage import (
    Records,
    RunState,
    Site,
    app_sites,
    report_lines,
    selects_everything,
    sites_in_source,
    uncovered_functions,
    uncovered_sites,
)

SOURCE = """
from app.models import Model


def lock(pk):
    return (
        Model.objects
        .select_for_update(of=("self",))
        .get(pk=pk)
    )


class Service:
    def run(self):
        def inner():
            return Model.objects.select_for_update().first()

        return inner()


Model.objects.filter(select_for_update=True)  # a keyword, not a call
"""


def test_finds_each_call_with_its_lines_and_function() -> None:
    assert sites_in_source(SOURCE, "app/services.py") == [
        Site(path="app/services.py", first_line=7, last_line=8, function="lock"),
        Site(
            path="app/services.py",
            first_line=16,
            last_line=16,
            function="Service.run.<locals>.inner",
        ),
    ]


def test_reads_the_app_but_not_migrations_or_tests() -> None:
    sites = app_sites()
    assert any(
        site.path == "clients/services.py" and site.function == "subscription_lock"
        for site in sites
    )
    assert {site.path.split("/", 1)[0] for site in sites} <= set(lock_coverage.APP_PACKAGES)
    assert not any("/migrations/" in site.path for site in sites)


def test_a_site_is_covered_by_a_real_lock_on_any_of_its_lines() -> None:
    sites = [
        Site("a/services.py", 6, 8, "lock"),
        Site("a/services.py", 16, 16, "other"),
        Site("firm_portal/management/large_world/clients.py", 5, 5, "seed"),  # exempt
    ]
    assert uncovered_sites(sites, {("a/services.py", 7)}) == [sites[1]]
    assert uncovered_sites(sites, {("a/services.py", 16), ("a/services.py", 6)}) == []
    assert uncovered_sites(sites, {("b/services.py", 16)}) == sites[:2]


def test_a_function_must_reach_a_lock_under_real_transactions_once() -> None:
    recorded = Records(
        functions_any={"a/views.py::save": "tests/t.py::one", "a/services.py::_lock": "t2"},
        functions_real={"a/services.py::_lock"},
    )
    assert uncovered_functions(recorded) == {"a/views.py::save": "tests/t.py::one"}
    assert report_lines([Site("a/services.py", 6, 8, "lock")], recorded) == [
        "select_for_update at a/services.py:6 (lock)",
        "a/views.py::save, reached a lock only in tests like tests/t.py::one",
    ]


def test_xdist_workers_records_merge() -> None:
    worker = Records(
        real_sites={("a/services.py", 7)},
        functions_any={"a/views.py::save": "t1"},
        functions_real={"a/services.py::_lock"},
    )
    merged = Records(functions_any={"a/views.py::save": "t0"})
    merged.merge(worker.as_output())
    assert merged.real_sites == {("a/services.py", 7)}
    assert merged.functions_any == {"a/views.py::save": "t0"}
    assert merged.functions_real == {"a/services.py::_lock"}


def _config(args: list[str] | None = None, **options: object) -> SimpleNamespace:
    return SimpleNamespace(
        args_source=(
            pytest.Config.ArgsSource.TESTPATHS if args is None else pytest.Config.ArgsSource.ARGS
        ),
        args=args or [],
        getini=lambda name: ["tests"],
        getoption=lambda name, default=None: options.get(name, default),
    )


def test_only_the_whole_suite_is_judged() -> None:
    assert selects_everything(_config())
    assert selects_everything(_config([str(lock_coverage.ROOT / "tests")]))
    assert not selects_everything(_config([str(lock_coverage.ROOT / "tests" / "clients")]))
    assert not selects_everything(_config(["tests/test_lock_coverage.py::test_x"]))
    assert not selects_everything(_config(keyword="sysadmin"))
    assert not selects_everything(_config(markexpr="not browser"))
    assert not selects_everything(_config(lf=True))
    assert not selects_everything(_config(deselect=["tests/x.py::t"]))
    finished = RunState(collected=2, finished={"a", "b"})
    assert finished.whole_suite_ran()
    assert not RunState(collected=2, finished={"a"}).whole_suite_ran()  # stopped early (-x)
    assert not RunState(collected=2, finished={"a", "b"}, interrupted=True).whole_suite_ran()
    assert not RunState(whole_selection=False, collected=2, finished={"a", "b"}).whole_suite_ran()
    assert not RunState().whole_suite_ran()


@pytest.mark.django_db
def test_a_lock_outside_any_transaction_but_the_tests_own_is_refused(world: World) -> None:
    """Production would run it in autocommit and Django refuses it there."""
    locked = Subscription.objects.select_for_update().filter(pk=world.subscription.pk)
    with pytest.raises(TransactionManagementError):
        locked.first()
    with transaction.atomic():
        assert locked.first() == world.subscription


@pytest.mark.django_db
def test_locks_in_the_tests_transaction_do_not_count_as_real(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Records()
    monkeypatch.setattr(lock_coverage, "records", recorded)
    services.membership_set_sysadmin(
        actor=world.sysadmin,
        subscription=world.subscription,
        membership=Membership.objects.get(user=world.client_user),
        is_sysadmin=True,
    )
    assert "clients/services.py::membership_set_sysadmin" in recorded.functions_any
    assert "clients/services.py::subscription_lock" in recorded.functions_any
    assert recorded.functions_real == set()
    assert recorded.real_sites == set()


@pytest.mark.django_db(transaction=True)
def test_locks_under_real_transactions_are_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = Records()
    monkeypatch.setattr(lock_coverage, "records", recorded)
    services.membership_set_sysadmin(
        actor=world.sysadmin,
        subscription=world.subscription,
        membership=Membership.objects.get(user=world.client_user),
        is_sysadmin=True,
    )
    assert {
        "clients/services.py::membership_set_sysadmin",
        "clients/services.py::subscription_lock",
    } <= (recorded.functions_real)
    (site,) = [
        s
        for s in app_sites()
        if s.path == "clients/services.py" and s.function == "subscription_lock"
    ]
    assert uncovered_sites([site], recorded.real_sites) == []
