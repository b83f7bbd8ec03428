"""Every migration can run while the previous release still serves
(django-migration-linter; the exceptions, which ran before it, are listed
with their reasons in pyproject.toml)."""

from pathlib import Path

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django_migration_linter import MigrationLinter

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


def test_no_migration_breaks_the_release_that_is_still_running(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the linter reads [tool.django_migration_linter] from here
    try:
        call_command("lintmigrations")
    except SystemExit:
        pytest.fail("A migration the running release cannot live with:\n" + capsys.readouterr().out)
    summary = capsys.readouterr().out
    assert "Erroneous migrations: 0/" in summary


def lint(app: str, name: str) -> MigrationLinter:
    linter = MigrationLinter(no_cache=True, no_output=True, include_apps=[app])
    linter.lint_all_migrations(app_label=app, migration_name=name)
    return linter


def test_a_not_null_column_without_a_database_default_is_refused():
    # What 0004 did, before the linter: the old release's INSERTs failed.
    assert lint("firm_portal", "0004_user_session_version").has_errors


def test_the_request_id_column_keeps_old_inserts_working():
    # db_default: an INSERT that does not name the column still succeeds.
    linter = lint("notifications", "0003_outbox_request_id")
    assert not linter.has_errors
    assert linter.nb_valid == 1


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("0005_outbox_body_retention", "outbox_sent_unpurged_idx"),
        ("0007_outbox_bounced_index", "outbox_bounced_idx"),
    ],
)
def test_the_outbox_indexes_are_built_without_locking_the_outbox(name, index):
    # A plain CREATE INDEX on a production outbox of millions of rows holds
    # off every INSERT until it is done; CONCURRENTLY needs a non-atomic
    # migration and still migrates SQLite (`make run`) with a plain index.
    migration = MigrationLoader(None, ignore_no_migrations=True).get_migration(
        "notifications", name
    )
    assert migration.atomic is False
    indexes = [op for op in migration.operations if isinstance(op, AddIndexConcurrently)]
    assert [op.index.name for op in indexes] == [index]
    assert not lint("notifications", name).has_errors
