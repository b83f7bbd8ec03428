"""The bench databases (PostgreSQL only, no Django needed).

`<name>_seed` is migrated and seeded once with `manage.py seed_large` (about
a minute). Every run then measures `<name>` (BENCH_DATABASE_URL), a fresh
file copy of it (CREATE DATABASE … TEMPLATE, a few seconds), so the writes a
run makes (requests sent and approved, users invited) never change what the
next run starts from, and runs stay comparable.
"""

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from firm_portal.management.large_world import BENCH_ADMIN_EMAIL

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def maintenance(url: str) -> psycopg.Connection:
    """An autocommit connection to the server's `postgres` database."""
    return psycopg.connect(with_name(url, "postgres"), autocommit=True, connect_timeout=5)


def exists(url: str) -> bool:
    with maintenance(url) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
        ).fetchone()
    return found is not None


def create(url: str) -> None:
    with maintenance(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))


def drop(url: str) -> None:
    with maintenance(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database_name(url))
            )
        )


def is_seeded(url: str) -> bool:
    with psycopg.connect(url, connect_timeout=5) as conn:
        try:
            found = conn.execute(
                "SELECT 1 FROM firm_portal_user WHERE email = %s", [BENCH_ADMIN_EMAIL]
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return False
    return found is not None


def vacuum_analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def manage(env: Mapping[str, str], *args: str, check: bool = True) -> int:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [PYTHON, "manage.py", *args], cwd=ROOT, env=dict(env), check=check
    ).returncode


def ensure_seed(url: str, env: Mapping[str, str], log: Callable[[str], None]) -> None:
    """Create, migrate and seed the template database when needed."""
    env = {**env, "DATABASE_URL": url}
    if not exists(url):
        log(f"Creating {database_name(url)}")
        create(url)
    migrated = False
    if manage(env, "migrate", "--check", "-v", "0", check=False) != 0:
        log(f"Migrating {database_name(url)}")
        manage(env, "migrate", "--noinput", "-v", "0")
        migrated = True
    seeded = False
    if not is_seeded(url):
        log(f"Seeding {database_name(url)} with the large data set (about a minute)")
        manage(env, "seed_large")
        seeded = True
    if migrated or seeded:
        log("VACUUM (ANALYZE)")
        vacuum_analyze(url)


def fresh_copy(*, template: str, target: str) -> None:
    """Replace `target` with a file copy of `template` (planner statistics included)."""
    drop(target)
    with maintenance(target) as conn:
        strategy = (
            sql.SQL(" STRATEGY FILE_COPY") if conn.info.server_version >= 150000 else sql.SQL("")
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(database_name(target)),
                sql.Identifier(database_name(template)),
                strategy,
            )
        )
