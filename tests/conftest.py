"""Shared fixtures: named roles in two tenants, on real PostgreSQL and Redis."""

import os

import pytest
from django.conf import settings

from clients.catalogue import programs_ensure
from tests import factories
from tests.access_routes import matrix_objects
from tests.world import World


def pytest_configure(config: pytest.Config) -> None:
    """Fail fast, with instructions, when PostgreSQL or Redis is missing."""
    if os.environ.get("DJANGO_ENV") != "test":
        return
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("The tests need PostgreSQL: set DATABASE_URL (make test does).", returncode=2)
    import psycopg
    import redis

    try:
        psycopg.connect(
            host=database["HOST"] or "127.0.0.1",
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"],
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as error:
        pytest.exit(
            f"PostgreSQL is not reachable ({error}).\n"
            "Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "or: docker compose up -d postgres; or set DATABASE_URL.",
            returncode=2,
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.exit(
            f"Redis is not reachable at {settings.REDIS_URL} ({error}).\n"
            "Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379\n"
            "or: docker compose up -d redis; or set REDIS_URL.",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Empty the cache between tests. On Redis only this process's keys: a
    FLUSHDB would also wipe the sessions and caches of the parallel test
    process running beside it (settings give each its own KEY_PREFIX)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _swedish() -> None:
    """Every test starts in Swedish: a request in English (the language
    cookie) leaves its language active in the thread afterwards."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db: None) -> World:
    programs_ensure()
    firm_a = factories.FirmFactory(name="Revisorerna Norr AB")
    firm_b = factories.FirmFactory(name="Siffror Syd AB")
    firm_admin = factories.ConsultantFactory(
        firm=firm_a, is_firm_admin=True, user__full_name="Anna Admin"
    )
    consultant = factories.ConsultantFactory(firm=firm_a, user__full_name="Erik Konsult")
    no_seat = factories.ConsultantFactory(
        firm=firm_a, has_client_manager_seat=False, user__full_name="Nils Utanlicens"
    )
    other = factories.ConsultantFactory(firm=firm_b, user__full_name="Olle Annanbyrå")
    subscription = factories.SubscriptionFactory(client__name="Bageriet Solsidan AB")
    sysadmin_membership = factories.MembershipFactory(
        subscription=subscription, is_sysadmin=True, user__full_name="Lisa Sysadmin"
    )
    client_user = factories.MembershipFactory(
        subscription=subscription, user__full_name="Klas Klientanvändare"
    ).user
    other_subscription = factories.SubscriptionFactory(client__name="Annan Kund AB")
    other_sysadmin = factories.MembershipFactory(
        subscription=other_subscription, is_sysadmin=True, user__full_name="Oskar Annansysadmin"
    ).user
    return World(
        firm_admin=firm_admin,
        consultant=consultant,
        no_seat_consultant=no_seat,
        other_firm_consultant=other,
        subscription=subscription,
        sysadmin=sysadmin_membership.user,
        sysadmin_membership=sysadmin_membership,
        client_user=client_user,
        other_subscription=other_subscription,
        other_sysadmin=other_sysadmin,
    )


@pytest.fixture
def matrix(world: World) -> dict[str, object]:
    """Tenant A's objects the access matrix's rules point at."""
    return matrix_objects(world)


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """force_login skips the password; it skips the code step too, so tests of
    firm admins and support staff reach their pages. The code step itself is
    tested through the real login (tests/firm_portal/test_two_factor.py)."""
    from django.test import Client

    from tests.two_factor_helpers import verify_session

    original = Client.force_login

    def force_login(self, user, backend=None):  # type: ignore[no-untyped-def]
        original(self, user, backend)
        verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # PBKDF2 at production strength costs ~0.3 s per user; tests make many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sms_outbox(settings) -> None:  # type: ignore[no-untyped-def]
    # Like mail.outbox: SMS stay in notifications.sms.locmem.outbox, emptied per test.
    from notifications.sms import locmem

    settings.SMS_BACKEND = "locmem"
    locmem.outbox.clear()
